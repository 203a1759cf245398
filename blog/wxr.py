"""WordPress export files (WXR 1.2) in and out: posts, their comments, threads and statuses.

``import_wxr`` reads and checks the whole file before it writes anything, then writes every post
and comment inside one savepoint: a file that is wrong anywhere changes nothing. Running it again
adds nothing: posts are matched by slug (a post already here keeps its own title and text and gets
the file's comments it lacks), comments within their post by date (to the second) and text. Not by
name or address, so a comment whose author was since erased (privacy tools) or renamed is still
recognised and not brought back.

What the importer decides about data the blog would not accept from its own forms:

- The parser (defusedxml) refuses entity declarations and external references, so a hostile file
  cannot expand or fetch anything; XML itself cannot carry NUL or most control characters.
- Characters the comment and post forms refuse (``FORBIDDEN_CHARACTERS``: the C1 controls, DEL,
  noncharacters, U+FFFD) are stripped from every imported text.
- Author names and post titles, which the forms keep to one line, are put on one line
  (``one_line``: each run of line breaks, tabs, bidirectional controls and spaces becomes one
  space): a name cannot reach a mail header on two lines, nor read as someone else's.
- Email addresses are lowercased; one longer than the column (100) is refused, as a shortened
  address is someone else's. One the comment form would refuse (a line break, a space, a bidi
  control, or what email-validator rejects) is no address and is imported as none. Author names
  longer than 245 characters and titles longer than 300 are cut: they are only shown. A
  commenter's website the form would refuse (``is_web_address``, on one line, up to 200
  characters) is dropped, as a cut link leads elsewhere.
- Only items of type ``post`` are imported (pages, attachments, menus are skipped, as are trashed
  posts, auto-drafts and revisions); publish becomes published, draft/pending/private/future a
  draft. Only comments of type ''/comment are imported: pingbacks, trackbacks and other kinds are
  skipped, and a reply to one of them hangs from that one's own parent.
- Replies deeper than ``COMMENTS_THREAD_DEPTH`` go beside their parent, as on the site.

``export_wxr`` writes every post, drafts included, with every comment whatever its status, in the
format WordPress writes (and the WordPress importers of Isso and Remark42 read). A comment's
``wp:comment_content`` is its sanitized HTML, as the page shows it, never the reader's raw text:
WordPress treats that field as HTML and does not filter it for admins, so a raw ``<script>`` this
blog shows escaped would run there. Each post also carries its Markdown source and language as
post meta (``_blog_markdown_source``, ``_blog_language``), each comment its raw text as comment
meta (``_blog_comment_source``) and moderator replies a mark (``_blog_moderator_reply``), so the
blog reads its own exports back unchanged while WordPress reads the HTML. On import a source is
taken only while it still renders to the file's HTML; a file edited elsewhere gives its HTML. The
file holds commenters' addresses and IPs.
"""

import email.utils
import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import click
import defusedxml
import defusedxml.ElementTree
import email_validator
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from blog.commenting import thread_key
from blog.comments import (
    AUTHOR_MAX,
    EMAIL_MAX,
    FORBIDDEN_CHARACTERS,
    NOT_IN_ONE_LINE,
    URL_MAX,
    Comment,
    CommentStatus,
    is_web_address,
    one_line,
    place_in_thread,
    touch_thread,
)
from blog.extensions import db, utcnow
from blog.posts.markup import render_markdown
from blog.posts.models import Post, PostStatus
from blog.posts.slugs import RESERVED_SLUGS, SLUG_MAX, slugify
from blog.sanitize import clean_comment

WXR_VERSION = "1.2"
WP = "http://wordpress.org/export/1.2/"
NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": WP,
}
CONTENT = NAMESPACES["content"]
DC = NAMESPACES["dc"]
EXCERPT = NAMESPACES["excerpt"]
# Exports of WXR 1.0 and 1.1 differ from 1.2 in their namespace only.
_WXR_NAMESPACE = re.compile(r"\{(http://wordpress\.org/export/1\.\d+/)\}wxr_version")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
# WordPress's "no date", written for drafts that were never published.
ZERO_DATE = "0000-00-00 00:00:00"
_ID = re.compile(r"\d{1,18}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# CR LF and a lone CR, which an XML parser reads back as LF.
_CR_LINE_BREAK = re.compile(r"\r\n?")
TITLE_MAX = 300
LANGUAGE_MAX = 10
IP_MAX = 45
NO_TITLE = "(no title)"
ANONYMOUS = "Anonymous"
IMPORTED_REASON = "imported from WordPress"
# The author every exported post names: WordPress's importer asks whom to map it to.
AUTHOR_LOGIN = "admin"
MARKDOWN_META = "_blog_markdown_source"
LANGUAGE_META = "_blog_language"
MODERATOR_REPLY_META = "_blog_moderator_reply"
COMMENT_SOURCE_META = "_blog_comment_source"

POST_STATUSES = {"publish": PostStatus.PUBLISHED, "draft": PostStatus.DRAFT, "pending": PostStatus.DRAFT,
                 "private": PostStatus.DRAFT, "future": PostStatus.DRAFT}
# Posts in these WordPress statuses are not articles anyone wrote: left out.
SKIPPED_POST_STATUSES = frozenset({"trash", "auto-draft", "inherit"})
COMMENT_STATUSES = {"1": CommentStatus.APPROVED, "0": CommentStatus.PENDING, "spam": CommentStatus.SPAM,
                    "trash": CommentStatus.TRASH, "post-trashed": CommentStatus.TRASH}
EXPORTED_STATUSES = {CommentStatus.APPROVED: "1", CommentStatus.PENDING: "0", CommentStatus.SPAM: "spam",
                     CommentStatus.TRASH: "trash"}
COMMENT_TYPES = frozenset({"", "comment"})
# XML 1.0 cannot carry these at all, not even escaped; the forms never let them in.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class WXRError(Exception):
    """A file that cannot be imported, saying what is wrong and where."""


@dataclass
class WXRComment:
    """A comment as the file gives it, checked and cleaned, not yet stored."""

    wp_id: int
    parent_wp_id: int
    author: str
    email: str
    url: str
    ip: str | None
    body_raw: str
    created_at: datetime
    status: CommentStatus
    is_moderator_reply: bool


@dataclass
class WXRPost:
    """A post as the file gives it, checked and cleaned, with its comments."""

    slug: str
    title: str
    body_source: str
    status: PostStatus
    published_at: datetime | None
    comments_open: bool
    language: str
    comments: list[WXRComment] = field(default_factory=list)


@dataclass
class ImportSummary:
    """What an import added, what it found already there and what it left out."""

    posts_added: int = 0
    posts_present: int = 0
    comments_added: int = 0
    comments_present: int = 0
    pings_skipped: int = 0
    items_skipped: int = 0

    def __str__(self):
        notes = []
        if self.posts_present or self.comments_present:
            notes.append(f"{_count(self.posts_present, 'post')} and {_count(self.comments_present, 'comment')}"
                         " already present")
        skipped = []
        if self.pings_skipped:
            skipped.append(_count(self.pings_skipped, "pingback/trackback", "pingbacks/trackbacks"))
        if self.items_skipped:
            skipped.append(_count(self.items_skipped, "item that is not a post", "items that are not posts"))
        if skipped:
            notes.append("skipped " + " and ".join(skipped))
        line = f"Imported {_count(self.posts_added, 'post')} and {_count(self.comments_added, 'comment')}"
        return line + (f" ({'; '.join(notes)})." if notes else ".")


@dataclass
class ExportSummary:
    """How much an export wrote, and whether its links had a site address to stand on."""

    posts: int
    comments: int
    has_absolute_links: bool


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


# Reading


def read_wxr(path) -> tuple[list[WXRPost], ImportSummary]:
    """The posts and comments of a WXR file, checked and cleaned; raises WXRError, touches nothing."""
    try:
        tree = defusedxml.ElementTree.parse(str(path))
    except defusedxml.EntitiesForbidden:
        raise WXRError("the file declares XML entities, which a WordPress export never does; "
                       "refused, so nothing in it can expand or read other files") from None
    except defusedxml.DTDForbidden:
        raise WXRError("the file has a document type declaration, which a WordPress export never has") from None
    except defusedxml.ExternalReferenceForbidden:
        raise WXRError("the file refers to external resources; refused, nothing is fetched") from None
    except ElementTree.ParseError as error:
        raise WXRError(f"not well-formed XML ({error})") from None
    except OSError as error:
        raise WXRError(f"cannot read the file ({error.strerror or error})") from None
    root = tree.getroot()
    if root.tag != "rss":
        raise WXRError(f"not a WordPress export: the document is <{root.tag}>, not <rss>")
    channel = root.find("channel")
    if channel is None:
        raise WXRError("not a WordPress export: there is no <channel> in <rss>")
    wp = _wxr_namespace(channel)
    if wp is None:
        raise WXRError("not a WordPress export: the channel has no <wp:wxr_version>")
    reader = _Reader(wp, _language(channel.findtext("language")) or "en")
    posts = [post for number, item in enumerate(channel.iterfind("item"), 1)
             if (post := reader.read_post(item, number)) is not None]
    _give_unique_slugs(posts)
    return posts, reader.summary


def _wxr_namespace(channel) -> str | None:
    """The WordPress namespace of the file, from the channel's <wp:wxr_version>."""
    for child in channel:
        match = _WXR_NAMESPACE.fullmatch(child.tag) if isinstance(child.tag, str) else None
        if match:
            return match.group(1)
    return None


class _Reader:
    """Turns <item> and <wp:comment> elements into checked records, counting what it leaves out."""

    def __init__(self, wp: str, language: str):
        self.wp = "{" + wp + "}"
        self.language = language
        self.summary = ImportSummary()

    def text(self, element, tag: str) -> str | None:
        """An element's text, cleaned of forbidden characters; None when the element is missing."""
        value = element.findtext(tag)
        return None if value is None else FORBIDDEN_CHARACTERS.sub("", value)

    def wp_text(self, element, name: str) -> str | None:
        return self.text(element, self.wp + name)

    def meta(self, element, kind: str) -> dict[str, str]:
        """An item's postmeta or a comment's commentmeta, as key → value."""
        return {(entry.findtext(self.wp + "meta_key") or ""): (entry.findtext(self.wp + "meta_value") or "")
                for entry in element.iterfind(self.wp + kind)}

    def read_post(self, item, number: int) -> WXRPost | None:
        raw_title = one_line(self.text(item, "title") or "")
        where = f"item {number}" + (f" ({raw_title[:60]!r})" if raw_title else "")
        post_type = (self.wp_text(item, "post_type") or "post").strip()
        wp_status = (self.wp_text(item, "status") or "").strip()
        if post_type != "post" or wp_status in SKIPPED_POST_STATUSES:
            self.summary.items_skipped += 1
            return None
        if wp_status not in POST_STATUSES:
            raise WXRError(f"{where}: unknown wp:status {wp_status!r} (expected publish or draft)")
        status = POST_STATUSES[wp_status]
        published_at = self.post_date(item, where, is_required=status is PostStatus.PUBLISHED)
        comment_status = (self.wp_text(item, "comment_status") or "open").strip()
        if comment_status not in {"open", "closed"}:
            raise WXRError(f"{where}: unknown wp:comment_status {comment_status!r} (expected open or closed)")
        meta = self.meta(item, "postmeta")
        title = raw_title[:TITLE_MAX] or NO_TITLE
        post = WXRPost(
            slug=_slug_of(self.wp_text(item, "post_name") or "", raw_title),
            title=title,
            # Markdown passes HTML through, and set_body sanitizes it.
            body_source=_own_source(self.text(item, f"{{{CONTENT}}}encoded") or "", meta.get(MARKDOWN_META),
                                    render_markdown),
            status=status,
            published_at=published_at,
            comments_open=comment_status == "open",
            language=_language(meta.get(LANGUAGE_META)) or self.language,
        )
        post.comments = self.read_comments(item, f"{where}, post {post.slug!r}")
        return post

    def post_date(self, item, where: str, is_required: bool) -> datetime | None:
        """The GMT date a post went out; for a published post without one, its RSS pubDate."""
        value = (self.wp_text(item, "post_date_gmt") or "").strip()
        if value and value != ZERO_DATE:
            return _parse_date(value, f"{where}: bad wp:post_date_gmt")
        if not is_required:
            return None
        try:
            published_at = email.utils.parsedate_to_datetime((item.findtext("pubDate") or "").strip())
        except (TypeError, ValueError):
            raise WXRError(f"{where}: a published post without a date "
                           "(wp:post_date_gmt is empty and pubDate unreadable)") from None
        if published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=timezone.utc)
        return published_at.astimezone(timezone.utc)

    def read_comments(self, item, where: str) -> list[WXRComment]:
        """The post's real comments, each parent checked to be another comment of the same post."""
        comments, skipped_parents, seen = [], {}, set()
        for element in item.iterfind(self.wp + "comment"):
            wp_id = self.comment_id(element, where)
            if wp_id in seen:
                raise WXRError(f"{where}: two comments with wp:comment_id {wp_id}")
            seen.add(wp_id)
            parent = self.parent_id(element, f"{where}, comment {wp_id}")
            if (self.wp_text(element, "comment_type") or "").strip() not in COMMENT_TYPES:
                self.summary.pings_skipped += 1
                skipped_parents[wp_id] = parent
                continue
            comments.append(self.read_comment(element, wp_id, parent, f"{where}, comment {wp_id}"))
        ids = {comment.wp_id for comment in comments}
        for comment in comments:
            comment.parent_wp_id = _kept_parent(comment.parent_wp_id, skipped_parents)
            if comment.parent_wp_id and comment.parent_wp_id not in ids:
                raise WXRError(f"{where}, comment {comment.wp_id}: its parent, comment {comment.parent_wp_id}, "
                               "is not a comment of this post")
        _check_no_cycles(comments, where)
        return comments

    def comment_id(self, element, where: str) -> int:
        value = (self.wp_text(element, "comment_id") or "").strip()
        if not _ID.fullmatch(value) or int(value) == 0:
            raise WXRError(f"{where}: a comment without a valid wp:comment_id ({value!r})")
        return int(value)

    def parent_id(self, element, where: str) -> int:
        value = (self.wp_text(element, "comment_parent") or "0").strip()
        if not _ID.fullmatch(value):
            raise WXRError(f"{where}: bad wp:comment_parent {value!r} (expected 0 or a comment id)")
        return int(value)

    def read_comment(self, element, wp_id: int, parent: int, where: str) -> WXRComment:
        date = (self.wp_text(element, "comment_date_gmt") or "").strip()
        if not date:
            raise WXRError(f"{where}: missing wp:comment_date_gmt")
        meta = self.meta(element, "commentmeta")
        body = _own_source(self.wp_text(element, "comment_content") or "", meta.get(COMMENT_SOURCE_META),
                           clean_comment).strip()
        if not body:
            raise WXRError(f"{where}: missing or empty wp:comment_content")
        approved = (self.wp_text(element, "comment_approved") or "").strip()
        if approved not in COMMENT_STATUSES:
            raise WXRError(f"{where}: unknown wp:comment_approved {approved!r} (expected 1, 0, spam or trash)")
        email_address = (self.wp_text(element, "comment_author_email") or "").strip().lower()
        if len(email_address) > EMAIL_MAX:
            raise WXRError(f"{where}: the email address is longer than {EMAIL_MAX} characters")
        return WXRComment(
            wp_id=wp_id,
            parent_wp_id=parent,
            author=one_line(self.wp_text(element, "comment_author") or "")[:AUTHOR_MAX].strip() or ANONYMOUS,
            email=_email_address(email_address),
            url=_web_address((self.wp_text(element, "comment_author_url") or "").strip()),
            ip=_ip_address((self.wp_text(element, "comment_author_IP") or "").strip()),
            body_raw=body,
            created_at=_parse_date(date, f"{where}: bad wp:comment_date_gmt"),
            status=COMMENT_STATUSES[approved],
            is_moderator_reply=meta.get(MODERATOR_REPLY_META) == "1",
        )


def _parse_date(value: str, problem: str) -> datetime:
    """A WXR GMT date ("2024-05-01 09:30:00") as an aware UTC datetime."""
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise WXRError(f"{problem} {value!r} (expected YYYY-MM-DD HH:MM:SS)") from None


def _slug_of(post_name: str, title: str) -> str:
    """The post's address: WordPress's own (percent-decoded, made ASCII), else one made from the title."""
    for text in (unquote(post_name.strip()), title):
        slug = slugify(text)
        if slug != "post" or text.strip().lower() == "post":
            return slug
    return "post"


def _give_unique_slugs(posts: list[WXRPost]):
    """Slugs the site reserves, or that an earlier item of the file took, get -2, -3…: the same every run."""
    taken = set(RESERVED_SLUGS)
    for post in posts:
        candidate, number = post.slug, 1
        while candidate in taken:
            number += 1
            suffix = f"-{number}"
            candidate = post.slug[: SLUG_MAX - len(suffix)] + suffix
        taken.add(candidate)
        post.slug = candidate


def _own_source(html: str, source: str | None, render: Callable[[str], str]) -> str:
    """The blog's own source (a post's Markdown, a comment's raw text) when the file carries it and
    it still renders to the file's HTML, else that HTML: a file edited elsewhere says it there."""
    if source is not None:
        source = FORBIDDEN_CHARACTERS.sub("", source)
        if render(source) == html:
            return source
    return html


def _language(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if len(value) <= LANGUAGE_MAX and _LANGUAGE.fullmatch(value) else None


def _web_address(value: str) -> str:
    """The commenter's website if the comment form would take it, else nothing."""
    if len(value) > URL_MAX or NOT_IN_ONE_LINE.search(value) or not is_web_address(value):
        return ""
    return value


def _email_address(value: str) -> str:
    """The commenter's address if the comment form would take it, else nothing: on one line, and
    accepted by email-validator without the DNS check, as the form's Email validator asks it."""
    if NOT_IN_ONE_LINE.search(value):
        return ""
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return ""
    return value


def _ip_address(value: str) -> str | None:
    try:
        address = str(ipaddress.ip_address(value))
    except ValueError:
        return None
    return address if len(address) <= IP_MAX else None


def _kept_parent(parent: int, skipped_parents: dict[int, int]) -> int:
    """A reply to a skipped pingback hangs from that pingback's own parent (or none)."""
    seen = set()
    while parent in skipped_parents and parent not in seen:
        seen.add(parent)
        parent = skipped_parents[parent]
    return 0 if parent in seen else parent


def _check_no_cycles(comments: list[WXRComment], where: str):
    parents = {comment.wp_id: comment.parent_wp_id for comment in comments}
    for comment in comments:
        seen, current = set(), comment.wp_id
        while current:
            if current in seen:
                raise WXRError(f"{where}, comment {comment.wp_id}: its parents run in a circle")
            seen.add(current)
            current = parents.get(current, 0)


# Importing


def import_wxr(path) -> ImportSummary:
    """Add the posts and comments of a WXR file that are not here yet; the caller commits.

    Raises WXRError for a file that is wrong anywhere, before anything is written; whatever goes
    wrong while writing rolls back the savepoint the writes are made in."""
    posts, summary = read_wxr(path)
    max_depth = current_app.config["COMMENTS_THREAD_DEPTH"]
    with db.session.begin_nested():
        for record in posts:
            post = db.session.scalar(select(Post).where(Post.slug == record.slug))
            if post is None:
                post = _add_post(record)
                summary.posts_added += 1
            else:
                summary.posts_present += 1
            added, present = _merge_comments(thread_key(post), record.comments, max_depth)
            summary.comments_added += added
            summary.comments_present += present
    return summary


def _add_post(record: WXRPost) -> Post:
    post = Post(slug=record.slug, title=record.title, status=record.status, published_at=record.published_at,
                comments_open=record.comments_open, language=record.language,
                created_at=record.published_at or utcnow())
    post.set_body(record.body_source)
    db.session.add(post)
    db.session.flush()
    return post


def _identity(created_at: datetime, body_raw: str) -> tuple:
    """What makes a comment the same one again: its second and its text, compared in Python (MariaDB's
    collation would call "Hi" and "hi " the same) and exactly but for line breaks: browsers send CR LF,
    which comes back from an export as LF."""
    return created_at.replace(microsecond=0), _CR_LINE_BREAK.sub("\n", body_raw)


def _merge_comments(target_key: str, records: list[WXRComment], max_depth: int) -> tuple[int, int]:
    """Store the comments a thread does not have yet, parents before replies; say how many were added
    and how many were there. Each stored comment answers for at most one comment of the file."""
    if not records:
        return 0, 0
    existing = defaultdict(list)
    for comment in db.session.scalars(select(Comment).where(Comment.target_key == target_key)
                                      .order_by(Comment.created_at, Comment.id)):
        existing[_identity(comment.created_at, comment.body_raw)].append(comment)
    placed: dict[int, Comment] = {}
    added = present = 0
    waiting = sorted(records, key=lambda record: (record.created_at, record.wp_id))
    while waiting:
        # One generation at a time: every parent has an id before its replies are placed under it.
        ready = [record for record in waiting if not record.parent_wp_id or record.parent_wp_id in placed]
        if not ready:  # read_comments refuses missing parents and circles, so this cannot happen
            raise RuntimeError(f"comments without a placeable parent on {target_key}")
        for record in ready:
            matches = existing.get(_identity(record.created_at, record.body_raw))
            if matches:
                placed[record.wp_id] = matches.pop(0)
                present += 1
                continue
            comment = Comment(
                target_key=target_key, author=record.author, email=record.email, url=record.url,
                body_raw=record.body_raw, body_html=clean_comment(record.body_raw), status=record.status,
                status_reason=IMPORTED_REASON, ip=record.ip, is_moderator_reply=record.is_moderator_reply,
                created_at=record.created_at,
                approved_at=record.created_at if record.status is CommentStatus.APPROVED else None,
            )
            place_in_thread(comment, placed.get(record.parent_wp_id), max_depth)
            db.session.add(comment)
            placed[record.wp_id] = comment
            added += 1
        db.session.flush()
        waiting = [record for record in waiting if record.wp_id not in placed]
    if added:
        touch_thread(target_key)
    return added, present


@click.command("import-wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_wxr_command(file):
    """Import posts and their comments from a WordPress export (WXR); running it again adds nothing."""
    try:
        summary = import_wxr(file)
        db.session.commit()
    except WXRError as error:
        db.session.rollback()
        raise click.ClickException(f"{file}: {error}. Nothing was imported.") from None
    except BaseException:
        db.session.rollback()
        raise
    click.echo(str(summary))


# Exporting


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


@click.command("export-wxr")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_wxr_command(file):
    """Write every post and all its comments as a WordPress export (WXR), to FILE or standard output."""
    # A file is written beside its place and moved there when complete: a failed export leaves no half file.
    try:
        with click.open_file(str(file) if file is not None else "-", "wb", atomic=file is not None) as stream:
            summary = export_wxr(stream)
    except OSError as error:
        raise click.ClickException(f"cannot write {file or 'standard output'}: {error.strerror or error}") from None
    line = (f"Exported {_count(summary.posts, 'post')} and {_count(summary.comments, 'comment')}"
            f" to {file if file is not None else 'standard output'}.")
    if not summary.has_absolute_links:
        line = line[:-1] + "; links are relative, as BLOG_URL is not set."
    click.echo(line, err=file is None)
