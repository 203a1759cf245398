"""Fixtures for the comments plugin: the blog with a post to comment on, a reader who posts through
the real form (CSRF token and all), and a toy host app that proves the plugin needs no blog.posts."""

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel
from sqlalchemy import select

from blog.comments import Comment, Comments, CommentTarget
from blog.extensions import db
from blog.posts.models import Post
from tests.api_client import EMBEDDING
from tests.factories import make_admin, make_app, make_comment, make_post
from tests.pages import parse_page
from tests.readers import AdminActions, Reader


@pytest.fixture
def post(app):
    """A published post at /hello/ whose thread key is returned (the comments' target_key)."""
    with app.app_context():
        created = make_post(slug="hello", title="Hello world")
        return f"post-{created.id}"


# The start of a form window (a multiple of its 60 s), for tests that freeze the clock there.
WINDOW_START = 1_800_000_000


@pytest.fixture
def clock(monkeypatch):
    """The clock of every signature and form window, frozen at WINDOW_START; ``clock.now`` moves it."""

    class Clock:
        now = WINDOW_START

    monkeypatch.setattr("time.time", lambda: Clock.now)
    return Clock


@pytest.fixture
def reader(client, post):
    return Reader(client)


@pytest.fixture
def two_workers(tmp_path):
    """Two apps on one database, each with its own caches, as two gunicorn workers are."""
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}", "COMMENTS_MODERATION": "none"}
    first, second = make_app(tmp_path / "a", **settings), make_app(tmp_path / "b", **settings)
    with first.app_context():
        db.create_all()
        key = f"post-{make_post(slug='hello', title='Hello').id}"
    yield first, second, key
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def matrix_comments_app(tmp_path, database_url):
    """The blog on each database of the matrix, with a post at /hello/."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello world")
    yield app
    with app.app_context():
        db.engine.dispose()


class Blog:
    """One app with a post at /hello/, a browser on it, and shortcuts to its comments."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.key = f"post-{db.session.scalar(select(Post.id).where(Post.slug == 'hello'))}"
        self.client = app.test_client()
        self.reader = Reader(self.client)

    def add(self, parent=None, key=None, **fields) -> int:
        """Store a comment (approved unless ``status`` says otherwise) and return its id."""
        with self.app.app_context():
            parent_comment = db.session.get(Comment, parent) if parent else None
            return make_comment(key or self.key, parent=parent_comment, **fields).id

    def comments(self) -> list[Comment]:
        with self.app.app_context():
            return db.session.scalars(select(Comment).order_by(Comment.id)).all()

    def comment(self, comment_id) -> Comment:
        with self.app.app_context():
            return db.session.get(Comment, comment_id)

    def get(self, path="/hello/", language=None):
        return self.reader.get(path, language)

    def page(self, path="/hello/", language=None):
        """The parsed page, which must be served (200)."""
        response = self.get(path, language)
        assert response.status_code == 200
        return parse_page(response)


@pytest.fixture
def make_blog(tmp_path):
    """Build the blog, with posts "hello" and "other", on SQLite or on ``database_url``, with these
    settings: every comment approved at once unless they say otherwise."""
    apps = []

    def build(database_url=None, **settings):
        if database_url:
            settings["SQLALCHEMY_DATABASE_URI"] = database_url
        app = make_app(tmp_path, **{"COMMENTS_MODERATION": "none", **settings})
        apps.append(app)
        with app.app_context():
            db.create_all()
            make_post(slug="hello", title="Hello world")
            make_post(slug="other", title="Another post")
        return Blog(app)

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def blog(make_blog):
    return make_blog()


TOY_PAGE = """<!doctype html><html lang="en"><title>{{ target.title }}</title>
<h1>{{ target.title }}</h1>{{ comments_section(target, form) }}</html>"""


@pytest.fixture
def host_app(tmp_path):
    """A bare Flask app of a few lines hosting the plugin: no blog posts, admin or auth."""
    app = Flask("toy_host")
    app.config.update(SECRET_KEY="toy", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'toy.sqlite3'}",
                      COMMENTS_MODERATION="none", COMMENTS_MIN_FILL_SECONDS=0)
    db.init_app(app)
    Babel(app)
    comments = Comments(app)
    pages = {"about": CommentTarget(key="page-about", locator="about", title="About us", url="/about/")}

    @comments.target_loader
    def load(locator):
        return pages.get(locator)

    @comments.page_renderer
    def render(target, form, status):
        return render_template_string(TOY_PAGE, target=target, form=form), status

    @app.get("/about/")
    def about():
        return render_template_string(TOY_PAGE, target=pages["about"], form=None)

    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def matrix_blog(make_blog, database_url):
    """A blog the static site may embed, on each database of the matrix."""
    return make_blog(database_url=database_url, **EMBEDDING)


@pytest.fixture
def embedding_blog(make_blog):
    """A blog the static site may embed, on SQLite."""
    return make_blog(**EMBEDDING)


@pytest.fixture
def matrix_moderator(matrix_comments_app):
    """The blog of the matrix with the admin "boss" signed in: (app, AdminActions)."""
    with matrix_comments_app.app_context():
        make_admin()
    moderator = AdminActions(matrix_comments_app.test_client())
    assert moderator.login().status_code == 303
    return matrix_comments_app, moderator
