"""Comment text as the HTML stored and shown, in the site's markup (COMMENTS_MARKUP), within a time limit.

"html" is the text as typed, its allowlisted tags kept (DESIGN.md section 7); "markdown" is Markdown, its
HTML judged by the same sanitizer. Each comment keeps the markup it was written in (``body_markup``), so a
site that changes the setting still edits and resanitizes its older comments as they were written.

Python-Markdown's parser takes time that grows much faster than its input for some texts (thousands of
unclosed brackets, autolinks or CDATA openings take minutes at the form's 65,525 characters), and fails
on lists nested thousands deep. So Markdown is rendered in a helper process, one per worker process and
started on first use, which is stopped when it takes longer than MARKDOWN_SECONDS: the text is then
stored as if written in HTML, its words as typed, sanitized the same way. No reader waits longer.
"""

import multiprocessing
import threading
from multiprocessing.pool import Pool

from flask import current_app
from markupsafe import Markup, escape

from blog.sanitize import COMMENT_ATTRIBUTES, COMMENT_TAGS, MARKUPS, clean_comment

# The longest a comment's Markdown may take: a reader's 65,525 characters of it take well under a second.
MARKDOWN_SECONDS = 5
# The longest a new helper process may take to start (a fresh interpreter importing the sanitizer): not
# counted in MARKDOWN_SECONDS, so a busy machine's slow start never turns a reader's Markdown into plain text.
STARTUP_SECONDS = 60


# The form's note on the tags a comment may hold, as WordPress's form lists them: the paragraphs and breaks
# made of blank lines are no tags to type.
ALLOWED_TAGS_NOTE = Markup("<code>{}</code>").format(Markup(" ").join(
    escape(f"<{tag}" + "".join(f' {name}=""' for name in COMMENT_ATTRIBUTES.get(tag, ())) + ">")
    for tag in sorted(COMMENT_TAGS - {"p", "br"})))


def check_markup(config):
    """Refuse, at start-up, a COMMENTS_MARKUP that names no markup."""
    if config["COMMENTS_MARKUP"] not in MARKUPS:
        raise ValueError(f"COMMENTS_MARKUP must be one of {', '.join(map(repr, MARKUPS))}, "
                         f"not {config['COMMENTS_MARKUP']!r}")


def site_markup() -> str:
    """What new comment text is written in: COMMENTS_MARKUP (checked by Comments.init_app)."""
    return current_app.config["COMMENTS_MARKUP"]


def render_comment(text: str, markup: str) -> str:
    """The stored HTML of comment text written in ``markup`` (a comment's ``body_markup``)."""
    return _renderer.render(text) if markup == "markdown" else clean_comment(text)


class _MarkdownRenderer:
    """The helper process that renders Markdown, replaced by a new one when it ran out of time."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pool = None

    def render(self, text: str) -> str:
        try:
            pool = self._running_pool()
        except multiprocessing.TimeoutError:
            current_app.logger.warning("The Markdown helper did not start within %s s: comment stored as plain text",
                                       STARTUP_SECONDS)
            return clean_comment(text)
        try:
            return pool.apply_async(clean_comment, (text, "markdown")).get(MARKDOWN_SECONDS)
        except multiprocessing.TimeoutError:
            self._stop(pool)
            current_app.logger.warning("A comment's Markdown took over %s s: stored as plain text", MARKDOWN_SECONDS)
        except Exception:  # noqa: BLE001 -- raised in the helper, which goes on: lists nested thousands deep
            # (RecursionError), or any other way a third-party parser may fail on hostile text
            current_app.logger.warning("A comment's Markdown failed: stored as plain text", exc_info=True)
        return clean_comment(text)

    def _running_pool(self) -> Pool:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: a fork of a worker with threads and database connections is unsafe.
                pool = multiprocessing.get_context("spawn").Pool(1)
                try:
                    pool.apply_async(clean_comment, ("", "markdown")).get(STARTUP_SECONDS)  # started, imported
                except multiprocessing.TimeoutError:
                    pool.terminate()
                    raise
                self._pool = pool
            return self._pool

    def _stop(self, pool: Pool):
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.terminate()


_renderer = _MarkdownRenderer()
