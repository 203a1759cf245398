"""Fixtures shared by every test: the app on a fresh SQLite file, its client and CLI runner,
and a database matrix that adds PostgreSQL and MariaDB when their URLs are given."""

import os

import pytest
from hypothesis import settings

from blog.extensions import db
from tests.databases import SERVER_DATABASES, scratch_database
from tests.factories import make_admin, make_app
from tests.mail import Mailbox
from tests.readers import AdminActions

# In CI, property tests replay the same examples every run: a submission lands or fails on its own
# merits, not on the luck of the draw. Locally they keep exploring.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def app(tmp_path):
    """The blog on an empty SQLite database with every table created."""
    app = make_app(tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin(app):
    """An admin account "boss" and a browser of its own to sign in with (not yet signed in)."""
    with app.app_context():
        make_admin()
    return AdminActions(app.test_client())


@pytest.fixture
def mailbox(app):
    """A real SMTP server on loopback (aiosmtpd), with the app's MAIL_* settings pointing at it."""
    with Mailbox() as box:
        app.config.update(MAIL_SERVER=box.host, MAIL_PORT=box.port, MAIL_DEFAULT_SENDER="blog@example.org")
        yield box


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request, tmp_path):
    """An empty database of each kind: SQLite always, the servers when their URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'matrix.sqlite3'}"
        return
    variable = SERVER_DATABASES[request.param]
    server_url = os.environ.get(variable)
    if not server_url:
        pytest.skip(f"{variable} is not set; {request.param} part of the database matrix skipped")
    with scratch_database(server_url) as url:
        yield url


@pytest.fixture
def matrix_app(tmp_path, database_url):
    """The blog on each database of the matrix, schema created from the models."""
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()
