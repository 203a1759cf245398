"""Confirming reply notices, one comment at a time.

A commenter who ticks "Notify me of replies by email" is mailed a signed link naming that comment
(never the address), and is mailed about replies to it only once they followed that link: consent is
per comment, since anyone can post with someone else's name and address, and an address confirmed
once must not let a stranger have the site mail its owner. The confirmation names the post, never
the comment's text, so it carries nothing a stranger wrote.

A stranger can still make the site send a confirmation, so each address gets at most one unanswered
confirmation a day: its ``NotifiedAddress`` row keeps when the last one went (``confirmation_sent_at``)
and when its owner last followed one (``confirmed_at``). A new one goes when none went within a day,
or when the last one has been followed since; one conditional UPDATE decides, so two requests at once
cannot both win. A subscription asked for while the last confirmation is unanswered gets none, and
so no notices.
"""

from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from blog.comments.models import Comment, CommentStatus, NotifiedAddress
from blog.comments.notifications import mail_after_commit, new_message, one_line, path_for, site_url, target_of
from blog.comments.translation import gettext as _
from blog.extensions import db, utcnow

CONFIRM_SALT = "comments-notice-confirm"
# A confirmation link works this long.
CONFIRM_MAX_AGE = 7 * 24 * 3600
# At most one unanswered confirmation mail to an address in this time.
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


def confirm_subscription(comment: Comment):
    """The address's owner confirmed from this comment's link: replies to it may be mailed (again is
    fine), and the address's last confirmation counts as answered."""
    now = utcnow()
    comment.notice_confirmed_at = comment.notice_confirmed_at or now
    _address(comment.email).confirmed_at = now


def ask_for_notices(comment: Comment):
    """The author of a just-stored comment ticked the box (it is stored with ``wants_reply_notice``): mail a
    confirmation for this comment after the commit if the address may have one now (see the module's
    docstring). Spam and trash get nothing, so a bot cannot make the site mail anyone."""
    if comment.status not in (CommentStatus.PENDING, CommentStatus.APPROVED):
        return
    _address(comment.email)
    now = utcnow()
    claimed = db.session.execute(
        update(NotifiedAddress)
        .where(NotifiedAddress.email == comment.email,
               or_(NotifiedAddress.confirmation_sent_at.is_(None),
                   NotifiedAddress.confirmation_sent_at <= now - CONFIRMATION_INTERVAL,
                   # Followed since, strictly: a claim leaves the two equal at most (on a database that
                   # keeps whole seconds), so a request racing that claim finds this false and loses.
                   NotifiedAddress.confirmed_at > NotifiedAddress.confirmation_sent_at))
        .values(confirmation_sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        mail_after_commit("send a confirmation mail", _confirmation_message, comment, target_of(comment))


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


def _confirmation_message(comment: Comment, target) -> EmailMessage:
    site = current_app.config["COMMENTS_SITE_TITLE"]
    link = site_url(path_for("comments_notices.confirm_notices", token=confirm_token(comment)))
    message = new_message([comment.email], _("Please confirm reply notices from %(site)s", site=site))
    message.set_content("\n".join([
        # A host without a targets resolver cannot name the page: the site stands in for it.
        _("Someone, hopefully you, asked to be mailed about replies to their comment on “%(title)s”. "
          "To receive these mails, follow this link (it works for 7 days):",
          title=one_line(target.title if target is not None else site)),
        link,
        "",
        _("If it was not you, ignore this mail: no reply to that comment will be mailed to you."),
    ]))
    return message
