"""Database engine settings that the URL alone cannot carry, and the health check."""

from flask import has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError

from blog.extensions import READS_ONLY, UTCDateTime, db

# Milliseconds a SQLite writer waits for another worker's lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


# Requests that only read; every other transaction may write, and takes SQLite's write lock up front.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_database(app):
    """Tune every connection the app's engine opens."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)


def _begin_sqlite(connection):
    """Begin a transaction ourselves, IMMEDIATE when it may write.

    A deferred SQLite transaction that has read and then wants to write fails at once with
    "database is locked" when another worker is writing, whatever the busy timeout. Taking the
    write lock at BEGIN makes concurrent writers queue for it instead, so no comment is lost.
    A transaction begun with ``blog.extensions.begin_reading`` says it only reads, and takes no lock.
    """
    is_read_only = (connection.get_execution_options().get(READS_ONLY)
                    or has_request_context() and request.method in READ_ONLY_METHODS)
    connection.exec_driver_sql("BEGIN" if is_read_only else "BEGIN IMMEDIATE")


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
