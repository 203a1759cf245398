"""Posting a comment: the one place the flow lives, from a validated form to a stored comment."""

from flask import current_app, request

from blog.comments.forms import CommentForm, FORBIDDEN_CHARACTERS
from blog.comments.models import Comment, CommentStatus
from blog.comments.moderation import ModerationPolicy, log_action
from blog.comments.target import CommentTarget
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


def submit_comment(target: CommentTarget, form: CommentForm) -> Comment:
    """Store a validated comment with the status the moderation policy gives it; the caller commits
    and then sends ``comment_posted``."""
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
    place_in_thread(comment, form.parent_comment, current_app.config["COMMENTS_THREAD_DEPTH"])
    comment.status, comment.status_reason = ModerationPolicy(current_app.config).decide(comment, is_bot=form.is_bot)
    if comment.status is CommentStatus.APPROVED:
        comment.approved_at = utcnow()
    db.session.add(comment)
    db.session.flush()
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
    return reply
