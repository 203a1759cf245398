"""Named events of the comments plugin, for hosts and other components to hang work on (blinker)."""

from blinker import Namespace

_signals = Namespace()

# Sent after a reader's comment is stored (not yet committed): sender is the app,
# with ``comment`` and ``target`` (the CommentTarget it was posted on).
comment_posted = _signals.signal("comment-posted")
