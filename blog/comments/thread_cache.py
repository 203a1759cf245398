"""The rendered thread of a page, kept by each worker and checked against a version in the database.

Rendering a thread of a few hundred comments is most of a post page's cost, and readers far
outnumber comments. Each worker keeps rendered threads in memory, keyed by target, page, language
and open state; every change that can alter what a thread shows (a comment approved, unapproved,
edited, removed, a moderator's reply, an approved new comment) bumps the thread's version row in
the same transaction, so every worker sees it on its very next request, whichever worker made it.
Whatever writes comments calls ``touch_thread``; that is the rule this cache rests on.
Only the part every reader sees alike is cached: a reader's own held comments and the form are
never part of it.
"""

from collections import OrderedDict
from threading import Lock

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from blog.comments.models import ThreadVersion
from blog.extensions import db

# Characters of rendered HTML each of a worker's caches keeps (a page of 50 comments is about 60,000),
# so a site with thousands of posts and pages still fits a worker's memory budget.
CAPACITY = 8_000_000


# Every view of a page runs this; built once, and run on the session's connection (in its transaction)
# rather than through the ORM's execution path, which would cost three times the query itself.
_VERSION = select(ThreadVersion.version).where(ThreadVersion.target_key == bindparam("target_key"))


def thread_version(target_key: str) -> int:
    return db.session.connection().execute(_VERSION, {"target_key": target_key}).scalar() or 0


def thread_version_column(target_key):
    """The version of the thread whose key is the SQL expression ``target_key``, as a column a host
    can add to its own query of the page (0 for a thread never touched): one query instead of two."""
    version = select(ThreadVersion.version).where(ThreadVersion.target_key == target_key).scalar_subquery()
    return func.coalesce(version, 0)


def _upserts():
    """The upsert of touch_thread in each dialect's words, built once (every comment runs one)."""
    bumped = {"version": ThreadVersion.version + 1}
    row = {"target_key": bindparam("target_key"), "version": 1}
    mariadb = mysql_insert(ThreadVersion).values(row).on_duplicate_key_update(bumped)
    return {
        "mysql": mariadb,
        "mariadb": mariadb,
        **{name: insert(ThreadVersion).values(row).on_conflict_do_update(
            index_elements=[ThreadVersion.target_key], set_=bumped)
           for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))},
    }


_UPSERTS = _upserts()


def touch_thread(target_key: str):
    """Mark a thread changed, in the caller's transaction: one atomic upsert, so workers racing to
    touch the same thread for the first time neither collide nor deadlock."""
    connection = db.session.connection()  # the Core path: the ORM's adds nothing to a plain upsert
    connection.execute(_UPSERTS[connection.dialect.name], {"target_key": target_key})


class VersionedCache:
    """What a worker keeps (rendered HTML, mostly): (key parts) → (version, value), good only for the
    version it was kept with; least recently used out first once the values hold more than
    ``capacity`` characters (or bytes); safe across threads."""

    def __init__(self, capacity: int = CAPACITY):
        self._entries = OrderedDict()
        self._capacity = capacity
        self._size = 0
        self._lock = Lock()

    def get(self, key, version):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key, version, html, size: int | None = None):
        """Keep ``html`` (text, or anything whose ``size`` is given)."""
        with self._lock:
            if key in self._entries:
                self._size -= self._entries.pop(key)[2]
            size = len(html) if size is None else size
            self._entries[key] = (version, html, size)
            self._size += size
            while self._size > self._capacity:
                self._size -= self._entries.popitem(last=False)[1][2]


def rendered_threads() -> VersionedCache:
    """This app's rendered threads (an app per process in production; tests build many)."""
    return current_app.extensions["comments.rendered_threads"]
