"""The rendered thread of a page, kept by each worker and checked against a version in the database.

Rendering a thread of a few hundred comments is most of a post page's cost, and readers far
outnumber comments. Each worker keeps rendered threads in memory, keyed by target, page, language
and open state; every change that can alter what a thread shows (a comment approved, unapproved,
edited, removed, a moderator's reply, an approved new comment) bumps the thread's version row in
the same transaction, so every worker sees it on its very next request, whichever worker made it.
Whatever writes comments calls ``touch_thread``; that is the rule this cache rests on.
Only the part every reader sees alike is cached: a reader's own held comments and the form are
never part of it.

With Redis (REDIS_URL), readers look the version up there first, as the key ``thread:<target key>``,
and the database stays the one that counts: Redis holds a copy of the database's number, not a
counter of its own. So:

- The row is bumped in the writer's transaction as without Redis, and its new number is copied to
  Redis only after the commit (never raising it past what is committed: a reader that saw the new
  number before the commit could render the old rows and keep them under it).
- Redis down at that moment, or a host that cannot reach it, leaves the copy behind, never wrong
  the other way; and every copy expires VERSION_TTL_SECONDS after it last moved, when a reader reads
  the database again and copies it anew (only raising it, so a slow reader's older number never
  overwrites a newer one). A copy left behind is thus stale for a bounded time, and Redis restarted
  empty is simply a copy to make again. While Redis does not answer, readers read the database.
- A reader keeps a rendering under Redis's number only when what its own transaction reads is at
  least that new (``is_current``, read before the rendering): on SQLite and MariaDB a transaction
  reads a snapshot from its first query, perhaps older than Redis's number.
"""

from collections import OrderedDict
from threading import Lock

from flask import current_app, g
from sqlalchemy import bindparam, event, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from blog.comments.models import ThreadVersion
from blog.extensions import OFFLINE, db, redis_store

# Characters of rendered HTML each of a worker's caches keeps (a page of 50 comments is about 60,000),
# so a site with thousands of posts and pages still fits a worker's memory budget.
CAPACITY = 8_000_000
# Seconds a thread's version lives in Redis after it last moved: how long a copy that missed a change
# (Redis down just after a commit) may stay behind, and how often an unchanged thread's is read again.
VERSION_TTL_SECONDS = 60
# A thread's version counts two kinds of change. A new approved top-level comment adds one: it goes at
# the end of the thread, so every page before the one it lands on shows the same comments as before
# (their count and page links aside). Any other change (an edit, a reply, a comment approved or removed,
# which may be anywhere) raises it to the next multiple of this, so the version divided by it moves
# with every change that may alter the rows of a full page (``rows_version``); appends past this many
# move it too, which only renders a page again. 32-bit versions leave two million such changes a thread.
VERSION_STEP = 1024
# Where a request's counts of threads are kept (blog.comments.counts), on ``flask.g``: touch_thread drops them.
COUNTED = "comments_thread_counts"
# Where the versions to copy to Redis after the commit wait, in ``Session.info``.
_TOUCHED = "comments.threads_touched"
# KEYS[1] set to ARGV[1] for ARGV[2] seconds, unless it holds that number or a greater one already.
_RAISE_IN_REDIS = """
local kept = tonumber(redis.call('GET', KEYS[1]))
if not kept or kept < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
"""


# Every view of a page runs this; built once, and run on the session's connection (in its transaction)
# rather than through the ORM's execution path, which would cost three times the query itself.
_VERSION = select(ThreadVersion.version).where(ThreadVersion.target_key == bindparam("target_key"))


def thread_version(target_key: str) -> int:
    """The version to look the thread's kept renderings up under: Redis's copy when it has one, else
    the database's (then copied to Redis for the readers to come)."""
    if not redis_store.is_configured():
        return _database_version(target_key)
    key = redis_store.key(f"thread:{target_key}")
    kept = redis_store.run(lambda client: client.get(key))
    if kept is not None and kept is not OFFLINE:
        return int(kept)
    version = _database_version(target_key)
    if kept is None:
        _copy_to_redis(key, version)
    return version


def is_current(target_key: str, version: int) -> bool:
    """Whether what this transaction reads of the thread is at least at ``version``, so a rendering read
    from now on may be kept under it. Always, without Redis: the version was read in this transaction."""
    return not redis_store.is_configured() or _database_version(target_key) >= version


def _database_version(target_key: str) -> int:
    return db.session.connection().execute(_VERSION, {"target_key": target_key}).scalar() or 0


def _copy_to_redis(key: str, version: int):
    redis_store.run_script(_RAISE_IN_REDIS, [key], [version, VERSION_TTL_SECONDS])


def _upserts(is_appended: bool):
    """The upserts of touch_thread in each dialect's words, built once (every comment runs one): the
    version one more for a comment appended, up to the next multiple of VERSION_STEP for any other change."""
    if is_appended:
        bumped, first = ThreadVersion.version + 1, 1
    else:
        bumped, first = (ThreadVersion.version // VERSION_STEP + 1) * VERSION_STEP, VERSION_STEP
    row = {"target_key": bindparam("target_key"), "version": first}
    mariadb = mysql_insert(ThreadVersion).values(row).on_duplicate_key_update({"version": bumped})
    return {
        "mysql": mariadb,
        "mariadb": mariadb,
        **{name: insert(ThreadVersion).values(row).on_conflict_do_update(
            index_elements=[ThreadVersion.target_key], set_={"version": bumped})
           for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))},
    }


_UPSERTS = {is_appended: _upserts(is_appended) for is_appended in (False, True)}


def touch_thread(target_key: str, *, appended: bool = False):
    """Mark a thread changed, in the caller's transaction: one atomic upsert, so workers racing to
    touch the same thread for the first time neither collide nor deadlock. ``appended``: the change is
    a new approved top-level comment, and nothing else (see VERSION_STEP)."""
    connection = db.session.connection()  # the Core path: the ORM's adds nothing to a plain upsert
    connection.execute(_UPSERTS[appended][connection.dialect.name], {"target_key": target_key})
    g.pop(COUNTED, None)  # counted before the change
    if redis_store.is_configured():  # the number this transaction gave it (its row is ours until the commit)
        db.session.info.setdefault(_TOUCHED, {})[target_key] = _database_version(target_key)


def rows_version(version: int) -> int:
    """The part of a thread's version that only changes that may alter a full page's rows move."""
    return version // VERSION_STEP


@event.listens_for(Session, "after_commit")
def _copy_touched_versions(session):
    for target_key, version in session.info.pop(_TOUCHED, {}).items():
        _copy_to_redis(redis_store.key(f"thread:{target_key}"), version)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_versions(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended without a commit
        session.info.pop(_TOUCHED, None)


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

    def kept_version(self, key):
        """The version the value under ``key`` was kept with, or None: whether it is worth looking up."""
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else entry[0]

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
