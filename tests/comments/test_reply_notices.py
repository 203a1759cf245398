"""Reply notices (issue 8): "Notify me of replies by email", off by default; the address is confirmed
first, at most one confirmation a day; one mail per approved reply, with a one-click unsubscribe link
(RFC 8058). Sent through a real SMTP server on loopback."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import NotifiedAddress
from blog.extensions import db
from tests.comments.test_notifications import assert_no_mail, join_mail_threads
from tests.mail import Mailbox
from tests.readers import Reader

ANN = {"author": "Ann Reader", "email": "ann@example.org", "comment": "What about the cups?"}
BOB = {"author": "Bob Replier", "email": "bob@example.org", "comment": "The cups go on the left, Ann."}
SITE = "https://blog.example.org"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def site(app, post, mailbox):
    app.config.update(COMMENTS_MODERATION="none", COMMENTS_SITE_URL=SITE)
    return app


def browser(app) -> Reader:
    return Reader(app.test_client())


def newest_comment(app) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()


def links(message) -> list[str]:
    return LINK.findall(message.get_content())


def path_of(url: str) -> str:
    return urlsplit(url).path


def ann_asks(app, mailbox, **fields) -> Comment:
    """Ann comments with the box ticked and follows the confirmation link: the comment she asked on."""
    browser(app).post(**ANN, notify="y", **fields)
    join_mail_threads()
    [confirmation] = mailbox.wait_for(1)
    [link] = links(confirmation)
    with app.test_client().get(path_of(link)) as response:
        assert response.status_code == 200
    mailbox.messages.clear()
    return newest_comment(app)


def test_notify_box_is_off_by_default(site):
    html = browser(site).get().get_data(as_text=True)
    box = re.search(r'<input id="notify" name="notify" type="checkbox"[^>]*>', html).group(0)
    assert "checked" not in box
    assert "Notify me of replies by email." in html
    assert html.index('id="remember"') < html.index('id="notify"')


def test_notify_label_in_dutch(site):
    html = browser(site).get(language="nl").get_data(as_text=True)
    assert "Stuur mij een e-mail bij reacties op mijn reactie." in html


def test_unticked_box_asks_nothing(site, mailbox):
    browser(site).post(**ANN)
    assert not newest_comment(site).wants_reply_notice
    assert_no_mail(mailbox)


def test_ticking_notify_sends_one_confirmation(site, mailbox):
    response = browser(site).post(**ANN, notify="y")

    assert response.status_code == 303
    assert newest_comment(site).wants_reply_notice
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert message["To"] == ANN["email"]
    assert "confirm" in message["Subject"].lower()
    assert "List-Unsubscribe" not in message
    [link] = links(message)
    assert link.startswith(f"{SITE}/comments/notices/confirm/")
    with site.app_context():
        assert db.session.get(NotifiedAddress, ANN["email"]).confirmed_at is None


def test_confirm_link_confirms_and_is_idempotent(site, mailbox):
    browser(site).post(**ANN, notify="y")
    join_mail_threads()
    [link] = links(mailbox.wait_for(1)[0])
    client = site.test_client()
    for _ in range(2):
        with client.get(path_of(link)) as response:
            assert response.status_code == 200
            assert "Your address is confirmed" in response.get_data(as_text=True)
    with site.app_context():
        assert db.session.get(NotifiedAddress, ANN["email"]).confirmed_at is not None


def test_second_confirmation_within_a_day_is_not_sent(site, mailbox):
    reader = browser(site)
    reader.post(**ANN, notify="y")
    reader.post(**{**ANN, "comment": "And the saucers?"}, notify="y")
    join_mail_threads()
    assert len(mailbox.wait_for(1)) == 1
    assert_no_mail_beyond(mailbox, 1)

    with site.app_context():
        address = db.session.get(NotifiedAddress, ANN["email"])
        address.confirmation_sent_at -= timedelta(days=1, minutes=1)
        db.session.commit()
    reader.post(**{**ANN, "comment": "And the spoons?"}, notify="y")
    join_mail_threads()
    assert len(mailbox.wait_for(2)) == 2


def assert_no_mail_beyond(mailbox, count):
    join_mail_threads()
    assert len(mailbox.messages) == count


def test_confirmed_address_gets_no_more_confirmations(site, mailbox):
    ann_asks(site, mailbox)
    browser(site).post(**{**ANN, "comment": "Another question."}, notify="y")
    assert_no_mail(mailbox)


def test_approved_reply_mails_the_parent_author_once(site, mailbox):
    parent = ann_asks(site, mailbox)

    browser(site).post(**BOB, parent=str(parent.id))

    reply = newest_comment(site)
    assert reply.status is CommentStatus.APPROVED
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert message["To"] == ANN["email"]
    assert "Bob Replier" in message["Subject"] and "Hello world" in message["Subject"]
    body = message.get_content()
    assert BOB["comment"] in body
    assert f"{SITE}/hello/#comment-{reply.id}" in body
    unsubscribe = f"{SITE}/comments/notices/unsubscribe/"
    assert message["List-Unsubscribe"].startswith(f"<{unsubscribe}")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"][1:-1] in body
    assert_no_mail_beyond(mailbox, 1)


def test_a_moderators_reply_from_the_queue_mails_the_author(site, mailbox, admin):
    parent = ann_asks(site, mailbox)
    admin.login()
    assert admin.post(f"/admin/comments/{parent.id}/reply", comment="Thanks, from the site.").status_code == 303
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert message["To"] == ANN["email"] and "Thanks, from the site." in message.get_content()
    assert_no_mail_beyond(mailbox, 1)


def test_held_reply_mails_nobody_until_approved_then_once(site, mailbox, admin):
    parent = ann_asks(site, mailbox)
    site.config["COMMENTS_MODERATION"] = "all"
    browser(site).post(**BOB, parent=str(parent.id))
    reply = newest_comment(site)
    assert reply.status is CommentStatus.PENDING
    assert_no_mail(mailbox)

    admin.login()
    assert admin.post(f"/admin/comments/{reply.id}/approve").status_code == 303
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert BOB["comment"] in message.get_content()

    admin.post(f"/admin/comments/{reply.id}/unapprove")
    admin.post(f"/admin/comments/{reply.id}/approve")
    assert newest_comment(site).status is CommentStatus.APPROVED
    assert_no_mail_beyond(mailbox, 1)


def test_no_notice_without_confirmation(site, mailbox):
    browser(site).post(**ANN, notify="y")
    join_mail_threads()
    mailbox.wait_for(1)
    parent = newest_comment(site)
    browser(site).post(**BOB, parent=str(parent.id))
    assert_no_mail_beyond(mailbox, 1)


def test_no_notice_for_your_own_reply(site, mailbox):
    parent = ann_asks(site, mailbox)
    browser(site).post(**{**ANN, "comment": "Answering myself."}, parent=str(parent.id))
    assert_no_mail(mailbox)


def test_no_notice_when_not_asked_on_that_comment(site, mailbox):
    ann_asks(site, mailbox)
    browser(site).post(**{**ANN, "comment": "No mail for this one, thanks."})
    other = newest_comment(site)
    browser(site).post(**BOB, parent=str(other.id))
    assert_no_mail(mailbox)


def unsubscribe_link(site, mailbox) -> tuple[Comment, str]:
    parent = ann_asks(site, mailbox)
    browser(site).post(**BOB, parent=str(parent.id))
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    return parent, message["List-Unsubscribe"][1:-1]


def test_unsubscribe_page_asks_then_post_stops_notices(site, mailbox):
    parent, link = unsubscribe_link(site, mailbox)
    client = site.test_client()
    with client.get(path_of(link)) as page:
        assert page.status_code == 200
        assert "<form method=\"post\">" in page.get_data(as_text=True)
    with site.app_context():  # the GET changed nothing
        assert db.session.get(Comment, parent.id).wants_reply_notice
    with client.post(path_of(link)) as done:
        assert done.status_code == 200
    with site.app_context():
        assert not db.session.get(Comment, parent.id).wants_reply_notice

    mailbox.messages.clear()
    browser(site).post(**{**BOB, "comment": "One more thing."}, parent=str(parent.id))
    assert_no_mail(mailbox)


def test_one_click_unsubscribe_needs_no_cookie_or_csrf_token(site, mailbox):
    site.config["WTF_CSRF_ENABLED"] = True
    parent, link = unsubscribe_link(site, mailbox)
    with site.test_client(use_cookies=False) as mail_client:
        response = mail_client.post(path_of(link), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with site.app_context():
        assert not db.session.get(Comment, parent.id).wants_reply_notice


def test_other_posts_still_need_a_csrf_token(site):
    site.config["WTF_CSRF_ENABLED"] = True
    response = site.test_client().post("/hello/comments", data={**ANN, "parent": "0"})
    assert response.status_code == 400


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/comments/notices/confirm/nonsense"),
    ("GET", "/comments/notices/confirm/MQ.forged.signature"),
    ("GET", "/comments/notices/unsubscribe/nonsense"),
    ("GET", "/comments/notices/unsubscribe/MQ.forged"),
    ("POST", "/comments/notices/unsubscribe/nonsense"),
    ("POST", "/comments/notices/unsubscribe/MQ.forged"),
])
def test_bad_tokens_are_refused(site, method, path):
    response = site.test_client().open(path, method=method)
    assert response.status_code == 400


def test_expired_confirmation_is_refused(site, mailbox, monkeypatch):
    browser(site).post(**ANN, notify="y")
    join_mail_threads()
    [link] = links(mailbox.wait_for(1)[0])
    monkeypatch.setattr("blog.comments.notice_addresses.CONFIRM_MAX_AGE", -1)
    assert site.test_client().get(path_of(link)).status_code == 400
    with site.app_context():
        assert db.session.get(NotifiedAddress, ANN["email"]).confirmed_at is None


def test_a_confirmation_link_does_not_unsubscribe(site, mailbox):
    """Salts keep the two kinds of token apart."""
    browser(site).post(**ANN, notify="y")
    join_mail_threads()
    [link] = links(mailbox.wait_for(1)[0])
    token = link.rsplit("/", 1)[1]
    assert site.test_client().post(f"/comments/notices/unsubscribe/{token}").status_code == 400


def test_no_mail_has_an_address_in_a_url(site, mailbox):
    parent = ann_asks(site, mailbox)
    browser(site).post(**BOB, parent=str(parent.id))
    join_mail_threads()
    mailbox.wait_for(1)
    site.config["COMMENTS_SITE_URL"] = None
    browser(site).post(**{**ANN, "email": "carol@example.org", "author": "Carol"}, notify="y")
    join_mail_threads()
    messages = mailbox.wait_for(2)
    urls = [url for message in messages for url in links(message)]
    urls += [message["List-Unsubscribe"] for message in messages if message["List-Unsubscribe"]]
    urls += [line.rsplit(" ", 1)[-1] for message in messages for line in message.get_content().splitlines()
             if "/comments/notices/" in line]
    assert urls
    for url in urls:
        for person in ("ann", "bob", "carol"):
            assert person not in url.lower()
        assert "%40" not in url and "@" not in url


def test_spam_with_the_box_ticked_mails_no_one(site, mailbox):
    browser(site).post(**ANN, notify="y", homepage="https://bot.example/")
    assert newest_comment(site).status is CommentStatus.SPAM
    assert_no_mail(mailbox)


def test_reply_notices_on_each_database(matrix_comments_app):
    """Confirmation, its once-a-day claim and the notice, on SQLite, PostgreSQL and MariaDB."""
    app = matrix_comments_app
    app.config.update(COMMENTS_MODERATION="none", COMMENTS_SITE_URL=SITE)
    with Mailbox() as mailbox:
        app.config.update(MAIL_SERVER=mailbox.host, MAIL_PORT=mailbox.port)
        reader = browser(app)
        reader.post(**ANN, notify="y")
        reader.post(**{**ANN, "comment": "Twice."}, notify="y")
        parent = ann_asks_again(app, mailbox)
        browser(app).post(**BOB, parent=str(parent.id))
        join_mail_threads()
        [notice] = mailbox.wait_for(1)
        assert BOB["comment"] in notice.get_content()


def ann_asks_again(app, mailbox) -> Comment:
    """The first confirmation mail only (the second post is within the day); follow it."""
    join_mail_threads()
    [confirmation] = mailbox.wait_for(1)
    assert len(mailbox.messages) == 1
    [link] = links(confirmation)
    assert app.test_client().get(path_of(link)).status_code == 200
    mailbox.messages.clear()
    with app.app_context():
        return db.session.scalars(select(Comment).where(Comment.email == ANN["email"])
                                  .order_by(Comment.id)).first()
