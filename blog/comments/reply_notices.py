"""Reply notices: a commenter who ticked "Notify me of replies by email" on a comment, and followed that
comment's own confirmation link (blog.comments.notice_addresses), is mailed once when a reply to it is
approved.

Consent is per comment, not per address: anyone can post with someone else's name and address, so
an earlier confirmation of that address never makes the site mail its owner about a new comment. A
notice quotes only a short plain excerpt of the reply, with the link to read it, so a stranger's
reply cannot use the site's mail to carry a whole message. Each notice carries a signed one-click
unsubscribe link (RFC 8058) naming the comment, never the address; its page also stops the notices
of every comment from that address.

It hangs off the plugin's signals, which fire after the commit: ``comment_posted`` for a reply
approved at once, ``comment_status_changed`` for one a moderator approves.
"""

from email.message import EmailMessage

from flask import current_app
from itsdangerous import URLSafeSerializer
from sqlalchemy import exists, select, update

from blog.comments.models import Comment, CommentStatus, ModerationLogEntry, comment_page
from blog.comments.moderation import TRANSITIONS
from blog.comments.notice_addresses import comment_from_token
from blog.comments.notifications import (
    mail_now,
    new_message,
    one_line,
    path_for,
    site_url,
    target_of,
)
from blog.comments.section import page_url
from blog.comments.translation import gettext as _
from blog.extensions import db
from blog.sanitize import plain_excerpt

UNSUBSCRIBE_SALT = "comments-notice-unsubscribe"
# The longest excerpt of a reply a notice quotes, the ellipsis included.
EXCERPT_MAX = 200


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


def stop_address_notices(comment: Comment):
    """Mail no more replies about any comment from this comment's address."""
    db.session.execute(update(Comment).where(Comment.email == comment.email, Comment.wants_reply_notice)
                       .values(wants_reply_notice=False))


def notify_on_posting(app, comment, target):
    """``comment_posted`` (after the commit): mail the parent's author about a reply approved at once."""
    if comment.is_approved and (parent := _parent_to_notify(comment)) is not None:
        mail_now("send a reply notice", _reply_message, comment, parent, target)


def notify_on_approval(app, comment, old_status, new_status, moderator):
    """``comment_status_changed`` (after the commit): mail the parent's author about a reply approved for
    the first time."""
    if new_status is not CommentStatus.APPROVED or _was_approved_before(comment):
        return
    if (parent := _parent_to_notify(comment)) is None:
        return
    if (target := target_of(comment)) is not None:
        mail_now("send a reply notice", _reply_message, comment, parent, target)


def _parent_to_notify(reply: Comment) -> Comment | None:
    """The comment this reply answers, if its author asked for notices on it, followed its confirmation
    link, and is not the one replying."""
    if reply.parent_id is None:
        return None
    parent = db.session.get(Comment, reply.parent_id)
    if (parent is None or not parent.wants_reply_notice or parent.notice_confirmed_at is None
            or parent.email == reply.email.lower()):
        return None
    return parent


def _was_approved_before(comment: Comment) -> bool:
    """Whether the comment left the approved status before (so its reply notice already went out)."""
    return bool(db.session.scalar(select(exists().where(
        ModerationLogEntry.comment_id == comment.id, ModerationLogEntry.old_status == CommentStatus.APPROVED,
        ModerationLogEntry.action.in_(list(TRANSITIONS))))))


def _reply_message(reply: Comment, parent: Comment, target) -> EmailMessage:
    link = site_url(page_url(target, comment_page(reply))) + f"#comment-{reply.id}"
    unsubscribe = site_url(path_for("comments_notices.unsubscribe", token=unsubscribe_token(parent)))
    author, title = one_line(reply.author), one_line(target.title)
    message = new_message([parent.email], _("%(author)s replied to your comment on “%(title)s”",
                                            author=author, title=title))
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join([
        _("%(author)s replied to your comment on “%(title)s”:", author=author, title=title),
        "",
        plain_excerpt(reply.body_html, EXCERPT_MAX),
        "",
        _("Read it and answer: %(url)s", url=link),
        "",
        _("No more mail about replies to this comment: %(url)s", url=unsubscribe),
    ]))
    return message
