"""Where each answer to the comment form lands its reader (issue 17), over HTTP: at its message, which
takes the focus. The 303 after a comment, held or approved, leads to the comment itself (#comment-<id>,
a box that takes the focus); the page again after a refusal of the whole form opens at its message (the
form's action ends in #form-error: an alert that takes the focus); after a mistake in a field, at that
field (autofocus, as no #form-error is there to take it). With "Notify me" ticked, the poster's page,
and theirs alone, says that a mail asks them to confirm. The browser journeys: tests/browser/test_feedback.py."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from blog.comments import Comment
from blog.comments.cookies import NOTICE_COOKIE, NOTICE_MAX_AGE
from blog.extensions import db, utcnow
from tests.comments.test_notifications import join_mail_threads
from tests.factories import make_comment
from tests.pages import by_id, folded_text, parse_page
from tests.readers import Reader
from tests.statements import recorded_statements

INBOX = "Check your inbox: follow the link in our confirmation mail to get mail about replies."
DUTCH_INBOX = "Controleer uw inbox: volg de link in onze bevestigingsmail om e-mails over reacties te ontvangen."
HELD = "Your comment is awaiting moderation."
DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"
FLOOD = "You are posting comments too quickly. Slow down."
EXPIRED = "This form has expired or did not come from this site. Nothing was posted; please send it again."
PARENT_GONE = "The comment you are replying to is not available."
# A post token from 2001: long past the form's lifetime.
OLD_TOKEN = "1000000000.c2lnbmVkIGxvbmcgYWdv"


def newest(app) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()


def landing(response) -> tuple[str, str]:
    """The path and the fragment a 303 leads to."""
    location = urlsplit(response.headers["Location"])
    return location.path, location.fragment


def autofocused(document) -> list[str]:
    return [element.get("id") for element in document.iter() if element.get("autofocus") is not None]


def set_cookies(response) -> dict[str, str]:
    return dict(header.split(";", 1)[0].split("=", 1) for header in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("moderation", ["all", "none"], ids=["held", "approved"])
def test_a_comment_leads_its_poster_to_itself_in_a_box_that_takes_the_focus(app, reader, moderation):
    app.config["COMMENTS_MODERATION"] = moderation
    response = reader.post(comment="Where does this land?")
    comment = newest(app)
    assert response.status_code == 303
    assert landing(response) == ("/hello/", f"comment-{comment.id}")

    document = parse_page(reader.get())
    box = by_id(document, f"comment-{comment.id}")
    assert box.tag == "li" and box.get("tabindex") == "-1"
    assert "Where does this land?" in folded_text(box)
    assert (HELD in folded_text(box)) is (moderation == "all")
    assert INBOX not in folded_text(document.find("body")), "no notice unless the box was ticked"
    assert NOTICE_COOKIE not in set_cookies(response)


def test_every_comment_box_takes_the_focus_from_its_address(blog):
    """A comment's permalink (#comment-<id>) puts the focus on it too, for every reader."""
    first = blog.add(author="Ann")
    reply = blog.add(parent=first, author="Bob")
    document = blog.page()
    assert [by_id(document, f"comment-{number}").get("tabindex") for number in (first, reply)] == ["-1", "-1"]


def refuse_as_duplicate(app, reader):
    assert reader.post(comment="Said once.").status_code == 303
    return reader.post(comment="Said once."), DUPLICATE


def refuse_as_flood(app, reader):
    app.config["COMMENTS_FLOOD_SECONDS"] = 60
    assert reader.post(comment="A first thought.").status_code == 303
    return reader.post(comment="A second thought, too soon."), FLOOD


def refuse_as_expired(app, reader):
    return reader.post(comment="Written in an old tab.", csrf_token=OLD_TOKEN), EXPIRED


def refuse_for_a_parent_gone(app, reader):
    return reader.post(comment="Answering nobody.", parent="987654"), PARENT_GONE


@pytest.mark.parametrize(("refuse", "status"), [
    (refuse_as_duplicate, 409), (refuse_as_flood, 429), (refuse_as_expired, 400), (refuse_for_a_parent_gone, 400),
], ids=["duplicate", "flood", "expired-form", "parent-gone"])
def test_a_refused_form_opens_at_its_message_which_takes_the_focus(app, reader, refuse, status):
    action = by_id(parse_page(reader.get()), "commentform").get("action")
    assert action == "/hello/comments#form-error", "the page again opens at the form's message"

    response, message = refuse(app, reader)
    assert response.status_code == status
    document = parse_page(response)
    error = by_id(document, "form-error")
    assert folded_text(error) == message
    assert (error.get("role"), error.get("tabindex")) == ("alert", "-1")
    assert autofocused(document) == [], "the fragment gives the focus to the message, no field takes it"


def test_a_mistake_in_a_field_leaves_the_focus_to_that_field(reader):
    """No whole-form message, so no #form-error: the fragment of the form's action finds nothing, and the
    first wrong field's autofocus places the focus (a browser skips autofocus when a fragment finds its target)."""
    response = reader.post(comment="Fine.", email="not an address")
    assert response.status_code == 400
    document = parse_page(response)
    assert by_id(document, "form-error") is None
    assert autofocused(document) == ["email"]
    assert folded_text(by_id(document, "email-error")) == "Please enter a valid email address."


@pytest.fixture
def noticing(app, post, mailbox):
    """The blog with its mail server, for comments that ask for reply notices."""
    return app


def post_asking(app, language=None, **fields):
    """A reader of their own posts a comment with "Notify me" ticked: the reader and the 303."""
    poster = Reader(app.test_client())
    response = poster.post(language=language, notify="y", **fields)
    join_mail_threads()
    assert response.status_code == 303
    return poster, response


@pytest.mark.parametrize("moderation", ["all", "none"], ids=["held", "approved"])
def test_ticking_notify_tells_the_poster_alone_to_check_their_inbox(noticing, moderation):
    noticing.config["COMMENTS_MODERATION"] = moderation
    stranger = Reader(noticing.test_client())
    stranger.get()  # the shared page and its comments' renderings are kept before the poster comes

    poster, response = post_asking(noticing, comment="Tell me when someone answers.")
    comment = newest(noticing)
    assert landing(response) == ("/hello/", f"comment-{comment.id}")
    assert NOTICE_COOKIE in set_cookies(response)
    assert f"Max-Age={NOTICE_MAX_AGE}" in next(header for header in response.headers.getlist("Set-Cookie")
                                                if header.startswith(NOTICE_COOKIE))

    own = poster.get()
    assert own.cache_control.private and own.cache_control.no_store
    box = by_id(parse_page(own), f"comment-{comment.id}")
    assert INBOX in folded_text(box) and (HELD in folded_text(box)) is (moderation == "all")

    for _ in range(2):  # not kept for others, whatever cache the poster's page went through
        shared = stranger.get()
        assert INBOX not in shared.get_data(as_text=True)
    assert poster.get().get_data(as_text=True).count(INBOX) == 1, "the poster's own page again"


def test_the_notice_cookie_alone_makes_the_page_the_posters_own(noticing):
    noticing.config["COMMENTS_MODERATION"] = "none"
    poster, _response = post_asking(noticing)
    notice = poster.client.get_cookie(NOTICE_COOKIE).value
    alone = Reader(noticing.test_client())
    alone.client.set_cookie(NOTICE_COOKIE, notice)
    page = alone.get()
    assert page.cache_control.private and page.cache_control.no_store and "Cookie" in page.vary
    assert INBOX in page.get_data(as_text=True)


def test_the_inbox_notice_goes_once_the_notices_are_confirmed(noticing):
    noticing.config["COMMENTS_MODERATION"] = "none"
    poster, _response = post_asking(noticing)
    with noticing.app_context():
        db.session.get(Comment, newest(noticing).id).notice_confirmed_at = utcnow()
        db.session.commit()
    assert INBOX not in poster.get().get_data(as_text=True)


def test_the_inbox_notice_in_dutch(noticing):
    poster, _response = post_asking(noticing, language="nl")
    box = by_id(parse_page(poster.get(language="nl")), f"comment-{newest(noticing).id}")
    assert DUTCH_INBOX in folded_text(box)


@pytest.mark.parametrize("forgery", ["unsigned", "another secret", "not an id"])
def test_a_forged_notice_cookie_shows_nothing(noticing, post, forgery):
    """Another's comment that asked for notices: a forged cookie must not tell that its author did."""
    with noticing.app_context():
        victim = make_comment(post, author="Vic", email="vic@example.org", wants_reply_notice=True).id
    value = {"unsigned": str(victim),
             "another secret": URLSafeSerializer("not the site's secret", salt="comments-notice").dumps(victim),
             "not an id": URLSafeSerializer(noticing.secret_key, salt="comments-notice").dumps([victim])}[forgery]
    attacker = Reader(noticing.test_client())
    attacker.client.set_cookie(NOTICE_COOKIE, value)
    page = attacker.get()
    assert page.status_code == 200 and INBOX not in page.get_data(as_text=True)


@pytest.mark.parametrize("approved_before", [0, 2, 3])
def test_a_held_comment_leads_to_the_last_page_which_shows_it(make_blog, database_url, approved_before):
    """Held top-level comments are shown to their author on the thread's last page: a full last page
    must not send them to the page past it (which is 404)."""
    blog = make_blog(database_url, COMMENTS_PER_PAGE=2, COMMENTS_MODERATION="all")
    for number in range(approved_before):
        blog.add(author=f"Reader {number}")
    response = blog.reader.post(comment="Held at the end of the thread.")
    path = response.headers["Location"].split("#")[0]
    assert path == ("/hello/?comments_page=2" if approved_before > 2 else "/hello/")
    page = blog.reader.get(path)
    assert page.status_code == 200
    box = by_id(parse_page(page), landing(response)[1])
    assert "Held at the end of the thread." in folded_text(box) and HELD in folded_text(box)


def thread_counts_in(blog, post) -> list[str]:
    """The statements of a POST (``post()``) that count the thread or the comments before one."""
    with recorded_statements(blog.app) as statements:
        response = post()
    assert response.status_code == 303
    return [statement for statement in statements if "UNION ALL" in statement or "created_at <" in statement]


@pytest.mark.parametrize("approved_before", [0, 1, 2, 3, 4])
def test_an_approved_comment_leads_to_the_page_it_ends(make_blog, database_url, approved_before):
    """A new comment is the last of its thread: it is on the last page, the page past a full one."""
    blog = make_blog(database_url, COMMENTS_PER_PAGE=2, COMMENTS_FLOOD_SECONDS=0)
    for number in range(approved_before):
        blog.add(author=f"Reader {number}")
    response = Reader(blog.app.test_client()).post(comment="At the end of the thread.")
    path, fragment = landing(response)
    page_number = approved_before // 2 + 1
    assert response.headers["Location"].split("#")[0] == ("/hello/" if page_number == 1
                                                          else f"/hello/?comments_page={page_number}")
    assert "At the end of the thread." in folded_text(by_id(parse_page(blog.get(
        response.headers["Location"].split("#")[0])), fragment))


def test_a_comment_that_comes_in_before_others_leads_to_its_own_page(make_blog):
    """A comment's time is taken before it waits for the write lock (and hosts' clocks differ): one may
    land before comments stored already, and its page is then counted."""
    blog = make_blog(COMMENTS_PER_PAGE=2)
    later = utcnow() + timedelta(hours=1)
    for offset in range(3):
        blog.add(author=f"Later {offset}", created_at=later + timedelta(minutes=offset))
    response = Reader(blog.app.test_client()).post(comment="Before all of them.")
    assert response.headers["Location"].startswith("/hello/#comment-")


def test_posting_counts_the_thread_once_a_worker_then_follows_the_counts(make_blog):
    blog = make_blog(COMMENTS_PER_PAGE=2, COMMENTS_FLOOD_SECONDS=0)
    blog.add(author="Ann")
    first = thread_counts_in(blog, lambda: Reader(blog.app.test_client()).post(comment="First."))
    assert len(first) == 1  # the thread counted, in the write lock
    again = thread_counts_in(blog, lambda: Reader(blog.app.test_client()).post(comment="Second."))
    assert again == []  # one more than the counts kept: no count of the thread
    response = Reader(blog.app.test_client()).post(comment="Third.")
    assert response.headers["Location"].startswith("/hello/?comments_page=2#comment-")
