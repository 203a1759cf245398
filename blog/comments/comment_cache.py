"""The rendered comments of a thread, kept by each worker: a thread that changed renders again only
the comments that did.

A new comment bumps its thread's version (blog.comments.thread_cache), so the next view of the page
renders its thread again, though nearly all of its comments are as they were. Each comment's
rendering (comments/_comment.html: the comment and, through ``render_comment``, its replies) is kept,
keyed by what it is rendered for (the target, the page, whether the thread is open, the language and
the time zone), and good only for the rows it was rendered from, its own and its replies', exactly as
the view has just read them. Any change to a comment or to its replies renders it again, whatever
wrote it and whether or not it touched the thread; a new reply costs its own rendering and its
parents', not the page's. A rendering with a held comment in it, or with the notice of a comment just
posted, is its author's alone: never kept.
"""

from flask import current_app
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

TEMPLATE = "comments/_comment.html"


def rendered_comments():
    """This app's kept comment renderings (a VersionedCache)."""
    return current_app.extensions["comments.rendered_comments"]


class CommentRenderer:
    """``render_comment(node)`` in the thread's templates: comments/_comment.html for a ThreadNode of
    ``target``'s page, from this worker's kept rendering when that was rendered from the same rows.
    ``context`` is all a comment's template renders with besides ``node``, and every part of it is in
    the key: a kept rendering is right for every reader of that page."""

    def __init__(self, target, pagination, is_open: bool, page_url):
        self._key = (target.key, target.url, target.title, pagination.page, is_open,
                     str(get_locale()), str(get_timezone()))
        self.context = {"target": target, "pagination": pagination, "page_url": page_url, "is_open": is_open,
                        "render_comment": self}
        self._template = current_app.jinja_env.get_template(TEMPLATE)
        self._kept = rendered_comments()

    def __call__(self, node) -> Markup:
        version = node.rendering_version
        if version is None:
            return self._render(node)
        key = (self._key, node.row.id)
        html = self._kept.get(key, version)
        if html is None:
            html = self._render(node)
            self._kept.put(key, version, html, size=len(html) + row_text_size(version[0]))
        return html

    def _render(self, node) -> Markup:
        return Markup(self._template.render(self.context, node=node))


def row_text_size(row) -> int:
    """The characters of a row's texts, which its kept version holds as well as the rendering."""
    return sum(len(value) for value in row if isinstance(value, str))
