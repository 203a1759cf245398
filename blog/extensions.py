"""Third-party extensions, unbound: ``create_app`` binds them with ``init_app``.

This module imports nothing from ``blog`` so that any part of the package, the
comments plugin included, can take ``db`` (and ``redis_store``) from here without an import cycle.
"""

from datetime import datetime, timezone
from functools import lru_cache
from threading import Lock
from time import monotonic

import redis
from babel.support import Translations
from flask import current_app
from flask_babel import Babel, get_locale
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import DateTime, MetaData, Text, event
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Session, registry
from sqlalchemy.types import TypeDecorator
from wtforms.i18n import messages_path

# Named constraints keep Alembic's batch mode on SQLite able to alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The largest row id every database holds: an INTEGER column is 32 bits on PostgreSQL and MariaDB, and
# PostgreSQL refuses a larger number outright, so no id from a URL or a form past it reaches a query.
ID_MAX = 2**31 - 1
# A row id in a URL rule (``f"/<{URL_ID}:comment_id>"``): any other number is a 404 before any query.
URL_ID = f"int(min=1, max={ID_MAX})"

# MySQL's TEXT holds 65,535 bytes, fewer characters than a long comment in utf8mb4.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC on every database and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use an aware UTC datetime")
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    """The current time, aware and in UTC: the only clock models use."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    """Declarative base shared by the blog's and the comments plugin's models."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


# A request's session ends with the request, and what it wrote is what it then answers from: after a
# commit, nothing is expired and read again (on SQLite, in a transaction of its own).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
# Where the session keeps the transaction begun by ``begin_reading``, in ``Session.info``.
READS_ONLY = "blog.reads_only"


def begin_reading():
    """Begin the session's next transaction as one that only reads.

    On SQLite a request that may write takes the write lock when its transaction begins
    (blog.database), so writers queue instead of failing; a stretch of such a request that only
    reads (checking a form, sanitizing, building the answer after the commit) needs no lock and,
    begun this way, runs beside other workers' writes. End it (commit or rollback) before writing.
    The database transaction begins with the first query: a stretch that reads nothing costs none.
    No-op when a transaction is already open.
    """
    session = db.session()
    if not session.in_transaction():
        session.info[READS_ONLY] = session.begin()


def is_reading(session) -> bool:
    """Whether the session's open transaction was begun by ``begin_reading``."""
    reading = session.info.get(READS_ONLY)
    return reading is not None and reading is session.get_transaction()


@event.listens_for(Session, "after_transaction_end")
def _end_reading(session, transaction):
    if session.info.get(READS_ONLY) is transaction:
        del session.info[READS_ONLY]


migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
# The sign-in page says why on its own; no flashed message to translate and show.
login_manager.login_message = None


class _ReadersTranslations:
    """WTForms' own messages in the reader's language, from catalogs read once per process, the language
    chosen only when a message is first asked for: a form without an error never makes the request
    choose one (most comment posts)."""

    def gettext(self, string):
        return _wtforms_translations(str(get_locale())).gettext(string)

    def ngettext(self, singular, plural, n):
        return _wtforms_translations(str(get_locale())).ngettext(singular, plural, n)


_READERS_TRANSLATIONS = _ReadersTranslations()


class Form(FlaskForm):
    """The base of every form of the blog and its plugin: WTForms' own messages in the reader's
    language (Flask-WTF reads its catalogs again on every request)."""

    class Meta:
        def get_translations(self, form):
            return _READERS_TRANSLATIONS


@lru_cache(maxsize=None)
def _wtforms_translations(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


# What RedisStore.run answers instead of a result when Redis is not configured or not answering.
OFFLINE = object()
# Seconds Redis has to answer (and to connect) before the request goes on without it: on loopback or a
# LAN it answers in a millisecond, and a request must not hang on it.
REDIS_TIMEOUT_SECONDS = 0.5


class RedisStore:
    """Redis, when ``REDIS_URL`` is set: what every worker and host shares and soon forgets (flood marks,
    failed sign-ins, threads' versions), for the plugin and the blog alike.

    Every use goes through ``run`` or ``run_script``, which answer ``OFFLINE`` instead of raising when
    Redis is not configured or does not answer, and each caller then does what it does without Redis,
    from the database. An outage is logged once, when it begins; for REDIS_RETRY_SECONDS after a failure
    Redis is not even tried (no request waits for a timeout again), then the next request tries it, and
    the first answer ends the outage, logged too.
    """

    def init_app(self, app):
        url = app.config["REDIS_URL"]
        app.extensions["redis"] = _RedisConnection(
            url, app.config["REDIS_KEY_PREFIX"], app.config["REDIS_RETRY_SECONDS"], app.logger) if url else None

    def is_configured(self) -> bool:
        return current_app.extensions.get("redis") is not None

    def key(self, name: str) -> str:
        """The name of a key of this site (REDIS_KEY_PREFIX before ``name``)."""
        return current_app.extensions["redis"].prefix + name

    def run(self, operation):
        """``operation(client)``'s answer, or OFFLINE."""
        connection = current_app.extensions.get("redis")
        return OFFLINE if connection is None else connection.run(operation)

    def run_script(self, source: str, keys: list[str], args: list) -> object:
        """The answer of the Lua script ``source`` (run by its digest, loaded when Redis lacks it), or OFFLINE."""
        connection = current_app.extensions.get("redis")
        return OFFLINE if connection is None else connection.run(
            lambda client: connection.script(source)(keys=keys, args=args, client=client))


class _RedisConnection:
    """One app's Redis client (a pool of connections, which redis-py reopens after a fork) and what it
    knows of an outage."""

    def __init__(self, url: str, prefix: str, retry_seconds: float, logger):
        # One quick retry, on a new connection: a connection the pool kept across a Redis restart is
        # dead, and fails once before a new one answers. redis-py's default backs off for seconds.
        self.client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                           socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                           retry=Retry(NoBackoff(), 1))
        self.prefix = prefix
        self._retry_seconds = retry_seconds
        self._logger = logger
        self._scripts = {}
        self._lock = Lock()
        self._retry_at = None  # during an outage: when Redis is tried again

    def script(self, source: str):
        if source not in self._scripts:
            self._scripts[source] = self.client.register_script(source)
        return self._scripts[source]

    def run(self, operation):
        retry_at = self._retry_at
        if retry_at is not None and monotonic() < retry_at:
            return OFFLINE
        try:
            answer = operation(self.client)
        except redis.RedisError as error:
            with self._lock:
                if self._retry_at is None:
                    self._logger.warning("Redis does not answer (%s): using the database until it does", error)
                self._retry_at = monotonic() + self._retry_seconds
            return OFFLINE
        if retry_at is not None:
            with self._lock:
                if self._retry_at is not None:
                    self._retry_at = None
                    self._logger.info("Redis answers again: using it again")
        return answer


redis_store = RedisStore()
