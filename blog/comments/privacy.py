"""People's data (DESIGN.md section 8): what the site holds about an email address, its erasure,
and the clearing of IPs and spam past their retention."""

from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import delete, func, select, update

from blog.comments.models import Comment, CommentStatus, FloodMark, ModerationAction, NotifiedAddress
from blog.comments.moderation import apply_action
from blog.comments.signals import comment_erased, send_after_commit
from blog.comments.thread_cache import touch_thread
from blog.extensions import db, utcnow

ANONYMOUS = "Anonymous"


def comments_by(email: str):
    return select(Comment).where(Comment.email == email.strip().lower()).order_by(Comment.created_at, Comment.id)


def export_person(email: str) -> dict:
    """Everything stored with this address, as JSON-ready data."""
    comments = db.session.scalars(comments_by(email)).all()
    address = db.session.get(NotifiedAddress, email.strip().lower())
    return {
        "email": email.strip().lower(),
        "reply_notices": None if address is None else {
            "confirmed_at": address.confirmed_at.isoformat() if address.confirmed_at else None,
            "confirmation_sent_at": address.confirmation_sent_at.isoformat() if address.confirmation_sent_at else None,
        },
        "comments": [
            {"id": comment.id, "thread": comment.target_key, "parent_id": comment.parent_id,
             "author": comment.author, "email": comment.email, "url": comment.url, "text": comment.body_raw,
             "status": comment.status.value, "ip": comment.ip, "user_agent": comment.user_agent,
             "wants_reply_notice": comment.wants_reply_notice,
             "notice_confirmed_at": comment.notice_confirmed_at.isoformat() if comment.notice_confirmed_at else None,
             "created_at": comment.created_at.isoformat(),
             "approved_at": comment.approved_at.isoformat() if comment.approved_at else None}
            for comment in comments
        ],
    }


class ErasurePreview(NamedTuple):
    """What erasing an address would change, shown before it is done."""

    address: str  # as the comments store it
    comments: int
    has_reply_notices: bool


def erasure_preview(email: str) -> ErasurePreview:
    """What ``erase_person(email)`` would change, for the admin to confirm first."""
    address = email.strip().lower()
    count = db.session.scalar(select(func.count()).select_from(comments_by(email).order_by(None).subquery()))
    return ErasurePreview(address, count, db.session.get(NotifiedAddress, address) is not None)


def erase_person(email: str) -> int:
    """Anonymize this address's comments: the name becomes "Anonymous"; email, url, IP and browser go,
    and so do its reply notices; the text stays, so replies to it still make sense. Returns how many
    comments were changed."""
    comments = db.session.scalars(comments_by(email)).all()
    for comment in comments:
        comment.author, comment.email, comment.url, comment.ip, comment.user_agent = ANONYMOUS, "", "", None, None
        comment.wants_reply_notice, comment.notice_confirmed_at = False, None
    db.session.execute(delete(NotifiedAddress).where(NotifiedAddress.email == email.strip().lower()))
    for target_key in {comment.target_key for comment in comments}:
        touch_thread(target_key)
    db.session.flush()
    send_after_commit(comment_erased, email=email, count=len(comments))
    return len(comments)


def purge() -> tuple[int, int]:
    """Delete spam and trash older than COMMENTS_PURGE_AFTER_DAYS and clear IPs and browsers older than
    COMMENTS_IP_RETENTION_DAYS; returns (comments deleted, comments whose IP was cleared)."""
    config, now = current_app.config, utcnow()
    expired = db.session.scalars(select(Comment).where(
        Comment.status.in_([CommentStatus.SPAM, CommentStatus.TRASH]),
        Comment.created_at < now - timedelta(days=config["COMMENTS_PURGE_AFTER_DAYS"]))).all()
    for comment in expired:
        apply_action(ModerationAction.DELETE, comment, "purge")
    cleared = db.session.execute(
        update(Comment)
        .where(Comment.created_at < now - timedelta(days=config["COMMENTS_IP_RETENTION_DAYS"]),
               (Comment.ip.is_not(None)) | (Comment.user_agent.is_not(None)))
        .values(ip=None, user_agent=None)
    ).rowcount
    db.session.execute(delete(FloodMark).where(FloodMark.until <= now))
    return len(expired), cleared
