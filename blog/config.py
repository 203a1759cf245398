"""Settings: package defaults, then ``instance/config.py``, then the environment, then tests."""

import os
import secrets
from pathlib import Path

SECRET_KEY_FILE = "secret_key"


class DefaultConfig:
    """Defaults for every deployment; secrets never live here (DESIGN.md section 3)."""

    # Filled in by load_config with SQLite in the instance folder when left unset.
    SQLALCHEMY_DATABASE_URI = None
    # Generated once into the instance folder when left unset.
    SECRET_KEY = None
    # The site's name, shown in titles and feeds.
    BLOG_TITLE = "Blog"
    # One line about the site, for the home page's meta description.
    BLOG_DESCRIPTION = "Articles and the conversations under them."
    # Who writes the posts, named in their bylines and feeds; None: the site's title (BLOG_TITLE).
    BLOG_AUTHOR = None
    # Public base URL (e.g. "https://blog.example.org") for canonical links; None: the request's.
    BLOG_URL = None
    # Interface languages: the one a page's URL names (?lang=), else picked from Accept-Language.
    BLOG_LANGUAGES = ["en", "nl"]
    BLOG_DEFAULT_LANGUAGE = "en"
    # Posts per page of the home page.
    BLOG_POSTS_PER_PAGE = 10
    # How many proxies in front are trusted for each X-Forwarded-* header; 0 trusts none.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0
    # Larger request bodies get 413.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Wrong passwords allowed for one admin name from one IP within the window before that pair gets 429.
    AUTH_MAX_FAILURES = 5
    # Wrong passwords allowed from one IP over all names within the window before that IP gets 429.
    AUTH_MAX_FAILURES_PER_IP = 20
    # How long a wrong password counts towards the two limits above.
    AUTH_FAILURE_WINDOW_SECONDS = 15 * 60
    # An admin signed in longer ago than this is signed out, whatever the session cookie's own age.
    AUTH_SESSION_LIFETIME_SECONDS = 12 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Static files may be kept a year: their URLs carry a digest of the file (blog/assets.py).
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600
    # Redis for what every worker and host shares and soon forgets (flood marks, failed sign-ins, threads'
    # versions), e.g. "redis://127.0.0.1:6379/0"; None: all of it lives in the database.
    REDIS_URL = None
    # Put before every key the blog keeps in Redis, so sites can share one server.
    REDIS_KEY_PREFIX = "blog:"
    # After Redis fails to answer, the database alone serves for this long before Redis is tried again.
    REDIS_RETRY_SECONDS = 5
    # Dates are shown in UTC unless an instance sets its own zone.
    BABEL_DEFAULT_TIMEZONE = "UTC"


def load_config(app, test_config=None):
    """Fill ``app.config`` in the documented order and derive what was left unset."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        uri = "sqlite:///" + os.path.join(app.instance_path, "blog.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(uri)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(uri))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def normalize_database_url(url: str) -> str:
    """Name the driver this project ships for the URL forms hosting providers hand out."""
    scheme, sep, rest = url.partition("://")
    drivers = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg",
               "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}
    scheme = drivers.get(scheme, scheme)
    if scheme.startswith("mysql") and "charset=" not in rest:
        rest += ("&" if "?" in rest else "?") + "charset=utf8mb4"
    return scheme + sep + rest


def engine_options(url: str) -> dict:
    """Pool settings suited to gunicorn workers: check connections before use, renew them hourly."""
    if url.startswith("sqlite"):
        return {}
    return {"pool_pre_ping": True, "pool_recycle": 3600}


def instance_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) the first time.

    Every gunicorn worker must sign with the same key, so the key is written to a
    temporary file and linked into place: of workers racing at first start, one
    link wins and all of them read its key.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / SECRET_KEY_FILE
    if not key_file.exists():
        temporary = instance_path / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return key_file.read_text().strip()
