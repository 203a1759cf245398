"""The rendered-thread cache: every change shows on the very next request from any worker, and no
visitor ever sees another's token, details or held comments."""

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from blog.comments import Comment
from blog.comments.moderation import apply_action, edit_comment
from blog.extensions import db
from tests.factories import make_app, make_comment, make_post
from tests.readers import CSRF_TOKEN, Reader
from tests.servers import blog_environment, flask_command, gunicorn


def page_of(app) -> str:
    with app.test_client().get("/hello/") as response:
        return response.get_data(as_text=True)


def change(app, action, comment_id):
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        if action == "edit":
            edit_comment(comment, comment.author, comment.email, comment.url, "Edited words.", "tester")
        else:
            apply_action(action, comment, "tester")
        db.session.commit()


@pytest.mark.parametrize(("start", "action", "is_shown_after"), [
    ("pending", "approve", True),
    ("approved", "unapprove", False),
    ("approved", "spam", False),
    ("approved", "trash", False),
    ("approved", "edit", True),
])
def test_a_change_in_one_worker_shows_in_the_other_at_once(two_workers, start, action, is_shown_after):
    first, second, key = two_workers
    with first.app_context():
        comment_id = make_comment(key, status=start, body_raw="Original words.").id
    for app in (first, second):  # both workers cache the thread as it is
        assert ("Original words." in page_of(app)) is (start == "approved")
    change(first, action, comment_id)
    expected = "Edited words." if action == "edit" else "Original words."
    assert (expected in page_of(second)) is is_shown_after
    assert (expected in page_of(first)) is is_shown_after


def test_a_new_approved_comment_shows_in_the_other_worker_at_once(two_workers):
    first, second, _key = two_workers
    page_of(second)
    assert Reader(first.test_client()).post(comment="Fresh from the first worker.").status_code == 303
    assert "Fresh from the first worker." in page_of(second)


def test_visitors_never_see_each_others_token_details_or_held_comments(tmp_path):
    app = make_app(tmp_path)  # first-time moderation: the first comment is held
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello")
    author, stranger = Reader(app.test_client()), Reader(app.test_client())
    stranger.get()  # the stranger warms the cache first
    author.post(author="Held Author", email="held@example.org", url="https://held.example/",
                comment="Only my browser sees this.", remember="y")
    author_page = author.get().get_data(as_text=True)
    again = stranger.get().get_data(as_text=True)
    assert "Only my browser sees this." in author_page and "Only my browser sees this." not in again
    assert "held@example.org" in author_page and "held@example.org" not in again
    # the stranger's page is every cookieless reader's, and its form posts
    assert again == Reader(app.test_client()).get().get_data(as_text=True)
    assert stranger.post(csrf_token=CSRF_TOKEN.search(again).group(1), comment="Mine.").status_code == 303


@pytest.mark.processes
def test_approval_shows_on_the_next_request_from_every_gunicorn_worker(tmp_path):
    environment = blog_environment(tmp_path / "instance", FLASK_COMMENTS_MIN_FILL_SECONDS="0",
                                   FLASK_COMMENTS_FLOOD_SECONDS="0")
    flask_command(environment, "db", "upgrade")
    flask_command(environment, "blog", "seed")
    flask_command(environment, "blog", "create-admin", "boss", "--password", "correct horse battery staple")
    page = "/how-ketamine-works/"
    with gunicorn(environment, workers=4) as base_url:
        def fetch(path, opener=None, data=None):
            with (opener or urllib.request.build_opener()).open(base_url + path, data=data, timeout=30) as response:
                return response.read().decode()

        for _ in range(12):  # new connections spread over the workers, each caching the thread
            assert "Seen by all at once." not in fetch(page)
        admin = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = CSRF_TOKEN.search(fetch("/admin/login", admin)).group(1)
        fetch("/admin/login", admin, urllib.parse.urlencode(
            {"username": "boss", "password": "correct horse battery staple", "csrf_token": token}).encode())
        reader = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = fetch(page, reader)
        hidden = {"csrf_token": CSRF_TOKEN.search(form).group(1),
                  "issued": re.search(r'name="issued"[^>]*value="([^"]+)"', form).group(1)}
        fetch(page + "comments", reader, urllib.parse.urlencode(
            {"author": "Ria", "email": "ria@example.org", "comment": "Seen by all at once.", **hidden}).encode())
        queue = fetch("/admin/comments?status=pending", admin)
        comment_id = re.search(r'id="queue-comment-(\d+)"', queue).group(1)
        fetch(f"/admin/comments/{comment_id}/approve", admin,
              urllib.parse.urlencode({"csrf_token": CSRF_TOKEN.search(queue).group(1)}).encode())
        for _ in range(12):
            assert "Seen by all at once." in fetch(page)
