"""Configuration precedence, the instance secret key, database URLs, and ProxyFix."""

import multiprocessing
import stat

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from blog import create_app
from blog.config import instance_secret_key, normalize_database_url
from blog.extensions import db
from blog.posts.models import Post


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder with a config file, and an environment free of the developer's settings."""
    for name in ("DATABASE_URL", "FLASK_SQLALCHEMY_DATABASE_URI", "FLASK_BLOG_TITLE", "FLASK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


def test_defaults_put_sqlite_and_a_secret_in_the_instance_folder(instance):
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'blog.sqlite3'}"
    assert app.config["BLOG_LANGUAGES"] == ["en", "nl"]
    assert app.config["MAX_CONTENT_LENGTH"] == 1048576
    key_file = instance / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_sqlite_file_and_its_wal_are_readable_by_their_owner_only(instance):
    """It holds commenters' addresses, like the secret key beside it (issue 18, point 7)."""
    app = create_app(instance_path=str(instance))
    with app.app_context():
        db.create_all()
        db.session.add(Post(slug="a", title="A", body_source="", body_html=""))
        db.session.commit()  # in WAL mode: the -wal and -shm files stand beside it while a connection is open
        files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in instance.glob("blog.sqlite3*")}
        db.engine.dispose()
    assert files == {"blog.sqlite3": 0o600, "blog.sqlite3-wal": 0o600, "blog.sqlite3-shm": 0o600}


def test_secret_key_is_generated_once(instance):
    first = create_app(instance_path=str(instance)).config["SECRET_KEY"]
    second = create_app(instance_path=str(instance)).config["SECRET_KEY"]
    assert first == second and len(first) == 64


@pytest.mark.processes
def test_racing_workers_agree_on_one_secret_key(instance):
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        keys = pool.map(instance_secret_key, [instance] * 24)
    assert len(set(keys)) == 1
    assert sorted(path.name for path in instance.iterdir()) == ["secret_key"]


def test_precedence_defaults_instance_environment_tests(instance, monkeypatch):
    (instance / "config.py").write_text(
        'BLOG_TITLE = "from instance"\nBLOG_DESCRIPTION = "from instance"\n'
        'BLOG_DEFAULT_LANGUAGE = "nl"\nSECRET_KEY = "instance key"\n'
    )
    monkeypatch.setenv("FLASK_BLOG_TITLE", "from environment")
    monkeypatch.setenv("FLASK_BLOG_DESCRIPTION", "from environment")
    monkeypatch.setenv("FLASK_COMMENTS_PER_PAGE", "20")
    app = create_app({"BLOG_TITLE": "from tests"}, instance_path=str(instance))
    assert app.config["BLOG_TITLE"] == "from tests"
    assert app.config["BLOG_DESCRIPTION"] == "from environment"
    assert app.config["BLOG_DEFAULT_LANGUAGE"] == "nl"
    assert app.config["BLOG_POSTS_PER_PAGE"] == 10
    assert app.config["COMMENTS_PER_PAGE"] == 20  # parsed as JSON
    assert app.config["SECRET_KEY"] == "instance key"
    assert not (instance / "secret_key").exists()


def test_database_url_shortcut(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/blog")
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/blog"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True, "pool_recycle": 3600}


def test_flask_prefixed_database_uri_beats_the_shortcut(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.internal/blog")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'other.sqlite3'}")
    app = create_app(instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.sqlite3")


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("mysql://root@h/db", "mysql+pymysql://root@h/db?charset=utf8mb4"),
    ("mariadb://root@h/db?ssl=1", "mysql+pymysql://root@h/db?ssl=1&charset=utf8mb4"),
    ("mysql+pymysql://root@h/db?charset=utf8mb4", "mysql+pymysql://root@h/db?charset=utf8mb4"),
    ("sqlite:////var/lib/blog.sqlite3", "sqlite:////var/lib/blog.sqlite3"),
])
def test_database_urls_name_the_shipped_drivers(given, expected):
    assert normalize_database_url(given) == expected


def test_proxy_fix_only_when_configured(instance):
    assert not isinstance(create_app({"SECRET_KEY": "k"}, instance_path=str(instance)).wsgi_app, ProxyFix)
    app = create_app({"SECRET_KEY": "k", "PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1}, instance_path=str(instance))
    assert isinstance(app.wsgi_app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (1, 1, 0)


def test_forwarded_for_is_ignored_without_proxy_fix(instance):
    app = create_app({"SECRET_KEY": "k"}, instance_path=str(instance))
    app.add_url_rule("/ip", "ip", lambda: __import__("flask").request.remote_addr)
    response = app.test_client().get("/ip", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "127.0.0.1"
