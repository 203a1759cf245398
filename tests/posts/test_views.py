"""The post list and the post page: status codes, valid HTML5, and the metadata search engines read."""

import json
from datetime import timedelta

import html5lib
import pytest

from blog.extensions import db, utcnow
from blog.posts.models import PostStatus
from blog.posts.seed import import_seed
from tests.factories import make_app, make_post


def parse_strictly(markup):
    """Parse as HTML5 and fail on any parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(markup)


@pytest.fixture
def post(app):
    with app.app_context():
        return make_post(slug="hello", title="Hello “world”", source="The **first** words.\n\nMore.")


def test_post_page(client, post):
    response = client.get("/hello/")
    assert response.status_code == 200
    document = parse_strictly(response.get_data(as_text=True))
    assert document.get("lang") == "en"
    assert document.find(".//title").text == "Hello “world” – Blog"
    assert document.find(".//meta[@name='description']").get("content") == "The first words."
    assert document.find(".//link[@rel='canonical']").get("href") == "http://localhost/hello/"
    assert document.find(".//meta[@property='og:title']").get("content") == "Hello “world”"
    assert document.find(".//section[@id='comments']") is not None


def test_post_page_json_ld(client, post):
    document = parse_strictly(client.get("/hello/").get_data(as_text=True))
    data = json.loads(document.find(".//script[@type='application/ld+json']").text)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "Hello “world”"
    assert data["url"] == "http://localhost/hello/"


def test_canonical_comes_from_blog_url_not_host(tmp_path):
    app = make_app(tmp_path, BLOG_URL="https://blog.example.org/")
    with app.app_context():
        db.create_all()
        make_post(slug="hello")
    html = app.test_client().get("/hello/", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert '<link rel="canonical" href="https://blog.example.org/hello/">' in html
    assert "evil.example" not in html


def test_index_lists_published_posts_newest_first(app, client):
    with app.app_context():
        make_post(slug="old", title="Old post", published_at=utcnow() - timedelta(days=9))
        make_post(slug="new", title="New post", published_at=utcnow() - timedelta(days=1))
        make_post(slug="draft", title="Draft post", status=PostStatus.DRAFT)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    parse_strictly(html)
    assert html.index("New post") < html.index("Old post")
    assert "Draft post" not in html
    assert 'href="/new/"' in html


def test_index_paginates_with_rel_links(tmp_path):
    app = make_app(tmp_path, BLOG_POSTS_PER_PAGE=2)
    with app.app_context():
        db.create_all()
        for day in range(5):
            make_post(slug=f"post-{day}", title=f"Post {day}", published_at=utcnow() - timedelta(days=day))
    client = app.test_client()
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)
    assert 'rel="next" href="/?page=2"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="/"' in second and 'rel="next" href="/?page=3"' in second
    assert client.get("/?page=9").status_code == 404


@pytest.mark.parametrize("path", ["/no-such-post/", "/draft/"])
def test_unknown_or_unpublished_post_is_404(app, client, path):
    with app.app_context():
        make_post(slug="draft", status=PostStatus.DRAFT)
    assert client.get(path).status_code == 404


def test_post_html_is_sanitized(app, client):
    with app.app_context():
        make_post(slug="x", source='Hi <script>alert(1)</script> [a](javascript:alert(1)) <img src=x onerror=alert(1)>')
    html = client.get("/x/").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_on_every_database(matrix_app):
    with matrix_app.app_context():
        import_seed()
        db.session.commit()
    response = matrix_app.test_client().get("/how-ketamine-works/")
    assert response.status_code == 200
    assert "N-methyl-D-aspartate (NMDA) receptor" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["99999999999999999999", "1000001", "-1", "0"])
def test_index_with_a_nonsense_page_is_404_not_500(client, page):
    assert client.get("/", query_string={"page": page}).status_code == 404
