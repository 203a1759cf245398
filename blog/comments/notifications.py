"""How the plugin sends mail, and the mail to the moderators when a comment is held (hung off
``comment_posted``, so no view sends mail).

Mail goes out on a thread of its own, after the commit: a slow or dead mail server never delays or
fails a reader's request; a failure is logged and the comment stays. Mail decided before a commit
waits in the session and is sent from its ``after_commit`` event; if the transaction ends any other
way, it is dropped.
"""

import smtplib
import threading
from email.message import EmailMessage

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from blog.comments.models import CommentStatus
from blog.comments.translation import gettext as _
from blog.extensions import db

# Where mail waiting for the commit is kept, in ``Session.info``.
_WAITING = "comments.mail_after_commit"


def notify_moderators(app, comment, target):
    """On a held comment, mail COMMENTS_NOTIFY (if any) in the background."""
    if comment.status is not CommentStatus.PENDING or not app.config["COMMENTS_NOTIFY"]:
        return
    send_now(in_site_language(_held_comment_message, comment, target), "mail the moderators about a held comment")


def site_url(path: str) -> str:
    """An absolute link from COMMENTS_SITE_URL, never from the request's Host header; a bare path without it."""
    base = current_app.config["COMMENTS_SITE_URL"]
    return base.rstrip("/") + path if base else path


def _held_comment_message(comment, target) -> EmailMessage:
    message = new_message(", ".join(current_app.config["COMMENTS_NOTIFY"]),
                          _("A comment on “%(title)s” is awaiting moderation", title=target.title))
    lines = [
        _("A new comment on “%(title)s” is waiting for your approval.", title=target.title),
        site_url(target.url),
        "",
        _("Author: %(author)s", author=comment.author),
        _("Email: %(email)s", email=comment.email),
        _("Website: %(url)s", url=comment.url or "-"),
        _("IP address: %(ip)s", ip=comment.ip or "-"),
        _("Why it is held: %(reason)s", reason=comment.status_reason),
        "",
        comment.body_raw,
        "",
        _("Moderate it: %(url)s", url=site_url(url_for("comments_admin.queue", status="pending"))),
    ]
    message.set_content("\n".join(lines))
    return message


def send_mail(settings: dict, message: EmailMessage, logger, purpose: str):
    """Hand one message to the SMTP server the MAIL_* settings name; log what failed (``purpose``), never raise."""
    smtp_class = smtplib.SMTP_SSL if settings["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(settings["MAIL_SERVER"], settings["MAIL_PORT"], timeout=settings["MAIL_TIMEOUT"]) as smtp:
            if settings["MAIL_USE_TLS"]:
                smtp.starttls()
            if settings["MAIL_USERNAME"]:
                smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not %s (%s)", purpose, message["Subject"])


def in_site_language(build, *args):
    """Mail is written in the site's language, not in that of whoever's request sent it."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        return build(*args)


def new_message(to: str, subject: str) -> EmailMessage:
    """A mail from the site to ``to``."""
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
