"""Named events of the comments plugin, for hosts and other components to hang work on (blinker).

Every signal's sender is the app.
"""

from blinker import Namespace

_signals = Namespace()

# A comment was stored and committed (a reader's, or a moderator's reply): ``comment``, ``target``.
comment_posted = _signals.signal("comment-posted")
# A moderator moved a comment: ``comment``, ``old_status``, ``new_status`` (None: deleted), ``moderator``.
comment_status_changed = _signals.signal("comment-status-changed")
# A moderator edited a comment's author, email, url or text: ``comment``, ``moderator``.
comment_edited = _signals.signal("comment-edited")
# A person's comments were anonymized (privacy erase): ``email`` (the address asked for), ``count``.
comment_erased = _signals.signal("comment-erased")
