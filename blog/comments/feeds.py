"""Atom feeds of approved comments: one thread's, and the whole site's (DESIGN.md section 4).

Built with ElementTree, so every value is escaped by the XML writer; a held comment or an email
address never appears. Links are absolute, from COMMENTS_SITE_URL when it is set.
"""

from xml.etree import ElementTree

from flask import Response, current_app, request

from blog.comments.models import Comment
from blog.comments.translation import gettext as _
from blog.extensions import utcnow

ATOM = "http://www.w3.org/2005/Atom"
ElementTree.register_namespace("", ATOM)
# Entries in a feed: the newest this many approved comments.
FEED_LENGTH = 50


def absolute(path: str) -> str:
    """An absolute URL for a path: on COMMENTS_SITE_URL when configured, else on the request's host."""
    base = current_app.config["COMMENTS_SITE_URL"] or request.host_url
    return base.rstrip("/") + path


def _text(parent, tag: str, value: str, **attributes):
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    element.text = value
    return element


def atom_response(title: str, page_url: str, feed_url: str, entries: list[dict]) -> Response:
    """An Atom document. Each entry is a dict with ``title``, ``link`` (absolute), ``published``,
    ``updated`` (aware datetimes), ``author``, optional ``author_uri``, and ``html`` (already safe)."""
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", absolute(feed_url))
    _text(feed, "updated", max((entry["updated"] for entry in entries), default=utcnow()).isoformat())
    ElementTree.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": absolute(feed_url)})
    ElementTree.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                                    "href": absolute(page_url)})
    for item in entries:
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", item["title"])
        _text(entry, "id", item["link"])
        ElementTree.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                                         "href": item["link"]})
        _text(entry, "published", item["published"].isoformat())
        _text(entry, "updated", item["updated"].isoformat())
        author = ElementTree.SubElement(entry, f"{{{ATOM}}}author")
        _text(author, "name", item["author"])
        if item.get("author_uri"):
            _text(author, "uri", item["author_uri"])
        _text(entry, "content", item["html"], type="html")
    body = ElementTree.tostring(feed, encoding="unicode")
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/atom+xml")


def comments_feed(title: str, page_url: str, feed_url: str, comments: list[Comment], targets: dict) -> Response:
    """An Atom feed of approved comments, newest first; comments of pages no longer there are left out."""
    entries = [
        {"title": _("By: %(author)s", author=comment.author),
         "link": absolute(f"{targets[comment.target_key].url}#comment-{comment.id}"),
         "published": comment.created_at, "updated": comment.approved_at or comment.created_at,
         "author": comment.author, "author_uri": comment.url, "html": comment.body_html}
        for comment in comments if comment.target_key in targets
    ]
    return atom_response(title, page_url, feed_url, entries)
