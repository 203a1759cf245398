"""Confirming an address for reply notices.

A commenter who ticks "Notify me of replies by email" is mailed a signed link first, at most once a
day, and is mailed about replies only once they followed it: the form cannot be used to mail a
stranger. The link names the comment, never the address.

"""

from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from blog.comments.models import Comment, CommentStatus, NotifiedAddress
from blog.comments.notifications import in_site_language, new_message, path_for, send_after_commit, site_url
from blog.comments.translation import gettext as _
from blog.extensions import db, utcnow

CONFIRM_SALT = "comments-notice-confirm"
# A confirmation link works this long.
CONFIRM_MAX_AGE = 7 * 24 * 3600
# At most one confirmation mail to an unconfirmed address in this time.
CONFIRMATION_INTERVAL = timedelta(days=1)


def _confirm_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=CONFIRM_SALT)


def confirm_token(comment: Comment) -> str:
    """A signed, expiring token naming the comment whose author asked for notices."""
    return _confirm_serializer().dumps(comment.id)


def comment_from_token(token: str, load) -> Comment | None:
    """The comment whose id ``load`` finds signed in the token, or None (forged, expired, gone)."""
    try:
        comment_id = load(token)
    except BadSignature:  # expired tokens too (SignatureExpired is a BadSignature)
        return None
    return db.session.get(Comment, comment_id) if isinstance(comment_id, int) else None


def comment_to_confirm(token: str) -> Comment | None:
    """The comment a confirmation link names, or None when the link is forged, expired or its comment gone."""
    return comment_from_token(token, lambda value: _confirm_serializer().loads(value, max_age=CONFIRM_MAX_AGE))


def confirm_address(comment: Comment) -> bool:
    """Mark the address of the comment's author confirmed (again is fine); False when it has none."""
    if not comment.email:
        return False
    address = _address(comment.email)
    address.confirmed_at = address.confirmed_at or utcnow()
    return True


def ask_for_notices(comment: Comment):
    """The author of a just-stored comment ticked the box: keep that, and unless their address is
    confirmed (or was sent a confirmation within a day) mail them a confirmation after the commit.
    Spam and trash get nothing, so a bot cannot make the site mail anyone."""
    comment.wants_reply_notice = True
    if comment.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        return
    _address(comment.email)
    now = utcnow()
    # One conditional update, so two requests at once cannot both win the day's confirmation.
    claimed = db.session.execute(
        update(NotifiedAddress)
        .where(NotifiedAddress.email == comment.email, NotifiedAddress.confirmed_at.is_(None),
               or_(NotifiedAddress.confirmation_sent_at.is_(None),
                   NotifiedAddress.confirmation_sent_at <= now - CONFIRMATION_INTERVAL))
        .values(confirmation_sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        send_after_commit(in_site_language(_confirmation_message, comment), "send a confirmation mail")


def _address(email: str) -> NotifiedAddress:
    """The address's row, added if it is new (a concurrent request may add it first)."""
    address = db.session.get(NotifiedAddress, email)
    if address is None:
        try:
            with db.session.begin_nested():
                address = NotifiedAddress(email=email)
                db.session.add(address)
        except IntegrityError:
            address = db.session.get(NotifiedAddress, email)
    return address


def _confirmation_message(comment: Comment) -> EmailMessage:
    link = site_url(path_for("comments.confirm_notices", token=confirm_token(comment)))
    message = new_message(comment.email, _("Please confirm reply notices from %(site)s",
                                            site=current_app.config["COMMENTS_SITE_TITLE"]))
    message.set_content("\n".join([
        _("Someone, hopefully you, asked to be mailed when their comment gets a reply. "
          "To receive these mails, confirm your address (the link works for 7 days):"),
        link,
        "",
        _("If it was not you, ignore this mail: you will receive no other."),
    ]))
    return message
