"""Whole post pages kept per worker (blog.comments.page_cache): each reader's page has their own
token and a fresh stamp, nobody's own details or held comments are ever kept, a change anywhere
shows on the next request from any worker, and an unchanged page is answered with 304."""

import re

import pytest
from flask import template_rendered
from sqlalchemy import event, select

from blog.comments.thread_cache import touch_thread
from blog.comments.timing import form_age
from blog.extensions import db
from blog.posts.models import Post
from tests.factories import make_app, make_comment, make_post
from tests.readers import CSRF_TOKEN, FORM_STAMP, Reader


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


def test_a_kept_page_runs_one_query_and_no_template_on_every_database(matrix_comments_app):
    first, _ = rendering(matrix_comments_app, "/hello/")
    assert first > 1
    again, rendered = rendering(matrix_comments_app, "/hello/")
    assert again <= 1 and rendered == []  # the post and its thread's version, together, if anything


def test_on_sqlite_a_kept_page_runs_no_query_until_anything_is_committed(blog):
    rendering(blog, "/hello/")
    assert rendering(blog, "/hello/") == (0, [])
    with blog.app_context():  # a commit anywhere, even on another thread, sends the next view to the database
        touch_thread("post-999")
        db.session.commit()
    assert rendering(blog, "/hello/") == (1, [])
    assert rendering(blog, "/hello/") == (0, [])


def test_each_reader_of_a_kept_page_gets_a_token_of_their_own_session(blog):
    first, second = Reader(blog.test_client()), Reader(blog.test_client())
    first.get()  # the page is kept from here on
    first_token, second_token = first.csrf_token(), second.csrf_token()
    assert first_token != second_token
    assert second.post(comment="Mine, with my own token.").status_code == 303
    stolen = {"csrf_token": first_token}
    assert Reader(blog.test_client()).post(comment="With someone else's token.", **stolen).status_code == 400


def test_every_view_of_a_kept_page_has_a_fresh_signed_stamp(blog):
    reader = Reader(blog.test_client())
    pages = [reader.get().get_data(as_text=True) for _ in range(2)]
    stamps = [FORM_STAMP.search(page).group(1) for page in pages]
    with blog.test_request_context():
        ages = [form_age(stamp) for stamp in stamps]
    assert all(age is not None and 0 <= age < 60 for age in ages)
    assert "csrf-" not in pages[1] and "issued-" not in pages[1]  # no slot left unfilled


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
    assert own.headers.get("ETag") is None
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


def test_an_unchanged_page_is_answered_304_for_the_same_session(blog):
    reader = Reader(blog.test_client())
    page = reader.get()
    etag = page.headers["ETag"]
    assert etag.startswith('W/"') and "no-cache" in page.headers["Cache-Control"]
    with reader.client.get("/hello/", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.get_data() == b""
    with blog.test_client().get("/hello/", headers={"If-None-Match": etag}) as stranger:
        assert stranger.status_code == 200  # another session: its own token, so not the same page
    with reader.client.get("/hello/", headers={"If-None-Match": etag, "Accept-Language": "nl"}) as dutch:
        assert dutch.status_code == 200 and "Laat een reactie achter" in dutch.get_data(as_text=True)


def test_a_new_comment_or_an_edited_post_changes_the_etag(blog):
    reader = Reader(blog.test_client())
    etag = reader.get().headers["ETag"]
    assert reader.post(comment="A new comment changes the page.").status_code == 303
    with reader.client.get("/hello/", headers={"If-None-Match": etag}) as after_comment:
        assert after_comment.status_code == 200
        assert "A new comment changes the page." in after_comment.get_data(as_text=True)
        etag = after_comment.headers["ETag"]
    with blog.app_context():
        post = db.session.scalar(select(Post))
        post.set_body("A rewritten body.")
        db.session.commit()
    with reader.client.get("/hello/", headers={"If-None-Match": etag}) as after_edit:
        assert after_edit.status_code == 200 and "A rewritten body." in after_edit.get_data(as_text=True)


def test_a_page_from_an_earlier_ten_minutes_is_sent_again_with_a_fresh_form(blog, monkeypatch):
    reader = Reader(blog.test_client())
    etag = reader.get().headers["ETag"]
    import blog.comments.page_cache as page_cache
    later = page_cache.time.time() + page_cache.FORM_REFRESH_SECONDS
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    with reader.client.get("/hello/", headers={"If-None-Match": etag}) as response:
        assert response.status_code == 200 and CSRF_TOKEN.search(response.get_data(as_text=True))


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
        assert unchanged.status_code == 304
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
        assert feed.status_code == 200 and "no-cache" in feed.headers["Cache-Control"]
    with blog.test_client().get("/comments/feed/", headers={"If-None-Match": etag}) as unchanged:
        assert unchanged.status_code == 304
    assert Reader(blog.test_client()).post(comment="New on the site.").status_code == 303
    with blog.test_client().get("/comments/feed/", headers={"If-None-Match": etag}) as changed:
        assert changed.status_code == 200 and "New on the site." in changed.get_data(as_text=True)
