"""Mail to the moderators when a comment is held, hung off ``comment_posted`` so no view sends mail.

The mail goes out on a thread of its own after the comment is committed: a slow or dead mail
server never delays or fails the reader's request; a failure is logged and the comment stays.
"""

import smtplib
import threading
from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import force_locale

from blog.comments.models import CommentStatus
from blog.comments.translation import gettext as _


def notify_moderators(app, comment, target):
    """On a held comment, mail COMMENTS_NOTIFY (if any) in the background."""
    config = app.config
    if comment.status is not CommentStatus.PENDING or not config["COMMENTS_NOTIFY"]:
        return
    # Written for the moderators in the site's language, not in the language of the reader who posted.
    with force_locale(config.get("BABEL_DEFAULT_LOCALE", "en")):
        message = _held_comment_message(comment, target)
    settings = {name: config[name] for name in config if name.startswith("MAIL_")}
    threading.Thread(target=send_mail, args=(settings, message, app.logger), name="comments-mail").start()


def site_url(path: str) -> str:
    """An absolute link from COMMENTS_SITE_URL, never from the request's Host header; a bare path without it."""
    base = current_app.config["COMMENTS_SITE_URL"]
    return base.rstrip("/") + path if base else path


def _held_comment_message(comment, target) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = _("A comment on “%(title)s” is awaiting moderation", title=target.title)
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = ", ".join(config["COMMENTS_NOTIFY"])
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


def send_mail(settings: dict, message: EmailMessage, logger,
              purpose: str = "mail the moderators about a held comment"):
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
