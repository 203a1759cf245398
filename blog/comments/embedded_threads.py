"""Threads of the plugin's own, for pages the host does not know: a URI of an origin listed in
COMMENTS_EMBED_ORIGINS (a static site embedding the thread) becomes one on its first comment, when
COMMENTS_EMBED_AUTO_THREADS is on. The row names the page for the moderation queue and the mail."""

import hashlib
from datetime import datetime

from sqlalchemy import String, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from blog.comments.cors import ORIGIN_MAX
from blog.comments.target import CommentTarget
from blog.extensions import db, utcnow

KEY_PREFIX = "embed:"
KEY_MAX = 200
URI_MAX = 200


class EmbeddedThread(db.Model):
    """A thread under a page of another origin, keyed by that origin and the page's URI."""

    __tablename__ = "comment_thread"

    # The comments' target_key: "embed:https://static.example.org/a-page/" (thread_key).
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    origin: Mapped[str] = mapped_column(String(ORIGIN_MAX))
    uri: Mapped[str] = mapped_column(String(URI_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def target(self) -> CommentTarget:
        """The thread as the plugin sees a page: titled with its URI, at the page on its origin."""
        return CommentTarget(key=self.key, locator=self.key, title=self.uri, url=self.origin + self.uri,
                             published_at=self.created_at)


def thread_key(origin: str, uri: str) -> str:
    """The key of the thread of ``uri`` on ``origin``; one too long for the column is cut, and ends with
    a digest of the whole, so two long URIs that start alike are still two threads."""
    key = KEY_PREFIX + origin + uri
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[:KEY_MAX - len(digest) - 1]}#{digest}"


_BY_KEY = select(EmbeddedThread).where(EmbeddedThread.key == bindparam("key"))
_BY_KEYS = select(EmbeddedThread).where(EmbeddedThread.key.in_(bindparam("keys", expanding=True)))
_CREATE = insert(EmbeddedThread)


def find_thread(origin: str, uri: str) -> EmbeddedThread | None:
    return db.session.scalar(_BY_KEY, {"key": thread_key(origin, uri)})


def new_thread(origin: str, uri: str) -> EmbeddedThread:
    """The thread ``uri`` on ``origin`` gets with its first comment (stored by ``create_thread``)."""
    return EmbeddedThread(key=thread_key(origin, uri), origin=origin, uri=uri, created_at=utcnow())


def create_thread(thread: EmbeddedThread):
    """Store a new thread in the caller's (writing) transaction; one that a concurrent first comment
    stored meanwhile is left as it is (a savepoint keeps the caller's transaction usable)."""
    connection = db.session.connection()
    try:
        with connection.begin_nested():
            connection.execute(_CREATE, {"key": thread.key, "origin": thread.origin, "uri": thread.uri,
                                         "created_at": thread.created_at})
    except IntegrityError:
        pass


def embedded_targets(keys) -> dict[str, CommentTarget]:
    """The targets of those keys that name threads of the plugin's own, in one query."""
    keys = [key for key in keys if key.startswith(KEY_PREFIX)]
    if not keys:
        return {}
    return {thread.key: thread.target for thread in db.session.scalars(_BY_KEYS, {"keys": keys})}
