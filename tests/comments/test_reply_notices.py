"""Reply notices (issues 8 and 18): "Notify me of replies by email", off by default. Each comment that asks
is confirmed on its own, by a link mailed to its address (a stranger posting with a confirmed reader's
address gets that reader no notice), at most one unanswered confirmation a day; then one mail per
approved reply, quoting a short plain excerpt, with a one-click unsubscribe link (RFC 8058) whose page
also stops every comment of the address. No stored text breaks a notice's headers, and no mail makes
a reader's post or a moderator's action fail. Sent through a real SMTP server on loopback."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import NotifiedAddress
from blog.comments.moderation import edit_comment
from blog.comments.reply_notices import EXCERPT_MAX
from blog.extensions import db, utcnow
from tests.comments.test_notifications import assert_no_mail, join_mail_threads
from tests.factories import make_comment, make_post
from tests.mail import Mailbox, assert_clean_headers, logged_errors
from tests.readers import Reader

ANN = {"author": "Ann Reader", "email": "ann@example.org", "comment": "What about the cups?"}
BOB = {"author": "Bob Replier", "email": "bob@example.org", "comment": "The cups go on the left, Ann."}
SITE = "https://blog.example.org"
LINK = re.compile(r"https?://\S+")
FORM = re.compile(r'<form method="post"(?: action="([^"]*)")?>\s*<button type="submit">([^<]*)</button>')
# Stored text the form refuses now, but older rows, imports or an edit made before the fix may hold.
BROKEN_NAME = "Mallory\r\nBcc: x@example.org"
BROKEN_ADDRESS = "ann@example.org\r\nBcc: x@example.org"
BROKEN_TITLE = "Broken\r\nBcc: x@example.org"


@pytest.fixture
def site(app, post, mailbox):
    app.config.update(COMMENTS_MODERATION="none", COMMENTS_SITE_URL=SITE)
    return app


def browser(app) -> Reader:
    return Reader(app.test_client())


def newest_comment(app) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()


def load(app, comment_id) -> Comment:
    with app.app_context():
        return db.session.get(Comment, comment_id)


def links(message) -> list[str]:
    return LINK.findall(message.get_content())


def path_of(url: str) -> str:
    return urlsplit(url).path


def only_mail(mailbox):
    """The one message the last requests sent, taken out of the mailbox."""
    join_mail_threads()
    [message] = mailbox.wait_for(1)
    assert len(mailbox.messages) == 1
    mailbox.messages.clear()
    return message


def follow(app, link):
    with app.test_client().get(path_of(link)) as response:
        assert response.status_code == 200
        return response.get_data(as_text=True)


def confirm(app, link):
    """Open a confirmation link and press its button, as its reader does: the page that answers."""
    assert FORM.search(follow(app, link))
    with app.test_client().post(path_of(link)) as response:
        assert response.status_code == 200
        return response.get_data(as_text=True)


def ann_asks(app, mailbox, **fields) -> Comment:
    """Ann comments with the box ticked and follows that comment's confirmation link: the comment."""
    browser(app).post(**{**ANN, **fields}, notify="y")
    [link] = links(only_mail(mailbox))
    confirm(app, link)
    return newest_comment(app)


def bob_replies(app, parent: Comment, **fields) -> Comment:
    browser(app).post(**{**BOB, **fields}, parent=str(parent.id))
    return newest_comment(app)


def subscribed(key, **fields) -> int:
    """A stored comment of Ann's whose notices she asked for and confirmed, her address's row saying so
    too (in an app context): its id."""
    fields = {"author": ANN["author"], "email": ANN["email"], **fields}
    now = utcnow()
    db.session.merge(NotifiedAddress(email=fields["email"], confirmation_sent_at=now, confirmed_at=now))
    return make_comment(key, wants_reply_notice=True, notice_confirmed_at=now, **fields).id


def assert_no_mail_beyond(mailbox, count):
    join_mail_threads()
    assert len(mailbox.messages) == count


# --- asking and confirming ----------------------------------------------------------------------------------

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


def test_ticking_notify_sends_one_confirmation_naming_the_post(site, mailbox):
    response = browser(site).post(**ANN, notify="y")

    assert response.status_code == 303
    comment = newest_comment(site)
    assert comment.wants_reply_notice and comment.notice_confirmed_at is None
    message = only_mail(mailbox)
    assert message["To"] == ANN["email"]
    assert "confirm" in message["Subject"].lower()
    assert "List-Unsubscribe" not in message
    body = message.get_content()
    assert "“Hello world”" in body and ANN["comment"] not in body
    [link] = links(message)
    assert link.startswith(f"{SITE}/comments/notices/confirm/")
    assert_no_mail(mailbox)


def test_confirm_link_confirms_that_comment_and_is_idempotent(site, mailbox):
    browser(site).post(**ANN, notify="y")
    [link] = links(only_mail(mailbox))
    assert "Confirmed" in confirm(site, link)
    confirmed_at = newest_comment(site).notice_confirmed_at
    assert confirmed_at is not None
    assert "Confirmed" in confirm(site, link)
    assert newest_comment(site).notice_confirmed_at == confirmed_at
    with site.app_context():
        assert db.session.get(NotifiedAddress, ANN["email"]).confirmed_at is not None


def test_opening_a_confirmation_link_confirms_nothing_until_its_button_is_pressed(site, mailbox):
    """Mail scanners follow every link of a mail: a GET, however often, is no consent."""
    browser(site).post(**ANN, notify="y")
    [link] = links(only_mail(mailbox))
    for _ in range(2):
        with site.test_client().get(path_of(link)) as page:
            assert page.status_code == 200 and "Yes, mail me about replies" in page.get_data(as_text=True)
    assert newest_comment(site).notice_confirmed_at is None
    with site.app_context():
        assert db.session.get(NotifiedAddress, ANN["email"]).confirmed_at is None


def test_a_moderator_changing_the_address_ends_the_comments_notices(site, mailbox):
    """The consent was the old address's: the new one is mailed nothing it did not ask for."""
    parent = ann_asks(site, mailbox)
    with site.app_context():
        edit_comment(db.session.get(Comment, parent.id), ANN["author"], "new@example.org", "", ANN["comment"], "boss")
        db.session.commit()
    edited = load(site, parent.id)
    assert (edited.wants_reply_notice, edited.notice_confirmed_at) == (False, None)
    bob_replies(site, edited)
    assert_no_mail(mailbox)


def test_a_second_subscription_waits_while_the_first_confirmation_is_unanswered(site, mailbox):
    """Within a day, one confirmation an address has not answered is all it gets; once it is followed,
    the next subscription gets its own, and the one asked for in between stays unconfirmed."""
    reader = browser(site)
    reader.post(**ANN, notify="y")
    first = newest_comment(site)
    reader.post(**{**ANN, "comment": "And the saucers?"}, notify="y")
    waiting = newest_comment(site)
    [first_link] = links(only_mail(mailbox))

    confirm(site, first_link)
    reader.post(**{**ANN, "comment": "And the spoons?"}, notify="y")
    third = newest_comment(site)
    [third_link] = links(only_mail(mailbox))
    assert third_link != first_link
    confirm(site, third_link)

    assert [load(site, comment.id).notice_confirmed_at is not None for comment in (first, waiting, third)] == [
        True, False, True]
    bob_replies(site, waiting, comment="Saucers on the right.")
    reply = bob_replies(site, third, comment="Spoons in the drawer.")
    notice = only_mail(mailbox)
    assert f"#comment-{reply.id}" in notice.get_content()
    assert_no_mail(mailbox)


def test_unanswered_confirmation_is_sent_again_after_a_day(site, mailbox):
    reader = browser(site)
    reader.post(**ANN, notify="y")
    only_mail(mailbox)
    with site.app_context():
        address = db.session.get(NotifiedAddress, ANN["email"])
        address.confirmation_sent_at -= timedelta(days=1, minutes=1)
        db.session.commit()
    reader.post(**{**ANN, "comment": "And the spoons?"}, notify="y")
    [link] = links(only_mail(mailbox))
    confirm(site, link)
    assert newest_comment(site).notice_confirmed_at is not None


def test_each_subscription_is_confirmed_on_its_own(site, mailbox):
    """Having confirmed one comment, the owner gets a confirmation for the next and, once followed,
    notices for both."""
    first = ann_asks(site, mailbox)
    second = ann_asks(site, mailbox, comment="And the saucers?")

    replies = {bob_replies(site, first).id, bob_replies(site, second, comment="Saucers on the right.").id}

    join_mail_threads()
    notices = mailbox.wait_for(2)
    assert_no_mail_beyond(mailbox, 2)
    assert {message["To"] for message in notices} == {ANN["email"]}
    assert {int(re.search(r"#comment-(\d+)", message.get_content()).group(1)) for message in notices} == replies


def test_a_stranger_posting_as_a_confirmed_reader_gets_them_no_notice(site, mailbox):
    """Ann confirmed a comment; a stranger posts as Ann (approved at once: her name and address have an
    approved comment) and ticks the box; a reply to the stranger's comment mails Ann nothing: at most a
    confirmation naming the post, with nothing the stranger wrote."""
    ann_asks(site, mailbox)
    site.config["COMMENTS_MODERATION"] = "first-time"
    lure = "Your account is locked: log in at https://evil.example/ to read the replies."
    browser(site).post(**{**ANN, "comment": lure}, notify="y")
    strangers = newest_comment(site)
    assert strangers.status is CommentStatus.APPROVED and strangers.wants_reply_notice

    join_mail_threads()
    assert len(mailbox.messages) <= 1
    for confirmation in mailbox.messages:
        assert "confirm" in confirmation["Subject"].lower()
        assert "evil.example" not in confirmation.as_string() and "locked" not in confirmation.get_content()
    mailbox.messages.clear()
    site.config["COMMENTS_MODERATION"] = "none"
    bob_replies(site, strangers, comment="Log in where? Ann, see https://evil.example/ now.")
    assert newest_comment(site).status is CommentStatus.APPROVED
    assert_no_mail(mailbox)
    assert load(site, strangers.id).notice_confirmed_at is None


def test_confirmation_and_unsubscribing_in_dutch(site, mailbox):
    """Mail is written in the site's language; the pages answer in the reader's."""
    site.config["BABEL_DEFAULT_LOCALE"] = "nl"
    browser(site).post(**ANN, notify="y")
    confirmation = only_mail(mailbox)
    assert "reactie bij “Hello world”" in confirmation.get_content()
    [link] = links(confirmation)
    dutch = {"Accept-Language": "nl"}
    with site.test_client().get(path_of(link), headers=dutch) as page:
        assert [button for _, button in FORM.findall(page.get_data(as_text=True))] == ["Ja, mail mij over reacties"]
    with site.test_client().post(path_of(link), headers=dutch) as page:
        assert "Bevestigd: u ontvangt een e-mail" in page.get_data(as_text=True)
    link = unsubscribe_link(site, mailbox, newest_comment(site))
    with site.test_client().get(path_of(link), headers=dutch) as page:
        assert [button for _, button in FORM.findall(page.get_data(as_text=True))] == [
            "Reacties op deze reactie", "Reacties op elke reactie van dit adres"]
    with site.test_client().post(path_of(link) + "/all", headers=dutch) as done:
        assert "Gereed: u ontvangt geen e-mail meer" in done.get_data(as_text=True)


def test_expired_confirmation_is_refused(site, mailbox, monkeypatch):
    browser(site).post(**ANN, notify="y")
    [link] = links(only_mail(mailbox))
    monkeypatch.setattr("blog.comments.notice_addresses.CONFIRM_MAX_AGE", -1)
    for method in ("GET", "POST"):
        with site.test_client().open(path_of(link), method=method) as response:
            assert response.status_code == 400
    assert newest_comment(site).notice_confirmed_at is None
    with site.app_context():
        assert db.session.get(NotifiedAddress, ANN["email"]).confirmed_at is None


def test_spam_with_the_box_ticked_mails_no_one(site, mailbox):
    browser(site).post(**ANN, notify="y", homepage="https://bot.example/")
    assert newest_comment(site).status is CommentStatus.SPAM
    assert_no_mail(mailbox)


# --- notices ------------------------------------------------------------------------------------------------

def test_approved_reply_mails_the_parent_author_once(site, mailbox):
    parent = ann_asks(site, mailbox)

    reply = bob_replies(site, parent)

    assert reply.status is CommentStatus.APPROVED
    message = only_mail(mailbox)
    assert message["To"] == ANN["email"]
    assert "Bob Replier" in message["Subject"] and "Hello world" in message["Subject"]
    body = message.get_content()
    assert BOB["comment"] in body
    assert f"{SITE}/hello/#comment-{reply.id}" in body
    unsubscribe = f"{SITE}/comments/notices/unsubscribe/"
    assert message["List-Unsubscribe"].startswith(f"<{unsubscribe}")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"][1:-1] in body
    # Written out as the link itself, on one line: a mail client reads no encoded-word there.
    assert f"\nList-Unsubscribe: {message['List-Unsubscribe']}\r\n".encode() in message.raw
    assert_no_mail(mailbox)


def test_notice_quotes_a_short_plain_excerpt(site, mailbox):
    """A notice carries the start of the reply only, as text on one line, and the link to read it all."""
    parent = ann_asks(site, mailbox)
    words = " ".join(f"word{number}" for number in range(80))
    text = f"<b>Cups</b>   go on the\n\nleft, <em>always</em>: {words} <a href=\"https://cups.example/\">the end</a>."

    reply = bob_replies(site, parent, comment=text)

    body = only_mail(mailbox).get_content()
    [quoted] = [line for line in body.splitlines() if line.startswith("Cups go on the left, always: word0 ")]
    assert len(quoted) <= EXCERPT_MAX and quoted.endswith("…")
    assert quoted[:-1].split()[-1] in words.split()  # cut at a word, not inside one
    assert "<" not in body and "the end" not in body and "cups.example" not in body
    assert f"{SITE}/hello/#comment-{reply.id}" in body


def test_a_moderators_reply_from_the_queue_mails_the_author(site, mailbox, admin):
    parent = ann_asks(site, mailbox)
    admin.login()
    assert admin.post(f"/admin/comments/{parent.id}/reply", comment="Thanks, from the site.").status_code == 303
    message = only_mail(mailbox)
    assert message["To"] == ANN["email"] and "Thanks, from the site." in message.get_content()
    assert_no_mail(mailbox)


def test_held_reply_mails_nobody_until_approved_then_once(site, mailbox, admin):
    parent = ann_asks(site, mailbox)
    site.config["COMMENTS_MODERATION"] = "all"
    reply = bob_replies(site, parent)
    assert reply.status is CommentStatus.PENDING
    assert_no_mail(mailbox)

    admin.login()
    assert admin.post(f"/admin/comments/{reply.id}/approve").status_code == 303
    assert BOB["comment"] in only_mail(mailbox).get_content()

    admin.post(f"/admin/comments/{reply.id}/unapprove")
    admin.post(f"/admin/comments/{reply.id}/approve")
    assert newest_comment(site).status is CommentStatus.APPROVED
    assert_no_mail(mailbox)


def test_no_notice_without_confirmation(site, mailbox):
    browser(site).post(**ANN, notify="y")
    only_mail(mailbox)
    bob_replies(site, newest_comment(site))
    assert_no_mail(mailbox)


def test_no_notice_for_your_own_reply(site, mailbox):
    parent = ann_asks(site, mailbox)
    browser(site).post(**{**ANN, "comment": "Answering myself."}, parent=str(parent.id))
    assert_no_mail(mailbox)


def test_no_notice_when_not_asked_on_that_comment(site, mailbox):
    ann_asks(site, mailbox)
    browser(site).post(**{**ANN, "comment": "No mail for this one, thanks."})
    bob_replies(site, newest_comment(site))
    assert_no_mail(mailbox)


# --- stored text that breaks headers (issue 18) -------------------------------------------------------------

def approve(admin, how, comment_ids) -> list:
    """The moderator approves the comments one by one or in one bulk action: the responses."""
    admin.login()
    if how == "one by one":
        return [admin.post(f"/admin/comments/{comment_id}/approve") for comment_id in comment_ids]
    return [admin.post("/admin/comments/bulk", action="approve", ids=[str(comment_id) for comment_id in comment_ids])]


def held_reply_and_another(app, key, parent_id, **reply_fields) -> list[int]:
    """A held reply to ``parent_id`` and a held comment beside it, stored without the form: their ids."""
    with app.app_context():
        parent = db.session.get(Comment, parent_id)
        reply = make_comment(key, parent=parent, status=CommentStatus.PENDING,
                             **{"author": BOB["author"], "email": BOB["email"], **reply_fields})
        other = make_comment(key, author="Carol", email="carol@example.org", status=CommentStatus.PENDING)
        return [reply.id, other.id]


@pytest.mark.parametrize("how", ["one by one", "in bulk"])
def test_approving_a_reply_whose_author_has_a_line_break(site, post, mailbox, admin, how):
    with site.app_context():
        parent_id = subscribed(post)
    ids = held_reply_and_another(site, post, parent_id, author=BROKEN_NAME)

    responses = approve(admin, how, ids)

    assert [response.status_code for response in responses] == [303] * len(responses)
    assert [load(site, comment_id).status for comment_id in ids] == [CommentStatus.APPROVED] * 2
    notice = only_mail(mailbox)
    assert_clean_headers(notice, [ANN["email"]])
    assert notice["Subject"].startswith("Mallory Bcc: x@example.org replied to your comment")


@pytest.mark.parametrize("how", ["one by one", "in bulk"])
def test_approving_a_reply_to_an_address_with_a_line_break(site, post, mailbox, admin, caplog, how):
    """An address that is not one clean address is never mailed: the notice is logged as failed."""
    with site.app_context():
        parent_id = subscribed(post, email=BROKEN_ADDRESS)
    ids = held_reply_and_another(site, post, parent_id)

    responses = approve(admin, how, ids)

    assert [response.status_code for response in responses] == [303] * len(responses)
    assert [load(site, comment_id).status for comment_id in ids] == [CommentStatus.APPROVED] * 2
    assert_no_mail(mailbox)
    [record] = logged_errors(site, caplog)
    assert "reply notice" in record.getMessage()


def test_a_reply_approved_at_once_to_an_address_with_a_line_break(site, post, mailbox, caplog):
    with site.app_context():
        parent_id = subscribed(post, email=BROKEN_ADDRESS)

    response = browser(site).post(**BOB, parent=str(parent_id))

    assert response.status_code == 303
    reply = newest_comment(site)
    assert (reply.parent_id, reply.status) == (parent_id, CommentStatus.APPROVED)
    assert response.headers["Location"] == f"/hello/#comment-{reply.id}"
    assert_no_mail(mailbox)
    [record] = logged_errors(site, caplog)
    assert "reply notice" in record.getMessage()


def test_a_reply_approved_at_once_on_a_post_whose_title_has_a_line_break(site, mailbox):
    with site.app_context():
        key = f"post-{make_post(slug='broken', title=BROKEN_TITLE).id}"
        parent_id = subscribed(key)

    response = Reader(site.test_client(), page="/broken/").post(**BOB, parent=str(parent_id))

    assert response.status_code == 303
    notice = only_mail(mailbox)
    assert_clean_headers(notice, [ANN["email"]])
    assert notice["Subject"].endswith("on “Broken Bcc: x@example.org”")


# --- unsubscribing ------------------------------------------------------------------------------------------

def unsubscribe_link(site, mailbox, parent) -> str:
    """The unsubscribe link of the notice a reply to ``parent`` brings."""
    bob_replies(site, parent, comment=f"An answer to comment {parent.id}.")
    return only_mail(mailbox)["List-Unsubscribe"][1:-1]


def test_unsubscribe_page_offers_this_comment_or_the_whole_address_and_changes_nothing(site, mailbox):
    parent = ann_asks(site, mailbox)
    link = unsubscribe_link(site, mailbox, parent)
    page = follow(site, link)
    forms = FORM.findall(page)
    assert [button for _, button in forms] == ["Replies to this comment", "Replies to every comment from this address"]
    assert forms[0][0] == "" and forms[1][0] == path_of(link) + "/all"
    assert "@" not in forms[1][0]
    assert load(site, parent.id).wants_reply_notice


@pytest.mark.parametrize(("how", "still_notified"), [
    ("one-click", ["second"]),
    ("this comment", ["second"]),
    ("whole address", []),
])
def test_unsubscribing_stops_this_comment_or_every_comment_of_the_address(site, mailbox, how, still_notified):
    comments = {"first": ann_asks(site, mailbox), "second": ann_asks(site, mailbox, comment="And the saucers?")}
    link = unsubscribe_link(site, mailbox, comments["first"])

    if how == "one-click":  # RFC 8058: the mail client POSTs, with no cookie and no CSRF token
        site.config["WTF_CSRF_ENABLED"] = True
        with site.test_client(use_cookies=False) as mail_client:
            response = mail_client.post(path_of(link), data={"List-Unsubscribe": "One-Click"})
    else:
        action = dict((button, action) for action, button in FORM.findall(follow(site, link)))[
            "Replies to this comment" if how == "this comment" else "Replies to every comment from this address"]
        response = site.test_client().post(action or path_of(link))
    assert response.status_code == 200
    assert "Done" in response.get_data(as_text=True)

    expected = set()
    for name, comment in comments.items():
        reply = bob_replies(site, comment, comment=f"One more thing about {name}.")
        if name in still_notified:
            expected.add(reply.id)
    assert_no_mail_beyond(mailbox, len(expected))
    assert {int(re.search(r"#comment-(\d+)", message.get_content()).group(1)) for message in mailbox.messages} == (
        expected)


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
    ("POST", "/comments/notices/unsubscribe/MQ.forged/all"),
])
def test_bad_tokens_are_refused(site, method, path):
    response = site.test_client().open(path, method=method)
    assert response.status_code == 400


def test_a_confirmation_link_does_not_unsubscribe(site, mailbox):
    """Salts keep the two kinds of token apart."""
    browser(site).post(**ANN, notify="y")
    [link] = links(only_mail(mailbox))
    token = link.rsplit("/", 1)[1]
    assert site.test_client().post(f"/comments/notices/unsubscribe/{token}").status_code == 400
    assert site.test_client().post(f"/comments/notices/unsubscribe/{token}/all").status_code == 400


def test_no_mail_has_an_address_in_a_url(site, mailbox):
    parent = ann_asks(site, mailbox)
    bob_replies(site, parent)
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


def test_reply_notices_on_each_database(matrix_comments_app):
    """The once-a-day claim, the per-comment confirmation and the notice, on SQLite, PostgreSQL and MariaDB."""
    app = matrix_comments_app
    app.config.update(COMMENTS_MODERATION="none", COMMENTS_SITE_URL=SITE)
    with Mailbox() as mailbox:
        app.config.update(MAIL_SERVER=mailbox.host, MAIL_PORT=mailbox.port)
        reader = browser(app)
        reader.post(**ANN, notify="y")
        reader.post(**{**ANN, "comment": "Twice."}, notify="y")
        [link] = links(only_mail(mailbox))  # the second post is within the day: no mail of its own
        confirm(app, link)
        with app.app_context():
            first, second = db.session.scalars(select(Comment).order_by(Comment.id)).all()
        bob_replies(app, second, comment="Not mailed: never confirmed.")
        bob_replies(app, first)
        assert BOB["comment"] in only_mail(mailbox).get_content()
