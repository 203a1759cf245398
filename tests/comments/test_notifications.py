"""Mail to the moderators when a comment is held (COMMENTS_NOTIFY, DESIGN.md section 3), sent through a
real SMTP server on loopback; a dead mail server never costs a reader their comment, and no stored text
(a line break in a name or an address, issue 18) breaks a header or adds one."""

import logging
import socket
import threading
import time

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus, comment_posted
from blog.comments.notifications import MailSettings, mail_settings
from blog.extensions import db
from tests.factories import make_comment
from tests.mail import assert_clean_headers, logged_errors
from tests.readers import CSRF_TOKEN, FORM_STAMP
from tests.servers import free_port

MODERATOR = "mod@example.org"
HELD = {"author": "Ann Reader", "email": "ann@example.org", "comment": "Is it safe to mix it with coffee?"}


def join_mail_threads(timeout=30):
    """Wait for the background sends the last request started."""
    for thread in threading.enumerate():
        if thread.name == "comments-mail":
            thread.join(timeout)
            assert not thread.is_alive(), "the mail thread is still running"


def assert_no_mail(mailbox):
    join_mail_threads()
    time.sleep(1)
    assert mailbox.messages == []


def only_comment(app) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment)).one()


def post_comment(client, headers=None, **fields):
    """The comment form on /hello/, read and sent by one browser with the given headers."""
    with client.get("/hello/", headers=headers) as page:
        html = page.get_data(as_text=True)
    hidden = {"csrf_token": CSRF_TOKEN.search(html).group(1), "issued": FORM_STAMP.search(html).group(1)}
    data = {**HELD, "url": "", "parent": "0", **hidden, **fields}
    with client.post("/hello/comments", data=data, headers=headers) as response:
        response.get_data()
    return response


@pytest.fixture
def notify(app, post):
    app.config["COMMENTS_NOTIFY"] = [MODERATOR]
    return app


def test_held_comment_mails_the_moderators(notify, mailbox, reader):
    response = reader.post(**HELD)

    assert response.status_code == 303
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert message["To"] == MODERATOR
    assert message["From"] == "blog@example.org"
    assert "Hello world" in message["Subject"]
    body = message.get_content()
    for expected in ("Ann Reader", "ann@example.org", HELD["comment"], "first comment by this author",
                     "/admin/comments?status=pending", "/hello/"):
        assert expected in body
    time.sleep(0.5)
    assert len(mailbox.messages) == 1


def test_mail_names_every_moderator(notify, mailbox, reader):
    notify.config["COMMENTS_NOTIFY"] = [MODERATOR, "second@example.org"]
    reader.post(**HELD)
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert {address.addr_spec for address in message["To"].addresses} == {MODERATOR, "second@example.org"}


def test_one_moderator_given_as_a_string_is_mailed(notify, mailbox, reader):
    """As FLASK_COMMENTS_NOTIFY=mod@example.org sets it: not JSON, so one string rather than a list."""
    notify.config["COMMENTS_NOTIFY"] = MODERATOR
    reader.post(**HELD)
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert message["To"] == MODERATOR


def test_a_long_comment_is_mailed_in_lines_mail_servers_take(notify, mailbox, reader):
    """MIME's 76 characters a body line, however long the quoted text's own lines."""
    reader.post(**{**HELD, "comment": "é" * 3000 + " " + "a" * 3000})
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    _, body = message.raw.split(b"\r\n\r\n", 1)
    assert max(map(len, body.split(b"\r\n"))) <= 76
    assert "é" * 3000 in message.get_content()


def test_mail_gives_the_reason_a_rule_held_it(notify, mailbox, reader):
    notify.config.update(COMMENTS_MODERATION="none", COMMENTS_MODERATION_WORDS=["coffee"])
    reader.post(**HELD)
    assert only_comment(notify).status is CommentStatus.PENDING
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert only_comment(notify).status_reason in message.get_content()


def test_mail_links_are_absolute_on_the_configured_site(notify, mailbox, client):
    """Links come from COMMENTS_SITE_URL, never from the Host header a visitor sent."""
    notify.config["COMMENTS_SITE_URL"] = "https://blog.example.org"
    response = post_comment(client, headers={"Host": "evil.example"})

    assert response.status_code == 303
    assert only_comment(notify).status is CommentStatus.PENDING
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    body = message.get_content()
    assert "https://blog.example.org/admin/comments?status=pending" in body
    assert "https://blog.example.org/hello/" in body
    assert "evil.example" not in message.as_string()


def test_mail_links_without_a_site_url_are_paths(notify, mailbox, client):
    """With no COMMENTS_SITE_URL the links are bare paths, still not built from the Host header."""
    notify.config["COMMENTS_SITE_URL"] = None
    post_comment(client, headers={"Host": "evil.example"})
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    body = message.get_content()
    assert "evil.example" not in message.as_string()
    assert any(line.endswith(" /admin/comments?status=pending") for line in body.splitlines())


@pytest.mark.parametrize(("settings", "fields", "status"), [
    ({"COMMENTS_MODERATION": "none"}, {}, CommentStatus.APPROVED),
    ({}, {"homepage": "https://bot.example/"}, CommentStatus.SPAM),
    ({"COMMENTS_NOTIFY": []}, {}, CommentStatus.PENDING),
], ids=["approved", "spam", "nobody-to-notify"])
def test_no_mail_unless_a_comment_is_held_and_someone_is_to_be_told(notify, mailbox, client, settings, fields,
                                                                    status):
    notify.config.update(settings)
    response = post_comment(client, **fields)
    assert response.status_code == 303
    assert only_comment(notify).status is status
    assert_no_mail(mailbox)


def test_rejected_comment_sends_no_mail(notify, mailbox, client):
    response = post_comment(client, email="not-an-email")
    assert response.status_code in (400, 422)
    assert_no_mail(mailbox)


def test_moderators_own_reply_sends_no_mail(notify, mailbox, admin, post):
    with notify.app_context():
        parent_id = make_comment(post, status=CommentStatus.PENDING).id
    admin.login()
    response = admin.post(f"/admin/comments/{parent_id}/reply", comment="Answered.")
    assert response.status_code == 303
    assert_no_mail(mailbox)


@pytest.fixture
def mail_errors(app, caplog):
    """The app's log records at ERROR and above, from any thread."""
    caplog.set_level(logging.ERROR, logger=app.logger.name)
    return lambda: logged_errors(app, caplog)


def test_dead_mail_server_keeps_the_comment_and_logs(notify, client, mail_errors):
    notify.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=5)

    response = post_comment(client)

    assert response.status_code == 303
    comment = only_comment(notify)
    assert response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert (comment.status, comment.body_raw) == (CommentStatus.PENDING, HELD["comment"])
    join_mail_threads()
    [record] = mail_errors()
    assert "moderators" in record.getMessage() and "Hello world" in record.getMessage()
    assert record.exc_info and issubclass(record.exc_info[0], OSError)
    assert "Your comment is awaiting moderation." in client.get("/hello/").get_data(as_text=True)


def test_silent_mail_server_does_not_delay_the_reader(notify, client, mail_errors):
    """A server that takes the connection but never answers is waited on in the background only."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        notify.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=3)

        started = time.monotonic()
        response = post_comment(client)
        elapsed = time.monotonic() - started

        assert response.status_code == 303
        assert elapsed < 2.5, f"the reader waited {elapsed:.1f} s for the mail server"
        assert only_comment(notify).status is CommentStatus.PENDING
        join_mail_threads()
    [record] = mail_errors()
    assert record.exc_info and issubclass(record.exc_info[0], OSError)


def test_comments_mail_settings_win_over_the_hosts_mail_ones(notify, mailbox, reader, mail_errors):
    """COMMENTS_MAIL_* name the plugin's server and sender, whatever the host's MAIL_* (Flask-Mail's) say."""
    notify.config.update(COMMENTS_MAIL_SERVER=mailbox.host, COMMENTS_MAIL_PORT=mailbox.port,
                         COMMENTS_MAIL_DEFAULT_SENDER="comments@example.org",
                         MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    assert reader.post(**HELD).status_code == 303
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert message["From"] == "comments@example.org"
    assert mail_errors() == []


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, MailSettings()),
    ({"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 2525, "MAIL_USE_TLS": True, "MAIL_USERNAME": "blog"},
     MailSettings(server="smtp.example.org", port=2525, use_tls=True, username="blog")),
    ({"MAIL_SERVER": "smtp.example.org", "COMMENTS_MAIL_SERVER": "mail.example.org",
      "MAIL_USE_TLS": True, "COMMENTS_MAIL_USE_TLS": False, "MAIL_USERNAME": "blog", "COMMENTS_MAIL_USERNAME": ""},
     MailSettings(server="mail.example.org", use_tls=False, username="")),
], ids=["neither-set", "mail-alone", "comments-mail-wins-even-when-false"])
def test_each_mail_setting_is_its_comments_one_else_the_hosts_mail_one_else_its_default(host_app, settings, expected):
    host_app.config.update(settings)
    with host_app.app_context():
        assert mail_settings() == expected


def test_the_plugin_leaves_the_mail_settings_to_the_host(host_app):
    """It sets defaults for its COMMENTS_MAIL_* only: a host's Flask-Mail gets no MAIL_* value from it."""
    assert [name for name in host_app.config if name.startswith("MAIL_")] == []


@pytest.mark.parametrize(("field", "line"), [
    ("author", "Author: Ann Reader Bcc: x@example.org"),
    ("email", "Email: ann@example.org Bcc: x@example.org"),
])
def test_held_comment_with_a_line_break_in_it_still_mails_the_moderators(notify, mailbox, post, field, line):
    """A stored comment (older, imported, edited) may hold what the form refuses: the mail still goes,
    each of its fields on one line, so none can pass for a header or another field."""
    stored = {"author": "Ann Reader", "email": "ann@example.org"}
    stored[field] += "\r\nBcc: x@example.org"
    with notify.test_request_context():
        comment = make_comment(post, status=CommentStatus.PENDING, status_reason="first comment by this author",
                               **stored)
        target = notify.extensions["comments"].load_target("hello")
        comment_posted.send(notify, comment=comment, target=target)
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert_clean_headers(message, [MODERATOR])
    lines = message.get_content().splitlines()
    assert line in lines
    assert not any(text.startswith("Bcc") for text in lines)


@pytest.mark.parametrize(("moderators", "delivered"), [
    ([MODERATOR, "second@example.org\r\nBcc: x@example.org"], [MODERATOR]),
    (["second@example.org\r\nBcc: x@example.org", "not-an-address"], []),
], ids=["one-clean", "none-clean"])
def test_only_clean_moderator_addresses_are_mailed(notify, mailbox, reader, mail_errors, moderators, delivered):
    """An address that is not one bare address is left out; with none left the mail is not sent, and
    that is logged, never raised into the reader's request."""
    notify.config["COMMENTS_NOTIFY"] = moderators
    response = reader.post(**HELD)
    assert response.status_code == 303
    assert only_comment(notify).status is CommentStatus.PENDING
    join_mail_threads()
    if delivered:
        [message] = mailbox.wait_for(1)
        assert_clean_headers(message, delivered)
        assert mail_errors() == []
    else:
        assert_no_mail(mailbox)
        [record] = mail_errors()
        assert "moderators" in record.getMessage()
