"""How many comments a thread shows, counted once a request: a post's page asks three times (its byline,
the thread's heading, the page links), and after every new comment each worker renders the page again."""

from typing import NamedTuple

from flask import g
from sqlalchemy import bindparam

from blog.comments.models import thread_counts
from blog.extensions import db

# Built once, run on the session's connection, in the request's transaction (blog.comments.thread_cache).
_THREAD_COUNTS = thread_counts(bindparam("target_keys", expanding=True))
# Where a request's counts are kept, on ``flask.g``.
_COUNTED = "comments_thread_counts"


class ThreadCounts(NamedTuple):
    shown: int
    """The comments the thread shows, over all its pages."""
    top_level: int
    """The top-level comments among them, which its pages are counted in."""


NO_COMMENTS = ThreadCounts(0, 0)


def counts_of(target_keys) -> dict[str, ThreadCounts]:
    """The counts of each thread, by key: those this request has not counted yet, in one query."""
    counted = g.setdefault(_COUNTED, {})
    missing = [key for key in dict.fromkeys(target_keys) if key not in counted]
    if missing:
        rows = db.session.connection().execute(_THREAD_COUNTS, {"target_keys": missing}).all()
        counted.update(dict.fromkeys(missing, NO_COMMENTS))
        # PostgreSQL and MariaDB sum counts into NUMERIC and DECIMAL.
        counted.update({key: ThreadCounts(int(shown), int(top_level)) for key, shown, top_level in rows})
    return {key: counted[key] for key in target_keys}


def forget_counts():
    """Count again from now on: this request's transaction changes a thread (touch_thread says so)."""
    g.pop(_COUNTED, None)
