"""Confirming an address for reply notices, and mail that waits for the commit.

A commenter who ticks "Notify me of replies by email" is mailed a signed link first, at most once a
day, and is mailed about replies only once they followed it: the form cannot be used to mail a
stranger. The link names the comment, never the address.

Mail decided before a commit waits in the session and is sent from its ``after_commit`` event, on
a thread of its own; if the transaction ends any other way, the mail is dropped.
"""

import threading
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import event, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from blog.comments.models import Comment, CommentStatus, NotifiedAddress
from blog.comments.notifications import send_mail, site_url
from blog.comments.translation import gettext as _
from blog.extensions import db, utcnow

CONFIRM_SALT = "comments-notice-confirm"
# A confirmation link works this long.
CONFIRM_MAX_AGE = 7 * 24 * 3600
# At most one confirmation mail to an unconfirmed address in this time.
CONFIRMATION_INTERVAL = timedelta(days=1)
# Where mail waiting for the commit is kept, in ``Session.info``.
_WAITING = "comments.mail_after_commit"


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


def in_site_language(build, *args):
    """Mail is written in the site's language, not in that of whoever's request sent it."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        return build(*args)


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


def new_message(to: str, subject: str) -> EmailMessage:
    """A mail from the site to one address."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    return message


def _mail_settings() -> dict:
    config = current_app.config
    return {name: config[name] for name in config if name.startswith("MAIL_")}


def path_for(endpoint: str, **values) -> str:
    """``url_for``'s path, also outside a request (a moderator's change made from a script)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"]).build(
        endpoint, values)


def send_now(message: EmailMessage, purpose: str):
    """Send on a thread of its own: a slow mail server never holds up the request."""
    threading.Thread(target=send_mail, args=(_mail_settings(), message, current_app.logger, purpose),
                     name="comments-mail").start()


def send_after_commit(message: EmailMessage, purpose: str):
    """Send once the current transaction commits; never, if it does not."""
    db.session.info.setdefault(_WAITING, []).append((_mail_settings(), message, current_app.logger, purpose))


@event.listens_for(Session, "after_commit")
def _send_waiting_mail(session):
    for arguments in session.info.pop(_WAITING, []):
        threading.Thread(target=send_mail, args=arguments, name="comments-mail").start()


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_mail(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended without a commit (or after sending)
        session.info.pop(_WAITING, None)
