"""Fixtures for the comments plugin: the blog with a post to comment on, a reader who posts through
the real form (CSRF token and all), and a toy host app that proves the plugin needs no blog.posts."""

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel

from blog.comments import Comments, CommentTarget
from blog.extensions import db
from tests.factories import make_app, make_post
from tests.readers import Reader


@pytest.fixture
def post(app):
    """A published post at /hello/ whose thread key is returned (the comments' target_key)."""
    with app.app_context():
        created = make_post(slug="hello", title="Hello world")
        return f"post-{created.id}"


@pytest.fixture
def reader(client, post):
    return Reader(client)


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


TOY_PAGE = """<!doctype html><html lang="en"><title>{{ target.title }}</title>
<h1>{{ target.title }}</h1>{{ comments_section(target, form) }}</html>"""


@pytest.fixture
def host_app(tmp_path):
    """A bare Flask app of a few lines hosting the plugin: no blog posts, admin or auth."""
    app = Flask("toy_host")
    app.config.update(SECRET_KEY="toy", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'toy.sqlite3'}",
                      COMMENTS_MODERATION="none")
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
