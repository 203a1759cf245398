"""Reading a WXR file into checked records, touching nothing; and the format the exporter writes back.

``read_wxr`` reads and checks the whole file, raising WXRError for anything wrong anywhere, so the
importer writes nothing from a bad file. What it decides about data the blog would not accept from its
own forms:

- The parser (defusedxml) refuses entity declarations and external references, so a hostile file
  cannot expand or fetch anything; XML itself cannot carry NUL or most control characters.
- Characters the comment and post forms refuse (``FORBIDDEN_CHARACTERS``: the C1 controls, DEL,
  noncharacters, U+FFFD) are stripped from every imported text.
- Author names and post titles, which the forms keep to one line, are put on one line
  (``one_line``: each run of line breaks, tabs, bidirectional controls and spaces becomes one
  space): a name cannot reach a mail header on two lines, nor read as someone else's. Names longer
  than ``AUTHOR_MAX`` (245) and titles longer than 300 characters are cut: they are only shown.
- Email addresses are lowercased; one longer than the column (``EMAIL_MAX``, 100) is refused, as a
  shortened address is someone else's. Then a commenter's name, address and website go through the
  comment form's own checks (``commenter_details``): an address the form would refuse is no address
  and is imported as none; a website it would refuse is dropped, as a cut link leads elsewhere.
- Only items of type ``post`` are read (pages, attachments, menus are skipped, as are trashed
  posts, auto-drafts and revisions); publish becomes published, draft/pending/private/future a
  draft. Only comments of type ''/comment are read: pingbacks, trackbacks and other kinds are
  skipped, and a reply to one of them hangs from that one's own parent.
- A post's Markdown source and a comment's raw text, which the blog's own exports carry as meta,
  are taken only while they still render to the file's HTML; a file edited elsewhere gives its HTML.
"""

import email.utils
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote
from xml.etree import ElementTree

import defusedxml
import defusedxml.ElementTree

from blog.comments import AUTHOR_MAX, EMAIL_MAX, FORBIDDEN_CHARACTERS, CommentStatus, commenter_details, one_line
from blog.posts.markup import render_markdown
from blog.posts.models import PostStatus
from blog.posts.slugs import RESERVED_SLUGS, SLUG_MAX, slugify
from blog.sanitize import clean_comment

WP = "http://wordpress.org/export/1.2/"
NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": WP,
}
CONTENT = NAMESPACES["content"]
# Exports of WXR 1.0 and 1.1 differ from 1.2 in their namespace only.
_WXR_NAMESPACE = re.compile(r"\{(http://wordpress\.org/export/1\.\d+/)\}wxr_version")
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
# WordPress's "no date", written for drafts that were never published.
ZERO_DATE = "0000-00-00 00:00:00"
_ID = re.compile(r"\d{1,18}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
TITLE_MAX = 300
LANGUAGE_MAX = 10
IP_MAX = 45
NO_TITLE = "(no title)"
ANONYMOUS = "Anonymous"
# The blog's own post and comment meta, written by the exporter and read back here.
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
COMMENT_TYPES = frozenset({"", "comment"})


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
            notes.append(f"{counted(self.posts_present, 'post')} and {counted(self.comments_present, 'comment')}"
                         " already present")
        skipped = []
        if self.pings_skipped:
            skipped.append(counted(self.pings_skipped, "pingback/trackback", "pingbacks/trackbacks"))
        if self.items_skipped:
            skipped.append(counted(self.items_skipped, "item that is not a post", "items that are not posts"))
        if skipped:
            notes.append("skipped " + " and ".join(skipped))
        line = f"Imported {counted(self.posts_added, 'post')} and {counted(self.comments_added, 'comment')}"
        return line + (f" ({'; '.join(notes)})." if notes else ".")


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """"1 post", "2 posts": a number and its noun, for the commands' summaries."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


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
        author, email_address, url = commenter_details(
            one_line(self.wp_text(element, "comment_author") or "")[:AUTHOR_MAX], email_address,
            self.wp_text(element, "comment_author_url") or "")
        return WXRComment(
            wp_id=wp_id,
            parent_wp_id=parent,
            author=author or ANONYMOUS,
            email=email_address,
            url=url,
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
