"""Writing every post and its comments as a WXR 1.2 file, in the format WordPress writes.

``export_wxr`` writes every post, drafts included, with every comment whatever its status, in the
format WordPress writes (and the WordPress importers of Isso and Remark42 read). A comment's
``wp:comment_content`` is its sanitized HTML, as the page shows it, never the reader's raw text:
WordPress treats that field as HTML and does not filter it for admins, so a raw ``<script>`` this
blog shows escaped would run there. Each post also carries its Markdown source and language as
post meta (``_blog_markdown_source``, ``_blog_language``), each comment its raw text as comment
meta (``_blog_comment_source``) and moderator replies a mark (``_blog_moderator_reply``), so the
blog reads its own exports back unchanged (blog.wxr.reader) while WordPress reads the HTML. The
file holds commenters' addresses and IPs.
"""

import email.utils
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree import ElementTree

from flask import current_app
from sqlalchemy import select

from blog.commenting import thread_key
from blog.comments import Comment, CommentStatus
from blog.extensions import db, utcnow
from blog.posts.models import Post
from blog.wxr.reader import (
    COMMENT_SOURCE_META,
    CONTENT,
    DATE_FORMAT,
    LANGUAGE_META,
    MARKDOWN_META,
    MODERATOR_REPLY_META,
    NAMESPACES,
    WP,
    ZERO_DATE,
)

WXR_VERSION = "1.2"
DC = NAMESPACES["dc"]
EXCERPT = NAMESPACES["excerpt"]
# The author every exported post names: WordPress's importer asks whom to map it to.
AUTHOR_LOGIN = "admin"
EXPORTED_STATUSES = {CommentStatus.APPROVED: "1", CommentStatus.PENDING: "0", CommentStatus.SPAM: "spam",
                     CommentStatus.TRASH: "trash"}
# XML 1.0 cannot carry these at all, not even escaped; the forms never let them in.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class ExportSummary:
    """How much an export wrote, and whether its links had a site address to stand on."""

    posts: int
    comments: int
    has_absolute_links: bool


def export_wxr(stream) -> ExportSummary:
    """Write every post with all its comments to a binary stream as a WXR 1.2 document."""
    for prefix, uri in NAMESPACES.items():
        ElementTree.register_namespace(prefix, uri)
    config = current_app.config
    base_url = _site_url()
    rss = ElementTree.Element("rss", {"version": "2.0"})
    # ElementTree declares only the namespaces elements use; WordPress declares wfw too, used or not.
    rss.set("xmlns:wfw", NAMESPACES["wfw"])
    channel = ElementTree.SubElement(rss, "channel")
    _add(channel, "title", config["BLOG_TITLE"])
    _add(channel, "link", base_url or "/")
    _add(channel, "description", config["BLOG_DESCRIPTION"])
    _add(channel, "pubDate", _rss_date(utcnow()))
    _add(channel, "language", config["BLOG_DEFAULT_LANGUAGE"])
    _add(channel, f"{{{WP}}}wxr_version", WXR_VERSION)
    _add(channel, f"{{{WP}}}base_site_url", base_url or "/")
    _add(channel, f"{{{WP}}}base_blog_url", base_url or "/")
    author = ElementTree.SubElement(channel, f"{{{WP}}}author")
    for name, value in (("author_id", "1"), ("author_login", AUTHOR_LOGIN), ("author_email", ""),
                        ("author_display_name", config["BLOG_TITLE"]), ("author_first_name", ""),
                        ("author_last_name", "")):
        _add(author, f"{{{WP}}}{name}", value)
    _add(channel, "generator", "blog")

    posts = db.session.scalars(select(Post).order_by(Post.id)).all()
    comments_by_thread = defaultdict(list)
    keys = [thread_key(post) for post in posts]
    if keys:
        for comment in db.session.scalars(select(Comment).where(Comment.target_key.in_(keys))
                                          .order_by(Comment.created_at, Comment.id)):
            comments_by_thread[comment.target_key].append(comment)
    for post in posts:
        _add_item(channel, post, comments_by_thread[thread_key(post)], base_url)
    ElementTree.indent(rss, space="\t")
    # <tag></tag> rather than <tag />: WordPress's fallback regex parser reads only the former.
    ElementTree.ElementTree(rss).write(stream, encoding="UTF-8", xml_declaration=True, short_empty_elements=False)
    stream.write(b"\n")
    return ExportSummary(posts=len(posts), comments=sum(map(len, comments_by_thread.values())),
                         has_absolute_links=bool(base_url))


def _site_url() -> str:
    """The public base URL: BLOG_URL, else SERVER_NAME; empty when neither is set (links stay relative)."""
    config = current_app.config
    if config["BLOG_URL"]:
        return config["BLOG_URL"].rstrip("/")
    if config["SERVER_NAME"]:
        return f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}"
    return ""


def _post_url(post: Post, base_url: str) -> str:
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"])
    return base_url + adapter.build("posts.detail", {"slug": post.slug})


def _add(parent, tag: str, text, attributes=None):
    """A child element holding text; the writer escapes it, characters XML cannot hold are left out."""
    element = ElementTree.SubElement(parent, tag, attributes or {})
    element.text = _NOT_IN_XML.sub("", str(text))
    return element


def _wxr_date(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime(DATE_FORMAT) if value is not None else ZERO_DATE


def _rss_date(value: datetime) -> str:
    return email.utils.format_datetime(value.astimezone(timezone.utc).replace(microsecond=0), usegmt=True)


def _add_item(channel, post: Post, comments: list[Comment], base_url: str):
    wp = f"{{{WP}}}"
    item = ElementTree.SubElement(channel, "item")
    url = _post_url(post, base_url)
    _add(item, "title", post.title)
    _add(item, "link", url)
    if post.published_at is not None:
        _add(item, "pubDate", _rss_date(post.published_at))
    _add(item, f"{{{DC}}}creator", AUTHOR_LOGIN)
    _add(item, "guid", url, {"isPermaLink": "false"})
    _add(item, "description", "")
    _add(item, f"{{{CONTENT}}}encoded", post.body_html)
    _add(item, f"{{{EXCERPT}}}encoded", "")
    _add(item, wp + "post_id", post.id)
    # The blog keeps time in UTC, so WordPress's local date is the GMT one.
    _add(item, wp + "post_date", _wxr_date(post.published_at))
    _add(item, wp + "post_date_gmt", _wxr_date(post.published_at))
    _add(item, wp + "comment_status", "open" if post.comments_open else "closed")
    _add(item, wp + "ping_status", "closed")
    _add(item, wp + "post_name", post.slug)
    _add(item, wp + "status", "publish" if post.is_published else "draft")
    _add(item, wp + "post_parent", 0)
    _add(item, wp + "menu_order", 0)
    _add(item, wp + "post_type", "post")
    _add(item, wp + "post_password", "")
    _add(item, wp + "is_sticky", 0)
    for key, value in ((MARKDOWN_META, post.body_source), (LANGUAGE_META, post.language)):
        meta = ElementTree.SubElement(item, wp + "postmeta")
        _add(meta, wp + "meta_key", key)
        _add(meta, wp + "meta_value", value)
    for comment in comments:
        _add_comment(item, comment)


def _add_comment(item, comment: Comment):
    wp = f"{{{WP}}}"
    element = ElementTree.SubElement(item, wp + "comment")
    _add(element, wp + "comment_id", comment.id)
    _add(element, wp + "comment_author", comment.author)
    _add(element, wp + "comment_author_email", comment.email)
    _add(element, wp + "comment_author_url", comment.url)
    _add(element, wp + "comment_author_IP", comment.ip or "")
    _add(element, wp + "comment_date", _wxr_date(comment.created_at))
    _add(element, wp + "comment_date_gmt", _wxr_date(comment.created_at))
    # WordPress shows comment_content as HTML, unfiltered for its admins: the sanitized HTML, never the raw text.
    _add(element, wp + "comment_content", comment.body_html)
    _add(element, wp + "comment_approved", EXPORTED_STATUSES[comment.status])
    _add(element, wp + "comment_type", "comment")
    _add(element, wp + "comment_parent", comment.parent_id or 0)
    _add(element, wp + "comment_user_id", 0)
    meta_entries = [(COMMENT_SOURCE_META, comment.body_raw)]
    if comment.is_moderator_reply:
        meta_entries.append((MODERATOR_REPLY_META, "1"))
    for key, value in meta_entries:
        meta = ElementTree.SubElement(element, wp + "commentmeta")
        _add(meta, wp + "meta_key", key)
        _add(meta, wp + "meta_value", value)

