"""Whole post pages (blog.comments.page_cache): every reader without a cookie of ours gets the same
bytes, with no cookie and headers any cache may act on; nobody's own details or held comments are
ever kept or shared; a change anywhere shows on the next request from any worker; and an unchanged
page is answered with 304."""

import re

import pytest
from flask import template_rendered
from sqlalchemy import event, select

from blog.comments.cookies import AUTHOR_COOKIE, HELD_COOKIE, POSTED_COOKIE
from blog.comments.thread_cache import VersionedCache, touch_thread
from blog.comments.timing import read_form_stamp
from blog.extensions import db
from blog.posts.models import Post
from tests.factories import make_app, make_comment, make_post
from tests.readers import CSRF_TOKEN, FORM_STAMP, Reader


def cache_control(response) -> set[str]:
    return set(response.headers.get("Cache-Control", "").replace(" ", "").split(","))


@pytest.fixture
def blog(tmp_path):
    app = make_app(tmp_path, COMMENTS_MODERATION="none")
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello")
    return app


def queries_for(app, path, **headers) -> tuple[int, object]:
    """How many SQL queries one GET runs, and its response."""
    count = 0

    def counted(_connection, _cursor, statement, *_):
        nonlocal count
        count += statement.lstrip().upper().startswith("SELECT")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        with app.test_client().get(path, headers=headers) as response:
            response.get_data()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count, response


def rendering(app, path) -> tuple[int, list[str]]:
    """The queries one GET runs and the templates it renders."""
    rendered = []

    def record(_app, template, **_):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        count, response = queries_for(app, path)
    assert response.status_code == 200 and "Leave a Reply" in response.get_data(as_text=True)
    return count, rendered


def test_a_kept_page_runs_one_query_and_no_template_on_every_database(matrix_comments_app, clock):
    first, _ = rendering(matrix_comments_app, "/hello/")
    assert first > 1
    again, rendered = rendering(matrix_comments_app, "/hello/")
    assert again <= 1 and rendered == []  # the post and its thread's version, together, if anything


def test_on_sqlite_a_kept_page_runs_no_query_until_anything_is_committed(blog, clock):
    rendering(blog, "/hello/")
    assert rendering(blog, "/hello/") == (0, [])
    with blog.app_context():  # a commit anywhere, even on another thread, sends the next view to the database
        touch_thread("post-999")
        db.session.commit()
    assert rendering(blog, "/hello/") == (1, [])
    assert rendering(blog, "/hello/") == (0, [])



def test_a_new_comment_renders_the_thread_again_not_the_form_of_the_window(blog, clock):
    """The shared page's form is the same all window long (token and stamp of the window): after a new
    comment each worker renders the thread again, and puts it in the section it rendered once a window.
    The page is what a whole rendering makes, and its form still posts."""
    rendering(blog, "/hello/")
    with blog.app_context():
        make_comment("post-1", body_raw="Something new.")
    _count, rendered = rendering(blog, "/hello/")
    assert "comments/_thread.html" in rendered and "comments/_section.html" not in rendered
    framed = Reader(blog.test_client()).get().get_data()
    blog.extensions["comments.rendered_threads"] = VersionedCache()  # no frame kept: everything rendered
    blog.extensions["comments.rendered_pages"] = VersionedCache()
    assert Reader(blog.test_client()).get().get_data() == framed
    clock.now += blog.config["COMMENTS_FORM_WINDOW_SECONDS"]
    assert "comments/_section.html" in rendering(blog, "/hello/")[1]  # a new window, a new form
    assert Reader(blog.test_client()).post(comment="From the framed form.").status_code == 303


def test_every_cookieless_reader_gets_the_same_bytes_and_no_cookie(blog, clock):
    responses = [Reader(blog.test_client()).get() for _ in range(3)]  # rendered, then kept
    assert len({response.get_data() for response in responses}) == 1
    for response in responses:
        assert "Set-Cookie" not in response.headers
        assert cache_control(response) == {"public", "max-age=60", "stale-while-revalidate=60"}
        assert response.headers["Vary"] == "Accept-Language"
        assert not response.headers["ETag"].startswith("W/")
    assert len({response.headers["ETag"] for response in responses}) == 1
    assert Reader(blog.test_client()).post(comment="From the shared page, with no cookie.").status_code == 303


def test_the_cache_headers_follow_the_settings(blog, clock):
    blog.config.update(COMMENTS_CACHE_MAX_AGE=5, COMMENTS_CACHE_STALE_WHILE_REVALIDATE=0)
    page = Reader(blog.test_client()).get()
    assert cache_control(page) == {"public", "max-age=5", "stale-while-revalidate=0"}
    with blog.test_client().get("/hello/feed/") as feed:
        assert cache_control(feed) == {"public", "max-age=5", "stale-while-revalidate=0"}


def test_the_shared_page_changes_with_the_window_and_its_older_forms_still_post(blog, clock):
    earlier = Reader(blog.test_client())
    earlier_page = earlier.get().get_data(as_text=True)
    clock.now += blog.config["COMMENTS_FORM_WINDOW_SECONDS"]
    later_page = Reader(blog.test_client()).get().get_data(as_text=True)
    assert CSRF_TOKEN.search(earlier_page).group(1) != CSRF_TOKEN.search(later_page).group(1)
    assert FORM_STAMP.search(earlier_page).group(1) != FORM_STAMP.search(later_page).group(1)
    assert earlier.post(comment="Sent a window later.").status_code == 303


@pytest.mark.parametrize("cookie", ["session", HELD_COOKIE, AUTHOR_COOKIE, POSTED_COOKIE])
def test_a_reader_with_a_cookie_of_ours_or_a_session_gets_a_private_page(blog, clock, cookie):
    Reader(blog.test_client()).get()  # the shared page is kept
    client = blog.test_client()
    client.set_cookie(cookie, "anything")
    with client.get("/hello/") as own:
        assert own.status_code == 200 and "Leave a Reply" in own.get_data(as_text=True)
        assert {"private", "no-store"} <= cache_control(own) and "public" not in cache_control(own)
        assert "Cookie" in own.headers["Vary"]


def test_a_reader_with_a_session_posts_with_a_token_of_that_session(blog, clock):
    reader = Reader(blog.test_client())
    reader.get("/admin/login")  # any page that gives the browser a session
    shared = CSRF_TOKEN.search(Reader(blog.test_client()).get().get_data(as_text=True)).group(1)
    assert reader.csrf_token() != shared
    assert reader.post(comment="With my session's token.").status_code == 303
    assert reader.post(comment="With the shared page's token.", csrf_token=shared).status_code == 400


def test_a_stamp_on_the_shared_page_names_its_window(blog, clock):
    clock.now += 30
    page = Reader(blog.test_client()).get().get_data(as_text=True)
    with blog.test_request_context():
        stamp = read_form_stamp(FORM_STAMP.search(page).group(1))
    assert stamp.window == 60 and stamp.age == 30  # the window began 30 s before the page was served
    assert 'data-renew="/comments/form-stamp"' in page


def test_held_comments_and_remembered_details_are_never_kept_for_others(tmp_path):
    app = make_app(tmp_path)  # first-time moderation: a first comment is held
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello")
    author, stranger = Reader(app.test_client()), Reader(app.test_client())
    stranger.get()
    author.post(author="Held Author", email="held@example.org", comment="Only my browser sees this.", remember="y")
    own = author.get()
    assert "Only my browser sees this." in own.get_data(as_text=True)
    assert {"private", "no-store"} <= set(own.headers["Cache-Control"].replace(" ", "").split(","))
    assert own.headers.get("ETag") is None and "Cookie" in own.headers["Vary"]
    for reader in (stranger, Reader(app.test_client())):
        page = reader.get().get_data(as_text=True)
        assert "Only my browser sees this." not in page and "held@example.org" not in page
        assert "Held Author" not in page


def test_a_reply_link_gets_its_own_page_and_leaves_the_kept_one_alone(blog):
    with blog.app_context():
        key = f"post-{db.session.scalar(select(Post.id))}"
        comment_id = make_comment(key, author="Mia").id
    reader = Reader(blog.test_client())
    reader.get()
    heading = re.compile(r'id="reply-title-text"[^>]*>\s*Leave a Reply to Mia')
    assert heading.search(reader.get(f"/hello/?replytocom={comment_id}").get_data(as_text=True))
    assert not heading.search(reader.get().get_data(as_text=True))


def test_an_unchanged_page_is_answered_304_to_any_reader_who_has_it(blog, clock):
    page = Reader(blog.test_client()).get()
    etag = page.headers["ETag"]
    with blog.test_client().get("/hello/", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.get_data() == b""
        assert "Set-Cookie" not in again.headers
    with blog.test_client().get("/hello/", headers={"If-None-Match": etag, "Accept-Language": "nl"}) as dutch:
        assert dutch.status_code == 200 and "Laat een reactie achter" in dutch.get_data(as_text=True)
    clock.now += 60  # a new window: a new form, so a new page
    with blog.test_client().get("/hello/", headers={"If-None-Match": etag}) as renewed:
        assert renewed.status_code == 200 and renewed.headers["ETag"] != etag


def test_a_new_comment_or_an_edited_post_changes_the_etag(blog):
    etag = Reader(blog.test_client()).get().headers["ETag"]
    assert Reader(blog.test_client()).post(comment="A new comment changes the page.").status_code == 303
    with blog.test_client().get("/hello/", headers={"If-None-Match": etag}) as after_comment:
        assert after_comment.status_code == 200
        assert "A new comment changes the page." in after_comment.get_data(as_text=True)
        etag = after_comment.headers["ETag"]
    with blog.app_context():
        post = db.session.scalar(select(Post))
        post.set_body("A rewritten body.")
        db.session.commit()
    with blog.test_client().get("/hello/", headers={"If-None-Match": etag}) as after_edit:
        assert after_edit.status_code == 200 and "A rewritten body." in after_edit.get_data(as_text=True)


def page_of(app, path="/hello/") -> tuple[int, str]:
    with app.test_client().get(path) as response:
        return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("change", ["title", "body", "comments closed", "unpublished"])
def test_a_post_changed_in_one_worker_shows_in_the_other_at_once(two_workers, change):
    first, second, _key = two_workers
    for app in (first, second):
        assert page_of(app)[0] == 200
    with first.app_context():
        post = db.session.scalar(select(Post))
        if change == "title":
            post.title = "A new title"
        elif change == "body":
            post.set_body("A rewritten body.")
        elif change == "comments closed":
            post.comments_open = False
        else:
            post.status = "draft"
        db.session.commit()
    status, page = page_of(second)
    expected = {"title": "A new title", "body": "A rewritten body.", "comments closed": "Comments are closed."}
    if change == "unpublished":
        assert status == 404
    else:
        assert status == 200 and expected[change] in page


def test_the_thread_feed_is_kept_and_answered_304_until_a_comment_changes_it(two_workers):
    first, second, _key = two_workers
    with second.test_client().get("/hello/feed/") as feed:
        assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
        etag = feed.headers["ETag"]
    with second.test_client().get("/hello/feed/", headers={"If-None-Match": etag}) as unchanged:
        assert unchanged.status_code == 304  # the other worker rendered the same bytes
    assert Reader(first.test_client()).post(comment="Fresh in the feed.").status_code == 303
    with second.test_client().get("/hello/feed/", headers={"If-None-Match": etag}) as changed:
        assert changed.status_code == 200 and "Fresh in the feed." in changed.get_data(as_text=True)
        assert changed.mimetype == "application/atom+xml"


def test_a_post_with_comments_closed_is_kept_without_giving_anyone_a_session(blog):
    with blog.app_context():
        db.session.scalar(select(Post)).comments_open = False
        db.session.commit()
    for _ in range(2):  # rendered, then kept
        with blog.test_client().get("/hello/") as response:
            assert "Comments are closed." in response.get_data(as_text=True)
            assert "Set-Cookie" not in response.headers and "ETag" in response.headers


def test_the_site_feed_is_answered_304_until_it_changes(blog):
    assert Reader(blog.test_client()).post(comment="First on the site.").status_code == 303
    with blog.test_client().get("/comments/feed/") as feed:
        etag = feed.headers["ETag"]
        assert feed.status_code == 200 and "public" in cache_control(feed) and not etag.startswith("W/")
    with blog.test_client().get("/comments/feed/", headers={"If-None-Match": etag}) as unchanged:
        assert unchanged.status_code == 304
    assert Reader(blog.test_client()).post(comment="New on the site.").status_code == 303
    with blog.test_client().get("/comments/feed/", headers={"If-None-Match": etag}) as changed:
        assert changed.status_code == 200 and "New on the site." in changed.get_data(as_text=True)


def test_two_workers_render_the_same_bytes_for_the_same_window(two_workers, clock):
    first, second, _key = two_workers
    pages = [app.test_client().get("/hello/") for app in (first, second)]
    assert pages[0].get_data() == pages[1].get_data() and pages[0].headers["ETag"] == pages[1].headers["ETag"]


def test_a_post_marks_its_browser_and_drops_what_its_cache_kept(blog, clock):
    response = Reader(blog.test_client()).post(comment="Show me my comment, not a kept page.")
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache"'
    [posted] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{POSTED_COOKIE}=")]
    assert "Max-Age=120" in posted and "HttpOnly" in posted
    blog.config.update(COMMENTS_CACHE_MAX_AGE=0, COMMENTS_CACHE_STALE_WHILE_REVALIDATE=0)
    again = Reader(blog.test_client()).post(comment="Nothing is kept, so nothing to mark.")
    assert not any(value.startswith(f"{POSTED_COOKIE}=") for value in again.headers.getlist("Set-Cookie"))
