"""Reply notices: a commenter who ticked "Notify me of replies by email" and confirmed their address
(blog.comments.notice_addresses) is mailed once when a reply to their comment is approved.

Each notice carries a signed one-click unsubscribe link (RFC 8058) naming the comment, never the
address. It hangs off the plugin's signals: ``comment_posted`` fires after the commit, so a reply
approved at once is mailed straight away; ``comment_status_changed`` fires before the moderator's
view commits, so that notice waits for the commit (``send_after_commit``).
"""

from email.message import EmailMessage

from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import exists, select

from blog.comments.models import Comment, CommentStatus, ModerationLogEntry, NotifiedAddress
from blog.comments.moderation import TRANSITIONS
from blog.comments.notice_addresses import comment_from_token
from blog.comments.notifications import in_site_language, new_message, path_for, send_after_commit, send_now, site_url
from blog.comments.section import comment_page, page_url
from blog.comments.translation import gettext as _
from blog.extensions import db

UNSUBSCRIBE_SALT = "comments-notice-unsubscribe"


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(comment: Comment) -> str:
    """A signed token naming the comment whose notices it stops; it does not expire."""
    return _unsubscribe_serializer().dumps(comment.id)


def comment_to_unsubscribe(token: str) -> Comment | None:
    """The comment an unsubscribe link names, or None when the link is forged or its comment gone."""
    return comment_from_token(token, _unsubscribe_serializer().loads)


def stop_notices(comment: Comment):
    """Mail no more replies to this comment's author about this comment."""
    comment.wants_reply_notice = False


def notify_on_posting(app, comment, target):
    """``comment_posted`` (after the commit): mail the parent's author about a reply approved at once."""
    if comment.is_approved and (parent := _parent_to_notify(comment)) is not None:
        send_now(in_site_language(_reply_message, comment, parent, target), "send a reply notice")


def notify_on_approval(app, comment, old_status, new_status, moderator):
    """``comment_status_changed`` (before the commit): a reply approved for the first time is mailed
    about once the moderator's change is committed."""
    if new_status is not CommentStatus.APPROVED or _was_approved_before(comment):
        return
    if (parent := _parent_to_notify(comment)) is None:
        return
    target = current_app.extensions["comments"].resolve_targets({comment.target_key}).get(comment.target_key)
    if target is not None:
        send_after_commit(in_site_language(_reply_message, comment, parent, target), "send a reply notice")


def _parent_to_notify(reply: Comment) -> Comment | None:
    """The comment this reply answers, if its author asked for notices, confirmed their address and is
    not the one replying."""
    if reply.parent_id is None:
        return None
    parent = db.session.get(Comment, reply.parent_id)
    if parent is None or not parent.wants_reply_notice or not parent.email or parent.email == reply.email.lower():
        return None
    address = db.session.get(NotifiedAddress, parent.email)
    return parent if address is not None and address.confirmed_at is not None else None


def _was_approved_before(comment: Comment) -> bool:
    """Whether the comment left the approved status before (so its reply notice already went out)."""
    return bool(db.session.scalar(select(exists().where(
        ModerationLogEntry.comment_id == comment.id, ModerationLogEntry.old_status == CommentStatus.APPROVED,
        ModerationLogEntry.action.in_(list(TRANSITIONS))))))


def _reply_message(reply: Comment, parent: Comment, target) -> EmailMessage:
    link = site_url(page_url(target, comment_page(reply))) + f"#comment-{reply.id}"
    unsubscribe = site_url(path_for("comments_unsubscribe.unsubscribe", token=unsubscribe_token(parent)))
    message = new_message(parent.email, _("%(author)s replied to your comment on “%(title)s”",
                                           author=reply.author, title=target.title))
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join([
        _("%(author)s replied to your comment on “%(title)s”:", author=reply.author, title=target.title),
        "",
        reply.body_raw,
        "",
        _("Read it and answer: %(url)s", url=link),
        "",
        _("No more mail about replies to this comment: %(url)s", url=unsubscribe),
    ]))
    return message


