"""Named events of the comments plugin, for hosts and other components to hang work on (blinker).

Every signal's sender is the app. ``comment_will_be_posted`` asks before a comment is stored; every
other signal tells of what is committed: the work that decides it queues the signal in the session
(``send_after_commit``), and the view or command that commits sends it (``commit_and_send``), so
receivers hear of nothing that a rollback undid and may read the database as it now is.
"""

from blinker import Namespace
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from blog.extensions import begin_reading, db

_signals = Namespace()
# Where signals waiting for the commit are kept, in ``Session.info``.
_WAITING = "comments.signals_after_commit"

# A reader's comment is about to be stored (django's comment_will_be_posted): ``comment``, not yet
# added to the session (no id), its status and ``status_reason`` already decided by the moderation
# policy, and ``target``. A receiver may re-status it (set ``comment.status`` and ``status_reason``), or
# refuse it by returning a reason (a non-empty string, logged): nothing is stored and the reader is
# answered 403 "Your comment was rejected." with the form kept. It runs in the transaction that writes
# the comment, after the duplicate and flood checks (on SQLite, other writers wait meanwhile: be quick).
comment_will_be_posted = _signals.signal("comment-will-be-posted")
# A comment was stored and committed (a reader's, or a moderator's reply): ``comment``, ``target``.
comment_posted = _signals.signal("comment-posted")
# A moderator moved a comment: ``comment``, ``old_status``, ``new_status`` (None: deleted), ``moderator``
# ("commenter" when its commenter deleted it, or their edit moved it: blog.comments.own_edits).
comment_status_changed = _signals.signal("comment-status-changed")
# A moderator edited a comment's author, email, url or text, or its commenter its text: ``comment``,
# ``moderator`` ("commenter" for the commenter's own edit).
comment_edited = _signals.signal("comment-edited")
# A person's comments were anonymized (privacy erase): ``email`` (the address asked for), ``count``.
comment_erased = _signals.signal("comment-erased")


def send_after_commit(signal, **arguments):
    """Send ``signal`` with ``arguments`` once the session's transaction is committed by ``commit_and_send``;
    never, if it is rolled back."""
    db.session.info.setdefault(_WAITING, []).append((signal, arguments))


def commit_and_send():
    """Commit the session, then send the signals its work queued, in order. Receivers read in a
    transaction of their own, begun as one that only reads (on SQLite: without the write lock)."""
    waiting = db.session.info.pop(_WAITING, [])
    db.session.commit()
    begin_reading()
    app = current_app._get_current_object()
    for signal, arguments in waiting:
        signal.send(app, **arguments)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_signals(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended without commit_and_send
        session.info.pop(_WAITING, None)
