"""Writing posts at /admin/posts: slugs, preview, editing, publishing and closing comments."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.posts.models import Post, PostStatus
from blog.posts.slugs import RESERVED_SLUGS
from tests.factories import make_admin, make_app, make_post
from tests.pages import by_id, parse_page, with_class
from tests.readers import CSRF_TOKEN, AdminActions, Reader

EDIT_URL = re.compile(r"^/admin/posts/(\d+)/edit$")


class Writer:
    """A signed-in admin writing posts through the form, as a browser would send it."""

    def __init__(self, admin: AdminActions):
        self.admin = admin
        assert admin.login().status_code == 303
        with admin.client.get("/admin/posts/new") as page:
            self.token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)

    def send(self, path="/admin/posts/new", button="save", **fields):
        """Post the form; a field given as None is left out, as an unticked checkbox is."""
        data = {"title": "Hello, Wörld!", "slug": "", "body": "Some *Markdown*.", "is_published": "y",
                "comments_open": "y", button: button.capitalize()}
        data.update(fields)
        data = {name: value for name, value in data.items() if value is not None}
        with self.admin.client.post(path, data={**data, "csrf_token": self.token}) as response:
            response.get_data()
        return response

    def create(self, **fields) -> int:
        """Save a new post and return its id."""
        response = self.send(**fields)
        assert response.status_code == 303, response.get_data(as_text=True)
        return int(EDIT_URL.match(response.headers["Location"]).group(1))

    def edit(self, post_id, **fields):
        return self.send(f"/admin/posts/{post_id}/edit", **fields)


@pytest.fixture
def writer(admin):
    return Writer(admin)


def get(client, path):
    with client.get(path) as response:
        response.get_data()
    return response


def stored(app, post_id) -> Post:
    with app.app_context():
        return db.session.get(Post, post_id)


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post))


def field_error(response, field) -> str | None:
    element = by_id(parse_page(response), f"{field}-error")
    return None if element is None else element.text


def test_new_post_takes_its_slug_from_the_title(app, client, writer):
    post_id = writer.create(title="Hello, Wörld!", body="Some *Markdown* here.")
    post = stored(app, post_id)
    assert post.slug == "hello-world"
    assert post.is_published and post.comments_open
    page = get(client, "/hello-world/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hello, Wörld!" in text and "<em>Markdown</em>" in text
    assert 'href="/hello-world/"' in get(client, "/").get_data(as_text=True)


def test_the_same_title_again_gets_a_numbered_slug(app, writer):
    slugs = [stored(app, writer.create(title="Hello, Wörld!")).slug for _ in range(3)]
    assert slugs == ["hello-world", "hello-world-2", "hello-world-3"]


@pytest.mark.parametrize("title", ["Admin", "Feed", "Comments", "Static", "Healthz"])
def test_a_title_that_makes_a_reserved_slug_gets_another(app, client, writer, title):
    slug = stored(app, writer.create(title=title)).slug
    assert slug not in RESERVED_SLUGS
    assert slug.startswith(title.lower())
    assert get(client, f"/{slug}/").status_code == 200


@pytest.mark.parametrize("slug", ["admin", "feed", "comments", "static", "healthz"])
def test_a_reserved_slug_is_refused(app, writer, slug):
    response = writer.send(slug=slug)
    assert response.status_code == 400
    assert field_error(response, "slug") == "This address is used by the site itself."
    assert post_count(app) == 0


def test_a_slug_another_post_has_is_refused(app, writer):
    first = writer.create(title="First", slug="taken")
    response = writer.send(title="Second", slug="taken")
    assert response.status_code == 400
    assert field_error(response, "slug") == "Another post already has this address."
    assert post_count(app) == 1
    assert stored(app, first).title == "First"


@pytest.mark.parametrize("slug", ["Hello", "hello world", "hello--world", "-hello", "héllo", "a/b"])
def test_a_malformed_slug_is_refused(app, writer, slug):
    response = writer.send(slug=slug)
    assert response.status_code == 400
    assert field_error(response, "slug") == "Use lowercase letters, digits and single hyphens."
    assert post_count(app) == 0


def test_a_given_slug_is_used(app, client, writer):
    post_id = writer.create(title="Whatever the title", slug="my-own-address")
    assert stored(app, post_id).slug == "my-own-address"
    assert get(client, "/my-own-address/").status_code == 200


@pytest.mark.parametrize("missing", ["title", "body"])
def test_a_post_needs_a_title_and_a_body(app, writer, missing):
    response = writer.send(**{missing: ""})
    assert response.status_code == 400
    assert field_error(response, missing)
    assert post_count(app) == 0


@pytest.mark.parametrize("title", ["Hello\r\nBcc: x@example.org", "Tab\there", "Mirror \u202eereh"])
def test_a_title_on_more_than_one_line_or_with_bidi_controls_is_refused(app, writer, title):
    response = writer.send(title=title)
    assert response.status_code == 400
    assert "This field contains characters that are not allowed." in response.get_data(as_text=True)
    assert post_count(app) == 0


def test_preview_renders_sanitized_markdown_and_saves_nothing(app, writer):
    body = "## A heading\n\nSome *emphasis* and a [link](https://example.org).\n\n<script>alert('x')</script>\n"
    response = writer.send(button="preview", title="Previewed", body=body)
    assert response.status_code == 200
    (preview,) = with_class(parse_page(response), "section", "preview")
    markup = response.get_data(as_text=True)
    preview_markup = markup[markup.index('<section class="preview"'):markup.index("</section>")]
    assert "<h2>A heading</h2>" in preview_markup
    assert "<em>emphasis</em>" in preview_markup
    assert 'href="https://example.org"' in preview_markup
    assert "<script" not in preview_markup.lower()
    assert [element.tag for element in preview.iter() if element.tag == "script"] == []
    assert post_count(app) == 0


def test_edit_changes_title_and_body_and_keeps_the_slug(app, client, writer):
    post_id = writer.create(title="Hello, Wörld!", body="The first text.")
    response = writer.edit(post_id, title="A better title", slug="hello-world", body="The *second* text.")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/posts/{post_id}/edit"
    post = stored(app, post_id)
    assert (post.title, post.slug, post.body_source) == ("A better title", "hello-world", "The *second* text.")
    text = get(client, "/hello-world/").get_data(as_text=True)
    assert "A better title" in text and "<em>second</em>" in text and "first text" not in text


def test_edit_with_the_slug_left_empty_keeps_it(app, writer):
    post_id = writer.create(title="Hello, Wörld!")
    assert writer.edit(post_id, title="Something else entirely", slug="").status_code == 303
    assert stored(app, post_id).slug == "hello-world"


def test_edit_form_shows_the_post(writer):
    post_id = writer.create(title="Hello, Wörld!", body="The *source* text.")
    page = get(writer.admin.client, f"/admin/posts/{post_id}/edit")
    assert page.status_code == 200
    tree = parse_page(page)
    assert by_id(tree, "title").get("value") == "Hello, Wörld!"
    assert by_id(tree, "slug").get("value") == "hello-world"
    assert by_id(tree, "body").text.strip() == "The *source* text."
    assert by_id(tree, "is_published").get("checked") is not None
    assert by_id(tree, "comments_open").get("checked") is not None


def test_unpublished_post_leaves_the_site(app, client, writer):
    post_id = writer.create(title="Hello, Wörld!")
    assert get(client, "/hello-world/").status_code == 200
    assert writer.edit(post_id, slug="hello-world", is_published=None).status_code == 303
    assert stored(app, post_id).status is PostStatus.DRAFT
    assert get(client, "/hello-world/").status_code == 404
    assert "hello-world" not in get(client, "/").get_data(as_text=True)
    assert writer.edit(post_id, slug="hello-world").status_code == 303
    assert get(client, "/hello-world/").status_code == 200


def test_closed_comments_are_refused_and_reopened_ones_accepted(app, client, writer):
    post_id = writer.create(title="Hello, Wörld!")
    reader = Reader(client, page="/hello-world/")
    assert reader.csrf_token(), "the open post has a comment form"
    assert writer.edit(post_id, slug="hello-world", comments_open=None).status_code == 303
    assert stored(app, post_id).comments_open is False
    assert reader.get().status_code == 200
    refused = reader.post()
    assert refused.status_code == 403
    assert "Comments are closed." in refused.get_data(as_text=True)

    assert writer.edit(post_id, slug="hello-world").status_code == 303
    assert stored(app, post_id).comments_open is True
    assert by_id(parse_page(reader.get()), "commentform") is not None
    assert reader.post().status_code == 303


def test_closed_comments_leave_no_form_on_the_post_page(client, writer):
    post_id = writer.create(title="Hello, Wörld!")
    assert writer.edit(post_id, slug="hello-world", comments_open=None).status_code == 303
    page = get(client, "/hello-world/")
    assert page.status_code == 200
    assert by_id(parse_page(page), "commentform") is None
    assert "Comments are closed." in page.get_data(as_text=True)


def test_drafts_are_listed_in_admin_posts(client, writer):
    writer.create(title="A draft nobody sees", is_published=None)
    writer.create(title="A published one")
    page = get(writer.admin.client, "/admin/posts")
    assert page.status_code == 200
    rows = [" ".join("".join(row.itertext()).split()) for row in parse_page(page).iter("tr")]
    assert any("A draft nobody sees" in row and "Draft" in row for row in rows)
    assert any("A published one" in row and "Published" in row for row in rows)
    assert get(client, "/a-draft-nobody-sees/").status_code == 404
    assert "A draft nobody sees" not in get(client, "/").get_data(as_text=True)


def test_saving_leads_to_the_edit_page(writer):
    response = writer.send(title="Where next")
    assert response.status_code == 303
    assert EDIT_URL.match(urlsplit(response.headers["Location"]).path)


def test_create_and_view_a_post_on_every_database(tmp_path, database_url):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    try:
        with app.app_context():
            db.create_all()
            make_admin()
            make_post(slug="hello-world", title="Taken already")
        writer = Writer(AdminActions(app.test_client()))
        post_id = writer.create(title="Hello, Wörld! Ünïcode ✓", body="Text with *Markdown* — and “quotes”.")
        post = stored(app, post_id)
        assert post.slug == "hello-world-unicode"
        page = get(app.test_client(), f"/{post.slug}/")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Hello, Wörld! Ünïcode ✓" in text and "<em>Markdown</em> — and “quotes”" in text
        assert writer.edit(post_id, title="Edited ✓", slug="", comments_open=None).status_code == 303
        post = stored(app, post_id)
        assert (post.title, post.slug, post.comments_open) == ("Edited ✓", "hello-world-unicode", False)
        second = writer.create(title="Hello, Wörld!")
        assert stored(app, second).slug == "hello-world-2"
        listing = get(writer.admin.client, "/admin/posts").get_data(as_text=True)
        assert "Edited ✓" in listing and "Taken already" in listing
    finally:
        with app.app_context():
            db.engine.dispose()
