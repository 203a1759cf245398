"""A post's byline, as WordPress themes write it: "Posted on <date> by <author> | N comments", the count
linking to the comments, on the post's page and in the list of posts, in English and in Dutch."""

from datetime import datetime, timezone

import pytest

from blog.comments.models import CommentStatus
from blog.extensions import db
from tests.factories import make_app, make_comment, make_post
from tests.pages import folded_text, parse_page, with_class

BYLINES = {
    ("en", 0): "Posted on March 5, 2026 by Ann Author | 0 comments",
    ("en", 1): "Posted on March 5, 2026 by Ann Author | 1 comment",
    ("en", 2): "Posted on March 5, 2026 by Ann Author | 2 comments",
    ("nl", 0): "Geplaatst op 5 maart 2026 door Ann Author | 0 reacties",
    ("nl", 1): "Geplaatst op 5 maart 2026 door Ann Author | 1 reactie",
    ("nl", 2): "Geplaatst op 5 maart 2026 door Ann Author | 2 reacties",
}


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, BLOG_AUTHOR="Ann Author")
    with app.app_context():
        db.create_all()
    return app


def dated_post(count: int, **overrides):
    """A post of 5 March 2026 with ``count`` approved comments, and a held one that is not counted."""
    post = make_post(slug="dated", published_at=datetime(2026, 3, 5, 12, tzinfo=timezone.utc), **overrides)
    for number in range(count):
        make_comment(f"post-{post.id}", body_raw=f"Comment {number}")
    make_comment(f"post-{post.id}", body_raw="Waiting", status=CommentStatus.PENDING)
    return post


def byline_of(response):
    bylines = with_class(parse_page(response), "p", "byline")
    assert len(bylines) == 1
    return bylines[0]


@pytest.mark.parametrize(("language", "count"), sorted(BYLINES))
def test_the_post_page_has_a_byline_linking_to_its_comments(app, client, language, count):
    with app.app_context():
        dated_post(count)
    page = client.get(f"/dated/?lang={language}")
    byline = byline_of(page)
    assert folded_text(byline) == BYLINES[language, count]
    assert byline.find(".//time").get("datetime") == "2026-03-05T12:00:00+00:00"
    assert folded_text(byline.find(".//span[@class='author']")) == "Ann Author"
    assert byline.find(".//a").get("href") == "#comments"
    assert parse_page(page).find(".//section[@id='comments']") is not None


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_list_of_posts_has_the_same_byline(app, client, language):
    with app.app_context():
        dated_post(2)
    byline = byline_of(client.get("/", headers={"Accept-Language": language}))
    assert folded_text(byline) == BYLINES[language, 2]
    assert byline.find(".//a").get("href") == "/dated/#comments"


@pytest.mark.parametrize(("settings", "shown"), [
    ({"BLOG_TITLE": "Notes & Queries"}, 'by <span class="author">Notes &amp; Queries</span>'),  # no author set
    ({"BLOG_AUTHOR": "<script>alert(1)</script>"}, 'by <span class="author">&lt;script&gt;alert(1)&lt;/script&gt;'),
])
def test_the_author_is_the_sites_unless_set_and_always_escaped(tmp_path, settings, shown):
    app = make_app(tmp_path, **settings)
    with app.app_context():
        db.create_all()
        dated_post(0)
    html = app.test_client().get("/dated/").get_data(as_text=True)
    assert shown in html and "<script>alert" not in html


def test_the_count_follows_a_new_comment_on_the_kept_page(app, client):
    with app.app_context():
        post = dated_post(1)
    assert folded_text(byline_of(client.get("/dated/"))).endswith("| 1 comment")
    with app.app_context():
        make_comment(f"post-{post.id}", body_raw="Another")
    assert folded_text(byline_of(client.get("/dated/"))).endswith("| 2 comments")


def test_the_feed_names_the_author(app, client):
    with app.app_context():
        dated_post(0)
    assert "<author><name>Ann Author</name></author>" in client.get("/feed/").get_data(as_text=True)
