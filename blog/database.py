"""Database engine settings that the URL alone cannot carry, the health check, and SQLite's change
counter."""

import os
import sqlite3
from threading import Lock

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from blog.extensions import UTCDateTime, db, is_reading

# Milliseconds a SQLite writer waits for another worker's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


# Requests that only read; every other transaction may write, and takes SQLite's write lock up front.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_database(app):
    """Tune every connection the app's engine opens."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        event.listen(engine, "handle_error", _count_failed_connect_as_disconnect)
    # Runs before Flask-SQLAlchemy's own teardown (the last registered runs first), which then finds
    # nothing left to remove.
    app.teardown_appcontext(_remove_session)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        if engine.url.database and engine.url.database != ":memory:" and not engine.url.query:
            _create_private_file(engine.url.database)
            app.extensions["blog.change_probe"] = ChangeProbe(engine.url.database)


def _count_failed_connect_as_disconnect(context):
    """A connection that cannot be made (refused, or a server starting up) says what a broken one says:
    the database is out of reach. SQLAlchemy marks only the broken one; marked, either error carries
    ``connection_invalidated``, which the error pages answer with 503 (blog/errors.py)."""
    if context.connection is None:
        context.is_disconnect = True


def _despite_a_broken_connection(end):
    """Call ``end`` (the session's rollback or remove); if the connection broke meanwhile (the database
    restarting), call it once more: the broken connection is invalidated by then, and the second call only
    resets the session. Any other database error is raised."""
    try:
        end()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        end()


def roll_back():
    """Roll the session back. A connection that broke meanwhile (the database restarting) has nothing left
    to roll back, since the server ended its transaction with it: that error is not raised."""
    _despite_a_broken_connection(db.session.rollback)


def _remove_session(exception=None):
    """End the request's session, rolling back what it left open, as Flask-SQLAlchemy does; but a
    connection that broke after the response was made costs that response nothing (a 303 for a comment
    committed before the break must not turn into a 500 as the request ends). Closing, not rolling back:
    the objects the request loaded stay as they were, detached."""
    _despite_a_broken_connection(db.session.remove)


def _create_private_file(path: str):
    """Create the SQLite file readable by its owner alone (0600), before SQLite creates it with the
    umask's mode (0644, as a rule): it holds commenters' addresses. SQLite gives its -wal and -shm
    files the database file's mode. An existing file is left as its operator made it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except (FileExistsError, FileNotFoundError):  # there already; or no folder, which SQLite will report
        pass


def data_version() -> tuple[int, int] | None:
    """A value that changes whenever anything is committed to the database, by any connection of
    any worker; None where the database cannot tell (PostgreSQL, MariaDB, SQLite in memory).

    While it stays the same, whatever a worker read earlier is still what the database holds, so
    it may answer from memory without opening a transaction at all.
    """
    probe = current_app.extensions.get("blog.change_probe")
    return probe.read() if probe is not None else None


class ChangeProbe:
    """SQLite's ``PRAGMA data_version`` on a connection of this process's own that never writes:
    the pragma changes with every commit made by any other connection (and every connection that
    writes is another one), and reading it takes microseconds, with no transaction to begin."""

    def __init__(self, path: str):
        self._path = path
        self._connection = None
        self._pid = None
        self._lock = Lock()

    def read(self) -> tuple[int, int]:
        """The process and its connection's counter: counters of two connections do not compare."""
        with self._lock:
            if self._pid != os.getpid():  # opened in the worker, never inherited across a fork
                self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                self._pid = os.getpid()
            return self._pid, self._connection.execute("PRAGMA data_version").fetchone()[0]


def _begin_sqlite(connection):
    """Begin a transaction ourselves, IMMEDIATE when it may write.

    A deferred SQLite transaction that has read and then wants to write fails at once with
    "database is locked" when another worker is writing, whatever the busy timeout. Taking the
    write lock at BEGIN makes concurrent writers queue for it instead, so no comment is lost.
    A transaction begun with ``blog.extensions.begin_reading`` says it only reads, and takes no lock.
    """
    is_read_only = (has_request_context() and request.method in READ_ONLY_METHODS
                    or has_app_context() and db.session.registry.has() and is_reading(db.session()))
    # Straight to the driver: this runs on every request, and SQLAlchemy has nothing to add to it.
    connection.connection.driver_connection.execute("BEGIN" if is_read_only else "BEGIN IMMEDIATE")


def _configure_sqlite(dbapi_connection, connection_record):
    """WAL lets readers and a writer work at once; the busy timeout makes writers queue. The driver's
    own implicit BEGIN is switched off: _begin_sqlite emits ours."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def is_database_up() -> bool:
    """Whether the database answers a trivial query."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def render_migration_type(kind, value, autogen_context):
    """Write ``UTCDateTime`` into migrations as the ``DateTime`` it stores, importing nothing of ours."""
    if kind == "type" and isinstance(value, UTCDateTime):
        return "sa.DateTime()"
    return False
