"""Posting a comment: the one place the flow lives, from a validated form to a stored comment."""

from flask import current_app, request

from blog.comments import flood, spam
from blog.comments.forms import FORBIDDEN_CHARACTERS, CommentForm
from blog.comments.models import Comment, CommentStatus, approved_comment, said_before
from blog.comments.moderation import ModerationPolicy, log_action
from blog.comments.notice_addresses import ask_for_notices
from blog.comments.target import CommentTarget
from blog.comments.thread_cache import touch_thread
from blog.comments.timing import form_age
from blog.comments.translation import gettext as _
from blog.extensions import db, utcnow
from blog.sanitize import clean_comment

USER_AGENT_MAX = 255


def is_open(target: CommentTarget) -> bool:
    """Whether the target takes comments now: open, and not older than COMMENTS_CLOSE_AFTER_DAYS."""
    if not target.is_open:
        return False
    days = current_app.config["COMMENTS_CLOSE_AFTER_DAYS"]
    if days and target.published_at is not None:
        return (utcnow() - target.published_at).days < days
    return True


def place_in_thread(comment: Comment, parent: Comment | None, max_depth: int):
    """Hang a reply under its parent; past the deepest level it goes beside its parent instead."""
    while parent is not None and parent.depth + 1 >= max_depth:
        parent = db.session.get(Comment, parent.parent_id) if parent.parent_id else None
    if parent is None:
        comment.parent_id, comment.root_id, comment.depth = None, None, 0
    else:
        comment.parent_id, comment.root_id, comment.depth = parent.id, parent.root_id or parent.id, parent.depth + 1


class Refusal(Exception):
    """A valid form that is still not taken: a duplicate (409) or too soon after the last (429)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def submit_comment(target: CommentTarget, form: CommentForm, is_moderator: bool = False) -> Comment:
    """Store a validated comment with the status the moderation policy gives it; the caller commits
    and then sends ``comment_posted``. Raises ``Refusal`` for a duplicate, a flood (moderators are
    exempt from the flood limit) or a parent removed meanwhile.

    What only reads (sanitizing, the moderation rules) runs first, in the caller's transaction,
    which this ends; the checks that must see every other writer (duplicate, flood) and the insert
    then run in a transaction of their own, the only stretch that holds SQLite's write lock.
    """
    config = current_app.config
    user_agent = FORBIDDEN_CHARACTERS.sub("", request.user_agent.string)[:USER_AGENT_MAX]
    comment = Comment(
        target_key=target.key,
        author=form.author.data,
        email=form.email.data.lower(),
        url=form.url.data or "",
        body_raw=form.comment.data,
        body_html=clean_comment(form.comment.data),
        ip=request.remote_addr,
        user_agent=user_agent or None,
    )
    bot_verdict = spam.honeypot(form.is_bot) or spam.form_timing(
        form_age(form.issued.data), config["COMMENTS_MIN_FILL_SECONDS"], config["COMMENTS_FORM_MAX_AGE"])
    comment.status, comment.status_reason = ModerationPolicy(config).decide(comment, bot_verdict=bot_verdict)
    parent_id = form.parent_comment.id if form.parent_comment is not None else None
    db.session.rollback()  # the reading is done; the next statement begins the writing transaction

    parent = db.session.scalar(approved_comment(target.key, parent_id)) if parent_id else None
    form.parent_comment = parent  # as it is now, for the page shown again if this is refused
    if parent_id and parent is None:
        raise Refusal(409, _("The comment you are replying to is not available."))
    place_in_thread(comment, parent, config["COMMENTS_THREAD_DEPTH"])
    if said_before(comment):
        raise Refusal(409, _("Duplicate comment detected; it looks as though you’ve already said that!"))
    if config["COMMENTS_FLOOD_SECONDS"] and not is_moderator:
        wait = flood.claim(flood.flood_keys(comment.ip, comment.email), config["COMMENTS_FLOOD_SECONDS"])
        if wait is not None:
            raise Refusal(429, _("You are posting comments too quickly. Slow down."), retry_after=wait)
    if comment.status is CommentStatus.APPROVED:
        comment.approved_at = utcnow()
        touch_thread(comment.target_key)
    db.session.add(comment)
    db.session.flush()
    if form.notify.data:
        ask_for_notices(comment)
    return comment


def reply_as_moderator(parent: Comment, text: str, moderator: str) -> Comment:
    """A moderator's answer from the queue: the site's own voice, approved at once."""
    now = utcnow()
    reply = Comment(target_key=parent.target_key, author=moderator, email=current_app.config["COMMENTS_SITE_EMAIL"],
                    body_raw=text, body_html=clean_comment(text), status=CommentStatus.APPROVED,
                    status_reason="moderator's reply", is_moderator_reply=True, created_at=now, approved_at=now)
    place_in_thread(reply, parent, current_app.config["COMMENTS_THREAD_DEPTH"])
    db.session.add(reply)
    db.session.flush()
    log_action(reply, "reply", moderator, CommentStatus.APPROVED)
    touch_thread(reply.target_key)
    return reply
