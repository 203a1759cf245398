"""Moderation: the policy that decides what becomes of a new comment (DESIGN.md section 3), and the
transitions moderators move comments through afterwards (section 4), each logged and signalled."""


from blog.comments import guard, spam
from blog.comments.guard import Refusal
from blog.comments.markup import render_comment
from blog.comments.models import (
    Comment,
    CommentStatus,
    ModerationAction,
    ModerationLogEntry,
    comments_by_id,
    has_approved_comment,
    thread_of,
)
from blog.comments.signals import comment_edited, comment_status_changed, send_after_commit
from blog.comments.spam import Verdict
from blog.comments.thread_cache import touch_thread
from blog.extensions import db, utcnow

MODES = ("first-time", "all", "none")

_PENDING, _APPROVED, _SPAM, _TRASH = CommentStatus
# action: (the statuses it may start from, the status it leads to; None removes the comment for good).
TRANSITIONS = {
    ModerationAction.APPROVE: ({_PENDING, _SPAM, _TRASH}, _APPROVED),
    ModerationAction.UNAPPROVE: ({_APPROVED}, _PENDING),
    ModerationAction.SPAM: ({_PENDING, _APPROVED, _TRASH}, _SPAM),
    ModerationAction.TRASH: ({_PENDING, _APPROVED, _SPAM}, _TRASH),
    ModerationAction.RESTORE: ({_SPAM, _TRASH}, _PENDING),
    ModerationAction.DELETE: ({_SPAM, _TRASH}, None),
}


class ModerationPolicy:
    """What becomes of a reader's comment, as django's moderator has it: ``refusal`` says why it is not
    taken at all, ``decide`` gives it the status it is stored with. It composes the spam guard's checks
    with the word, link and first-time rules of the COMMENTS_* settings.

    Built once per app by ``Comments.init_app``, so a bad setting fails at start-up; the settings
    themselves are read at each decision, so one changed on the running app applies at once.
    """

    def __init__(self, config):
        mode = config["COMMENTS_MODERATION"]
        if mode not in MODES:
            raise ValueError(f"COMMENTS_MODERATION must be one of {', '.join(MODES)}, not {mode!r}")
        self.config = config

    def decide(self, comment: Comment, *, is_honeypot_filled: bool, form_stamp: str | None) -> Verdict:
        """The status for a comment about to be stored, in WordPress's order: disallowed words trash it,
        then a sprung bot trap of its form (the honeypot, the stamp) marks it spam, then any hold rule holds it."""
        config = self.config
        return (
            spam.disallowed_word(comment, config["COMMENTS_DISALLOWED_WORDS"])
            or guard.honeypot(is_honeypot_filled)
            or guard.form_time(form_stamp, config["COMMENTS_MIN_FILL_SECONDS"], config["COMMENTS_FORM_MAX_AGE"])
            or self._hold_rule(comment)
            or Verdict(CommentStatus.APPROVED, "")
        )

    def refusal(self, comment: Comment, *, is_moderator: bool, form_stamp: str | None) -> Refusal | None:
        """Why a comment is not taken: a form whose time cannot tell (unless a bot trap already caught
        it), a duplicate, or a flood (moderators are exempt). The last two must see every other writer,
        so they run in the transaction that stores the comment; a flood check that passes marks the
        commenter busy in it."""
        unknown = None if comment.status in (_SPAM, _TRASH) else guard.form_time_unknown(
            form_stamp, self.config["COMMENTS_MIN_FILL_SECONDS"])
        return unknown or guard.duplicate(comment) or (
            None if is_moderator else guard.too_soon(comment, self.config["COMMENTS_FLOOD_SECONDS"]))

    def review_edit(self, comment: Comment) -> Verdict | None:
        """The status a commenter's own edit gives their comment, or None to keep the one it has: the rules
        on what a comment says, as for a new one (disallowed words trash it; too many links, a moderation
        word or "all" hold it). The first-time rule is not asked again: the author is who they were."""
        return (spam.disallowed_word(comment, self.config["COMMENTS_DISALLOWED_WORDS"])
                or self._hold_rule(comment, is_edit=True))

    def _hold_rule(self, comment: Comment, *, is_edit: bool = False) -> Verdict | None:
        mode = self.config["COMMENTS_MODERATION"]
        if mode == "all":
            return Verdict(CommentStatus.PENDING, "every comment is held")
        held = (spam.too_many_links(comment, self.config["COMMENTS_MAX_LINKS"])
                or spam.moderation_word(comment, self.config["COMMENTS_MODERATION_WORDS"]))
        if held or mode == "none" or is_edit:
            return held
        if not has_approved_comment(comment.author, comment.email):
            return Verdict(CommentStatus.PENDING, "first comment by this author")
        return None


def can_apply(action: ModerationAction, comment: Comment) -> bool:
    """Whether ``action`` is a transition that may start from the comment's status."""
    return action in TRANSITIONS and comment.status in TRANSITIONS[action][0]


def apply_action(action: ModerationAction, comment: Comment, moderator: str) -> bool:
    """Move a comment as a moderator asked; False (and nothing changed) when the move is not allowed."""
    if not can_apply(action, comment):
        return False
    move_comment(comment, TRANSITIONS[action][1], action, moderator)
    return True


def action_towards(current: CommentStatus, wanted: CommentStatus) -> ModerationAction | None:
    """The transition that takes a comment from ``current`` to ``wanted``, if one does."""
    return next((action for action, (sources, target) in TRANSITIONS.items()
                 if target is wanted and current in sources), None)


def undo_moves(moves, moderator: str) -> tuple[int, int]:
    """Put comments back in the status they had before a moderator's action, each through the transition
    that leads there, logged and signalled as any; only those still where the action left them.
    ``moves`` are (comment id, status before, status after); the answer is how many went back and how
    many had moved since or are gone."""
    ids = [comment_id for comment_id, _, _ in moves]
    found = {comment.id: comment for comment in db.session.scalars(comments_by_id(ids))}
    restored = 0
    for comment_id, before, after in moves:
        comment = found.get(comment_id)
        if comment is not None and comment.status is after and apply_action(action_towards(after, before),
                                                                             comment, moderator):
            restored += 1
    return restored, len(moves) - restored


def move_comment(comment: Comment, new_status: CommentStatus | None, action: ModerationAction, moderator: str):
    """Put a comment in ``new_status`` (None: remove it for good), logged as ``action`` by ``moderator``
    and signalled; the caller has checked the move is allowed."""
    old_status = comment.status
    if new_status is None:
        _delete(comment)
    else:
        comment.status = new_status
        if new_status is CommentStatus.APPROVED:
            comment.approved_at = utcnow()
        log_action(comment, action, moderator, old_status)
    touch_thread(comment.target_key)
    db.session.flush()
    send_after_commit(comment_status_changed, comment=comment, old_status=old_status, new_status=new_status,
                      moderator=moderator)


def edit_comment(comment: Comment, author: str, email: str, url: str, text: str, moderator: str):
    """Change what a comment says or who it is from, sanitized as a reader's text is. A new address did
    not ask for reply notices: the comment's consent was its old address's."""
    if email.lower() != comment.email:
        comment.wants_reply_notice, comment.notice_confirmed_at = False, None
    comment.author, comment.email, comment.url = author, email.lower(), url
    comment.body_raw, comment.body_html = text, render_comment(text, comment.body_markup)
    log_action(comment, ModerationAction.EDIT, moderator, comment.status)
    touch_thread(comment.target_key)
    db.session.flush()
    send_after_commit(comment_edited, comment=comment, moderator=moderator)


def log_action(comment: Comment, action: ModerationAction, moderator: str, old_status: CommentStatus):
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
