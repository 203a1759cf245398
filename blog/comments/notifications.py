"""How the plugin sends mail, and the mail to the moderators when a comment is held (hung off
``comment_posted``, so no view sends mail).

Mail goes out on a thread of its own, after the commit: a slow or dead mail server never delays or
fails a reader's request; a failure is logged and the comment stays. Mail decided before a commit
waits in the session and is sent from its ``after_commit`` event; if the transaction ends any other
way, it is dropped.

Stored text may hold anything (older rows, imports, a moderator's edit), whatever the form refuses
today: headers are built so no such text can break or add one (header text on one line, only clean
addresses), and a message that still cannot be built or sent is logged with its purpose, never
raised into the request that decided it.
"""

import smtplib
import threading
from dataclasses import dataclass, field, fields
from datetime import timedelta
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_timedelta
from sqlalchemy import event
from sqlalchemy.orm import Session

from blog.comments.forms import one_line
from blog.comments.models import CommentStatus, ModerationAction
from blog.comments.moderation_links import link_token
from blog.comments.translation import gettext as _
from blog.extensions import db

# Where mail waiting for the commit is kept, in ``Session.info``.
_WAITING = "comments.mail_after_commit"
# Headers up to RFC 5322's own limit on one line: folded at 78 characters, a long List-Unsubscribe
# would be written as encoded-words, which mail clients do not read as its link. Set once a message is
# built: its body, encoded when it is set, keeps MIME's 76-character lines.
MAIL_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server and From address to mail with, read in the request: the mail thread has no app."""

    server: str = "localhost"
    port: int = 25
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # out of the repr, so out of any log
    default_sender: str = "blog@localhost"
    timeout: float = 10


def mail_settings() -> MailSettings:
    """The COMMENTS_MAIL_* settings, each left at None read from the host's MAIL_* of its name, else defaulted."""
    config = current_app.config
    chosen = {}
    for setting in fields(MailSettings):
        fallback = f"MAIL_{setting.name.upper()}"
        value = config.get(f"COMMENTS_{fallback}")
        if value is None:
            value = config.get(fallback)
        if value is not None:
            chosen[setting.name] = value
    return MailSettings(**chosen)


def notify_moderators(app, comment, target):
    """On a held comment, mail COMMENTS_NOTIFY (if any) in the background: one mail to the addresses that
    name no moderator, and one to each address that does, with that moderator's one-click links."""
    if comment.status is not CommentStatus.PENDING or not app.config["COMMENTS_NOTIFY"]:
        return
    recipients = moderator_recipients(app.config["COMMENTS_NOTIFY"])
    unnamed = [address for address, moderator in recipients if moderator is None]
    if unnamed:
        mail_now("mail the moderators about a held comment", _held_comment_message, comment, target, unnamed, None)
    for address, moderator in recipients:
        if moderator is not None:
            mail_now("mail the moderators about a held comment", _held_comment_message, comment, target,
                     [address], moderator)


def moderator_recipients(setting) -> list[tuple[str, str | None]]:
    """COMMENTS_NOTIFY as (address, moderator's name or None) pairs: a dict maps addresses to names; a list
    names none, and so does one address given alone as a string (FLASK_COMMENTS_NOTIFY=mod@example.org is
    no JSON, so it arrives as one string)."""
    if isinstance(setting, str):
        return [(setting, None)]
    if isinstance(setting, dict):
        return [(address, moderator if isinstance(moderator, str) and moderator else None)
                for address, moderator in setting.items()]
    return [(address, None) for address in setting]


def site_url(path: str) -> str:
    """An absolute link from COMMENTS_SITE_URL, never from the request's Host header; a bare path without it.
    A URL that is absolute already (the page of a thread of the plugin's own, on another origin) is kept."""
    base = current_app.config["COMMENTS_SITE_URL"]
    return base.rstrip("/") + path if base and path.startswith("/") else path


def target_of(comment):
    """The target the comment's thread hangs under, from the host's ``targets_resolver``; None if unknown."""
    return current_app.extensions["comments"].resolve_targets({comment.target_key}).get(comment.target_key)


def clean_address(text: str) -> Address | None:
    """``text`` as one bare address, or None when it is anything else (a line break, a name, a second
    address, a missing domain): such text is never put in a header."""
    if not text or one_line(text) != text or any(character.isspace() for character in text):
        return None
    try:
        address = Address(addr_spec=text)
    except (ValueError, HeaderParseError, IndexError):  # what the parser raises, "a@" included
        return None
    return address if address.username and address.domain else None


def _held_comment_message(comment, target, addresses, moderator) -> EmailMessage:
    message = new_message(addresses, _("A comment on “%(title)s” is awaiting moderation", title=target.title))
    lines = [
        _("A new comment on “%(title)s” is waiting for your approval.", title=one_line(target.title)),
        site_url(target.url),
        "",
        _("Author: %(author)s", author=one_line(comment.author)),
        _("Email: %(email)s", email=one_line(comment.email)),
        _("Website: %(url)s", url=one_line(comment.url) or "-"),
        _("IP address: %(ip)s", ip=one_line(comment.ip or "") or "-"),
        _("Why it is held: %(reason)s", reason=one_line(comment.status_reason)),
        "",
        comment.body_raw,
        "",
        _("Moderate it: %(url)s", url=site_url(url_for("comments_admin.queue", status="pending"))),
        *_one_click_lines(comment, moderator),
    ]
    message.set_content("\n".join(lines))
    return message


def _one_click_lines(comment, moderator: str | None) -> list[str]:
    """The signed approve / spam / trash links for the moderator this mail goes to; none when it names no
    moderator, the host does not know them, or COMMENTS_MODERATION_LINK_SECONDS is 0."""
    lifetime = current_app.config["COMMENTS_MODERATION_LINK_SECONDS"]
    generation = current_app.extensions["comments"].moderator_generation(moderator) if moderator else None
    if generation is None or not lifetime:
        return []

    def link(action):
        return site_url(url_for("comments_notices.moderation_link",
                                token=link_token(comment, action, moderator, generation)))

    return ["",
            _("Or in one click, as %(name)s (each link asks before it acts, works once, and for %(duration)s only):",
              name=one_line(moderator), duration=format_timedelta(timedelta(seconds=lifetime))),
            _("Approve it: %(url)s", url=link(ModerationAction.APPROVE)),
            _("Mark it as spam: %(url)s", url=link(ModerationAction.SPAM)),
            _("Move it to the trash: %(url)s", url=link(ModerationAction.TRASH))]


def send_mail(settings: MailSettings, message: EmailMessage, logger, purpose: str):
    """Hand one message to the SMTP server ``settings`` name; log what failed (``purpose``), never raise:
    this runs on a thread of its own, where nobody would see an exception."""
    smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
    try:
        with smtp_class(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.use_tls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except Exception:
        logger.exception("Could not %s (%s)", purpose, message["Subject"])


def new_message(recipients, subject: str) -> EmailMessage:
    """A mail from the site to those of ``recipients`` that are clean addresses, its subject on one line.
    Raises ValueError when none is: the caller's guard logs it."""
    addresses = [address for address in map(clean_address, recipients) if address is not None]
    if not addresses:
        raise ValueError("no clean address to send to")
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = mail_settings().default_sender
    message["To"] = addresses
    return message


def _built(purpose: str, build, *args) -> EmailMessage | None:
    """``build(*args)`` in the site's language (not in that of whoever's request sent it), or None, logged,
    when it fails: no stored text or setting makes mail fail the request that decided it."""
    try:
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
            message = build(*args)
        message.policy = MAIL_POLICY
        return message
    except Exception:
        current_app.logger.exception("Could not %s", purpose)
        return None


def path_for(endpoint: str, **values) -> str:
    """``url_for``'s path, also outside a request (a moderator's change made from a script)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"]).build(
        endpoint, values)


def mail_now(purpose: str, build, *args):
    """Build the message (``build(*args)``) and send it on a thread of its own: a slow mail server never
    holds up the request."""
    if (message := _built(purpose, build, *args)) is not None:
        threading.Thread(target=send_mail, args=(mail_settings(), message, current_app.logger, purpose),
                         name="comments-mail").start()


def mail_after_commit(purpose: str, build, *args):
    """Build the message now (the session can still be read) and send it once the current transaction
    commits; never, if it does not."""
    if (message := _built(purpose, build, *args)) is not None:
        db.session.info.setdefault(_WAITING, []).append((mail_settings(), message, current_app.logger, purpose))


@event.listens_for(Session, "after_commit")
def _send_waiting_mail(session):
    for arguments in session.info.pop(_WAITING, []):
        threading.Thread(target=send_mail, args=arguments, name="comments-mail").start()


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_mail(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended without a commit (or after sending)
        session.info.pop(_WAITING, None)
