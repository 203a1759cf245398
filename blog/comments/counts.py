"""How many comments a thread shows: counted once a request (a post's page asks three times: its byline,
the thread's heading, the page links), and after a new comment, not counted at all.

After every new comment each worker renders the page again, and counting a thread reads every approved
comment's entry in an index. But a new approved top-level comment, the common change, adds one to both
counts and one to the thread's version, and nothing else (blog.comments.thread_cache.VERSION_STEP). So
each worker keeps a thread's counts with the version they were counted at, read in the same statement;
while its ``rows_version`` stays, the counts at a later version are those plus the difference.
"""

from typing import NamedTuple

from flask import current_app, g
from sqlalchemy import bindparam

from blog.comments.models import comment_page, thread_counts, top_level_comments_after
from blog.comments.thread_cache import COUNTED, rendered_threads, rows_version
from blog.extensions import db

# Built once, run on the session's connection, in the request's transaction (blog.comments.thread_cache).
_THREAD_COUNTS = thread_counts(bindparam("target_keys", expanding=True))


class ThreadCounts(NamedTuple):
    shown: int
    """The comments the thread shows, over all its pages."""
    top_level: int
    """The top-level comments among them, which its pages are counted in."""


NO_COMMENTS = ThreadCounts(0, 0)


def counts_of(target_keys, versions: dict[str, int] | None = None) -> dict[str, ThreadCounts]:
    """The counts of each thread, by key: those this request has not counted yet, in one query, unless
    ``versions`` (key → the thread's version this request read) lets them follow from what this worker
    kept."""
    counted = g.setdefault(COUNTED, {})
    keys, versions = dict.fromkeys(target_keys), versions or {}
    for key in keys:
        if key not in counted and key in versions and (counts := _followed(key, versions[key])) is not None:
            counted[key] = counts
    missing = [key for key in keys if key not in counted]
    if missing:
        rows = db.session.connection().execute(_THREAD_COUNTS, {"target_keys": missing}).all()
        counted.update(dict.fromkeys(missing, NO_COMMENTS))
        for key, shown, top_level, version in rows:
            # PostgreSQL and MariaDB sum counts into NUMERIC and DECIMAL.
            counted[key] = ThreadCounts(int(shown), int(top_level))
            rendered_threads().put(("counts", key), rows_version(version), (version, counted[key]), size=len(key))
    return {key: counted[key] for key in target_keys}


def _followed(target_key: str, version: int) -> ThreadCounts | None:
    """The thread's counts at ``version`` from those kept at an earlier version of the same rows version:
    one more of each for each comment appended since; None if there are none such."""
    kept = rendered_threads().get(("counts", target_key), rows_version(version))
    if kept is None or kept[0] > version:
        return None
    appended = version - kept[0]
    return ThreadCounts(kept[1].shown + appended, kept[1].top_level + appended)


def new_comment_page(comment) -> int:
    """The page of the thread that shows a comment just stored in this transaction, as comment_page finds
    it, but without counting the thread where its counts follow from those kept: a new top-level comment
    with none after it (the rule: its time is now) is on the last page, whether it is approved or held
    (shown there to its author alone). A reply is on its top-level comment's page."""
    if comment.parent_id is not None:
        return comment_page(comment)
    after, version = top_level_comments_after(comment)
    if after:
        return comment_page(comment)
    key = comment.target_key
    top_level = counts_of([key], {key: version})[key].top_level
    return max(1, -(-top_level // current_app.config["COMMENTS_PER_PAGE"]))
