"""The notes app, a second host of the comments plugin, used as browsers use it: its own SQLite file in
tmp_path, Flask's test client, and the CSRF token and form stamp read from the pages it serves.

Self-contained on purpose: it imports nothing from the blog's tests, as another project would not.
"""

import ast
import json
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest
from sqlalchemy import select

import blog.comments
from blog.comments import Comment, CommentStatus
from blog.extensions import db
from examples.notes_app.app import create_app

MODERATOR = ("mia", "correct horse battery staple")
AWAITING = "Your comment is awaiting moderation."
ATOM = "{http://www.w3.org/2005/Atom}"
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


@pytest.fixture
def make_app(tmp_path):
    """Build the notes app with its database in tmp_path (its instance folder), posting without waits."""
    apps = []

    def build(**settings):
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "NOTES_MODERATORS": dict([MODERATOR]),
                          "COMMENTS_MIN_FILL_SECONDS": 0, "COMMENTS_FLOOD_SECONDS": 0, **settings},
                         instance_path=tmp_path)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The notes app with the plugin's default moderation: a first-time author's comment is held."""
    return make_app()


def parse(response):
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)


def post_comment(client, slug="welcome", **fields):
    """Send the note page's comment form as a browser would: to its action, with its hidden fields."""
    form = parse(client.get(f"/{slug}/")).find(".//form[@id='commentform']")
    data = {field.get("name"): field.get("value") for field in form.iter("input") if field.get("type") == "hidden"}
    data |= {"author": "Ann", "email": "ann@example.org", "comment": "A fine note.", **fields}
    return client.post(form.get("action"), data=data)


def moderate(client, comment_id, action="approve"):
    """Press a comment's button on the moderation desk's queue, signed in as the moderator."""
    queue = parse(client.get("/admin/comments", auth=MODERATOR))
    button = next(form for form in queue.iter("form")
                  if form.get("action", "").startswith(f"/admin/comments/{comment_id}/{action}"))
    token = button.find(".//input[@name='csrf_token']").get("value")
    return client.post(button.get("action"), data={"csrf_token": token}, auth=MODERATOR)


def shown_comments(response) -> dict[str, str]:
    """The comments a page shows, as text, by their element id ("comment-7")."""
    return {item.get("id"): "".join(item.find(".//div[@class='comment-content']").itertext()).strip()
            for item in parse(response).iter("li") if item.get("id", "").startswith("comment-")}


def event_handlers(tree) -> list[str]:
    """The inline event handlers (onerror=…) anywhere in a parsed document."""
    return [name for element in tree.iter() for name in element.attrib if name.startswith("on")]


def stored_comments(app) -> list[Comment]:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def feed_entries(client, path) -> list[tuple[str, str]]:
    """(link, content) of each entry of an Atom feed."""
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.get_data())
    return [(entry.find(f"{ATOM}link").get("href"), entry.find(f"{ATOM}content").text)
            for entry in feed.iter(f"{ATOM}entry")]


def test_an_approved_comment_is_shown_under_its_note_and_counted(make_app, tmp_path):
    app = make_app(COMMENTS_MODERATION="none")
    response = post_comment(app.test_client())
    [comment] = stored_comments(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/welcome/#comment-{comment.id}"
    assert comment.target_key.startswith("note-")
    other_reader = app.test_client()
    assert shown_comments(other_reader.get("/welcome/")) == {f"comment-{comment.id}": "A fine note."}
    assert "1 comment" in other_reader.get("/").get_data(as_text=True)
    assert (tmp_path / "notes.sqlite3").is_file()


def test_a_held_comment_is_shown_to_its_author_alone_until_the_moderator_approves_it(app):
    author, other_reader = app.test_client(), app.test_client()
    response = post_comment(author)
    [comment] = stored_comments(app)
    assert (response.status_code, response.headers["Location"]) == (303, f"/welcome/#comment-{comment.id}")
    assert comment.status is CommentStatus.PENDING
    assert shown_comments(other_reader.get("/welcome/")) == {}
    own_page = author.get("/welcome/")
    assert shown_comments(own_page) == {f"comment-{comment.id}": "A fine note."}
    assert AWAITING in own_page.get_data(as_text=True)

    assert moderate(app.test_client(), comment.id).status_code == 303
    assert stored_comments(app)[0].status is CommentStatus.APPROVED
    page = other_reader.get("/welcome/")
    assert shown_comments(page) == {f"comment-{comment.id}": "A fine note."}
    assert AWAITING not in page.get_data(as_text=True)


def test_the_feeds_carry_approved_comments_only(app):
    post_comment(app.test_client(), comment="Approved words.")
    post_comment(app.test_client(), author="Bob", email="bob@example.org", comment="Held words.")
    approved, held = stored_comments(app)
    moderate(app.test_client(), approved.id)
    reader = app.test_client()
    link = f"http://localhost/welcome/#comment-{approved.id}"
    for path in ("/welcome/feed/", "/comments/feed/"):
        entries = feed_entries(reader, path)
        assert [entry_link for entry_link, _ in entries] == [link], path
        assert "Approved words." in entries[0][1]


def test_the_commenters_email_is_never_published(make_app):
    app = make_app(COMMENTS_MODERATION="none")
    post_comment(app.test_client(), email="ann.private@example.org")
    assert "ann.private@example.org" in app.test_client().get("/admin/comments?status=approved",
                                                              auth=MODERATOR).get_data(as_text=True)
    reader = app.test_client()
    for path in ("/", "/welcome/", "/welcome/feed/", "/comments/feed/"):
        response = reader.get(path)
        assert response.status_code == 200
        assert "ann.private" not in response.get_data(as_text=True), path


def test_markup_in_a_comment_is_shown_as_inert_text(make_app):
    app = make_app(COMMENTS_MODERATION="none")
    post_comment(app.test_client(), comment=XSS)
    [comment] = stored_comments(app)
    page = parse(app.test_client().get("/welcome/"))
    shown = page.find(f".//li[@id='comment-{comment.id}']")
    assert "<script>alert(1)</script>" in "".join(shown.itertext())
    assert [script.get("src") for script in page.iter("script")] == [
        "/comments/static/reply.js", "/comments/static/form-stamp.js"]
    assert event_handlers(page) == []
    [(_, content)] = feed_entries(app.test_client(), "/welcome/feed/")
    in_feed = html5lib.parse(content, namespaceHTMLElements=False)
    assert list(in_feed.iter("script")) == [] and event_handlers(in_feed) == []


def test_only_a_moderator_reaches_the_moderation_desk(app):
    visitor = app.test_client()
    post_comment(visitor)
    [comment] = stored_comments(app)
    # A token of the visitor's own session, valid for the desk's forms: still no way in without the password.
    desk = parse(visitor.get("/admin/comments", auth=MODERATOR))
    token = desk.find(".//input[@name='csrf_token']").get("value")
    for credentials in (None, ("mia", "wrong"), ("someone", MODERATOR[1])):
        assert visitor.get("/admin/comments", auth=credentials).status_code == 401
        approve = visitor.post(f"/admin/comments/{comment.id}/approve", data={"csrf_token": token}, auth=credentials)
        assert approve.status_code == 401
        assert approve.headers["WWW-Authenticate"].startswith("Basic ")
    assert stored_comments(app)[0].status is CommentStatus.PENDING
    assert f"queue-comment-{comment.id}" in visitor.get("/admin/comments", auth=MODERATOR).get_data(as_text=True)


def test_the_moderation_desk_renders_in_the_notes_layout(app):
    desk = parse(app.test_client().get("/admin/comments", auth=MODERATOR))
    assert desk.find(".//header/a").text == "Notes"
    assert desk.find(".//main//h1").text == "Comments"


def test_a_form_with_errors_comes_back_on_the_note_page(app):
    response = post_comment(app.test_client(), comment="")
    page = parse(response)
    assert response.status_code == 400
    assert page.find(".//article/h1").text == "Welcome"
    assert page.find(".//span[@id='comment-error']") is not None
    assert stored_comments(app) == []


def test_the_plugins_commands_run_under_the_notes_group(app):
    post_comment(app.test_client(), comment="Mine to export.")
    result = app.test_cli_runner().invoke(args=["notes", "privacy", "export", "ann@example.org"])
    assert result.exit_code == 0, result.output
    assert [exported["text"] for exported in json.loads(result.stdout)["comments"]] == ["Mine to export."]


def test_notes_stay_out_of_the_metadata_the_blogs_migrations_describe():
    assert "note" not in db.metadata.tables and "comment" in db.metadata.tables


def test_the_app_imports_of_the_blog_only_the_plugins_public_names_and_the_shared_db():
    imported = set()
    for path in set(Path(__file__).parent.glob("*.py")) - set(Path(__file__).parent.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("blog"):
                imported |= {(node.module, alias.name) for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {(alias.name, None) for alias in node.names if alias.name.startswith("blog")}
    plugin_names = {name for module, name in imported if module == "blog.comments"}
    assert plugin_names and plugin_names <= set(blog.comments.__all__)
    assert {module for module, _ in imported} <= {"blog.comments", "blog.extensions"}
