"""Moderation: the policy that gives a new comment its status (DESIGN.md section 3), and the
transitions moderators move comments through afterwards (section 4), each logged and signalled."""

from flask import current_app

from blog.comments import spam
from blog.comments.models import Comment, CommentStatus, ModerationLogEntry, earlier_approved, thread_of
from blog.comments.signals import comment_edited, comment_status_changed
from blog.comments.spam import Verdict
from blog.comments.thread_cache import touch_thread
from blog.extensions import db, utcnow
from blog.sanitize import clean_comment

MODES = ("first-time", "all", "none")

_PENDING, _APPROVED, _SPAM, _TRASH = CommentStatus
# action: (the statuses it may start from, the status it leads to; None removes the comment for good).
TRANSITIONS = {
    "approve": ({_PENDING, _SPAM, _TRASH}, _APPROVED),
    "unapprove": ({_APPROVED}, _PENDING),
    "spam": ({_PENDING, _APPROVED, _TRASH}, _SPAM),
    "trash": ({_PENDING, _APPROVED, _SPAM}, _TRASH),
    "restore": ({_SPAM, _TRASH}, _PENDING),
    "delete": ({_SPAM, _TRASH}, None),
}


class ModerationPolicy:
    """Decide a new comment's status from the COMMENTS_* settings, in WordPress's order:
    disallowed words trash it, then a sprung bot trap marks spam, then any hold rule holds it."""

    def __init__(self, config):
        self.mode = config["COMMENTS_MODERATION"]
        if self.mode not in MODES:
            raise ValueError(f"COMMENTS_MODERATION must be one of {', '.join(MODES)}, not {self.mode!r}")
        self.max_links = config["COMMENTS_MAX_LINKS"]
        self.moderation_words = config["COMMENTS_MODERATION_WORDS"]
        self.disallowed_words = config["COMMENTS_DISALLOWED_WORDS"]

    def decide(self, comment: Comment, *, bot_verdict: Verdict | None = None) -> Verdict:
        """The status for a comment about to be stored; ``bot_verdict`` is what the form's bot traps found."""
        return (
            spam.disallowed_word(comment, self.disallowed_words)
            or bot_verdict
            or self._hold_rule(comment)
            or Verdict(CommentStatus.APPROVED, "")
        )

    def _hold_rule(self, comment: Comment) -> Verdict | None:
        if self.mode == "all":
            return Verdict(CommentStatus.PENDING, "every comment is held")
        held = (spam.too_many_links(comment, self.max_links)
                or spam.moderation_word(comment, self.moderation_words))
        if held or self.mode == "none":
            return held
        if db.session.scalar(earlier_approved(comment.author, comment.email)) is None:
            return Verdict(CommentStatus.PENDING, "first comment by this author")
        return None


def can_apply(action: str, comment: Comment) -> bool:
    """Whether ``action`` is a transition that may start from the comment's status."""
    return action in TRANSITIONS and comment.status in TRANSITIONS[action][0]


def apply_action(action: str, comment: Comment, moderator: str) -> bool:
    """Move a comment as a moderator asked; False (and nothing changed) when the move is not allowed."""
    if not can_apply(action, comment):
        return False
    old_status, new_status = comment.status, TRANSITIONS[action][1]
    if new_status is None:
        _delete(comment)
    else:
        comment.status = new_status
        if new_status is CommentStatus.APPROVED:
            comment.approved_at = utcnow()
        log_action(comment, action, moderator, old_status)
    touch_thread(comment.target_key)
    db.session.flush()
    comment_status_changed.send(current_app._get_current_object(), comment=comment, old_status=old_status,
                                new_status=new_status, moderator=moderator)
    return True


def edit_comment(comment: Comment, author: str, email: str, url: str, text: str, moderator: str):
    """Change what a comment says or who it is from, sanitized as a reader's text is. A new address did
    not ask for reply notices: the comment's consent was its old address's."""
    if email.lower() != comment.email:
        comment.wants_reply_notice, comment.notice_confirmed_at = False, None
    comment.author, comment.email, comment.url = author, email.lower(), url
    comment.body_raw, comment.body_html = text, clean_comment(text)
    log_action(comment, "edit", moderator, comment.status)
    touch_thread(comment.target_key)
    db.session.flush()
    comment_edited.send(current_app._get_current_object(), comment=comment, moderator=moderator)


def log_action(comment: Comment, action: str, moderator: str, old_status: CommentStatus):
    """Write who did what to the comment into its moderation log."""
    db.session.add(ModerationLogEntry(comment_id=comment.id, moderator=moderator[:100], action=action,
                                      old_status=old_status, new_status=comment.status))


def _delete(comment: Comment):
    """Remove a comment for good; its replies move up a level, as WordPress does, so none is lost.
    The thread is reshaped before the row goes, since the database would cascade the delete."""
    thread = {reply.id: reply for reply in db.session.scalars(thread_of(comment.root_id or comment.id))}
    del thread[comment.id]
    for reply in thread.values():
        if reply.parent_id == comment.id:
            reply.parent_id = comment.parent_id
    for reply in thread.values():
        depth, top = 0, reply
        while top.parent_id is not None:
            top, depth = thread[top.parent_id], depth + 1
        reply.depth, reply.root_id = depth, (top.id if top is not reply else None)
    db.session.flush()
    db.session.delete(comment)
