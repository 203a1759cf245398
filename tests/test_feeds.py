"""Atom feeds (valid, checked with feedparser), autodiscovery, sitemap.xml and robots.txt."""

import warnings

import feedparser
import pytest

from blog.comments import CommentStatus
from blog.extensions import db
from tests.factories import make_app, make_comment, make_post

SECRET_EMAIL = "feed.secret@example.org"


@pytest.fixture
def site(tmp_path, database_url):
    app = make_app(tmp_path, BLOG_URL="https://blog.example.org", BLOG_TITLE="Notes",
                   SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        post = make_post(slug="hello", title="Hello & <world>")
        make_post(slug="draft", title="Secret draft", status="draft")
        key = f"post-{post.id}"
        make_comment(key, author="Ann <b>", email=SECRET_EMAIL, url="https://ann.example/",
                     body_raw="Nice <b>post</b> <script>x</script>")
        make_comment(key, author="Held", email=SECRET_EMAIL, status=CommentStatus.PENDING, body_raw="Held words.")
        make_comment(key, author="Spammer", status=CommentStatus.SPAM, body_raw="Spam words.")
    yield app
    with app.app_context():
        db.engine.dispose()


def fetch(app, path, **headers):
    with app.test_client().get(path, headers=headers) as response:
        return response, response.get_data(as_text=True)


def parse(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # feedparser's own use of old APIs
        feed = feedparser.parse(text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_post_comments_feed_is_valid_and_holds_approved_comments_only(site):
    response, text = fetch(site, "/hello/feed/")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = parse(text)
    assert feed.feed.title == "Comments on: Hello & <world>"
    [entry] = feed.entries
    assert entry.title == "By: Ann <b>"
    assert entry.link == "https://blog.example.org/hello/#comment-1"
    assert entry.author == "Ann <b>"
    assert "<b>post</b>" in entry.content[0].value and "<script>" not in entry.content[0].value
    assert "Held words." not in text and "Spam words." not in text and SECRET_EMAIL not in text


def test_site_comments_feed(site):
    feed = parse(fetch(site, "/comments/feed/")[1])
    assert feed.feed.title == "Comments for Notes"
    assert [entry.title for entry in feed.entries] == ["By: Ann <b>"]


def test_posts_feed_lists_published_posts_only(site):
    feed = parse(fetch(site, "/feed/")[1])
    assert feed.feed.title == "Notes"
    assert [entry.link for entry in feed.entries] == ["https://blog.example.org/hello/"]


def test_feed_titles_in_dutch(site):
    assert parse(fetch(site, "/hello/feed/", **{"Accept-Language": "nl"})[1]).feed.title == (
        "Reacties op: Hello & <world>")


def test_feed_links_come_from_configuration_not_the_host_header(site):
    text = fetch(site, "/hello/feed/", Host="evil.example")[1]
    assert "evil.example" not in text


@pytest.mark.parametrize("path", ["/no-such-post/feed/", "/draft/feed/"])
def test_feed_of_an_unknown_or_unpublished_post_is_404(site, path):
    assert fetch(site, path)[0].status_code == 404


def test_pages_announce_their_feeds(site):
    page = fetch(site, "/hello/")[1]
    assert 'rel="alternate" type="application/atom+xml" title="Notes" href="/feed/"' in page
    assert 'href="/comments/feed/"' in page and 'href="/hello/feed/"' in page


def test_sitemap_lists_the_home_page_and_published_posts(site):
    response, text = fetch(site, "/sitemap.xml")
    assert response.mimetype == "application/xml"
    assert "<loc>https://blog.example.org/</loc>" in text
    assert "<loc>https://blog.example.org/hello/</loc>" in text and "draft" not in text


def test_robots_keeps_crawlers_out_of_the_admin_and_names_the_sitemap(site):
    assert fetch(site, "/robots.txt")[1] == (
        "User-agent: *\nDisallow: /admin/\nSitemap: https://blog.example.org/sitemap.xml\n")


@pytest.mark.parametrize("path", ["/feed/", "/comments/feed/", "/hello/feed/"])
def test_every_feed_may_be_kept_by_any_cache_and_is_answered_304_unchanged(site, path):
    with site.test_client().get(path) as feed:
        assert feed.status_code == 200 and "Set-Cookie" not in feed.headers
        assert set(feed.headers["Cache-Control"].replace(" ", "").split(",")) == {
            "public", "max-age=60", "stale-while-revalidate=60"}
        assert feed.headers["Vary"] == "Accept-Language"
        etag = feed.headers["ETag"]
        assert not etag.startswith("W/")
    with site.test_client().get(path, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
