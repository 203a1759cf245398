"""Named events of the comments plugin, for hosts and other components to hang work on (blinker).

Every signal's sender is the app.
"""

from blinker import Namespace

_signals = Namespace()

# A reader's comment is about to be stored (django's comment_will_be_posted): ``comment``, not yet
# added to the session (no id), its status and ``status_reason`` already decided by the moderation
# policy, and ``target``. A receiver may re-status it (set ``comment.status`` and ``status_reason``), or
# refuse it by returning a reason (a non-empty string, logged): nothing is stored and the reader is
# answered 403 "Your comment was rejected." with the form kept. It runs in the transaction that writes
# the comment, after the duplicate and flood checks (on SQLite, other writers wait meanwhile: be quick).
comment_will_be_posted = _signals.signal("comment-will-be-posted")
# A comment was stored and committed (a reader's, or a moderator's reply): ``comment``, ``target``.
comment_posted = _signals.signal("comment-posted")
# A moderator moved a comment: ``comment``, ``old_status``, ``new_status`` (None: deleted), ``moderator``.
comment_status_changed = _signals.signal("comment-status-changed")
# A moderator edited a comment's author, email, url or text: ``comment``, ``moderator``.
comment_edited = _signals.signal("comment-edited")
# A person's comments were anonymized (privacy erase): ``email`` (the address asked for), ``count``.
comment_erased = _signals.signal("comment-erased")
