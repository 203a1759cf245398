"""The one door for untrusted HTML: the only module that imports bleach (DESIGN.md section 7), and
sanitized HTML read back as plain text."""

import re
from functools import partial
from html.parser import HTMLParser
from urllib.parse import urlsplit

import bleach
import markdown
from bleach.linkifier import LinkifyFilter, build_url_re
from bleach.sanitizer import Cleaner

PROTOCOLS = frozenset({"http", "https", "mailto"})

# WordPress's allowlist for comments ($allowedtags), plus the paragraphs and breaks we add.
COMMENT_TAGS = frozenset({
    "a", "abbr", "acronym", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s", "strike",
    "strong", "p", "br",
})
COMMENT_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "acronym": ["title"],
    "blockquote": ["cite"],
    "del": ["datetime"],
    "q": ["cite"],
}
# What Markdown makes of a comment (COMMENTS_MARKUP = "markdown") on top: lists, code blocks and rules. No
# headings (the blocks that make them are off) and no images (their inline patterns are off, and a raw
# <img> is shown as text, as in HTML comments).
MARKDOWN_TAGS = COMMENT_TAGS | {"ul", "ol", "li", "pre", "hr"}
# The markups comment text may be written in (COMMENTS_MARKUP).
MARKUPS = ("html", "markdown")
LINK_REL = "nofollow ugc"
_URL_ATTRIBUTES = frozenset({"href", "cite"})
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
# A "<" that no ">" closes before the next "<" is text, not the start of a tag that swallows what follows.
_UNCLOSED_TAG = re.compile(r"<(?![^<>]*>)")
_TAG = re.compile(r"<[^<>]*>")
_BLOCKQUOTE_OPEN = re.compile(r"(<blockquote\b[^>]*>)", re.IGNORECASE)
_BLOCKQUOTE_CLOSE = re.compile(r"(</blockquote\s*>)", re.IGNORECASE)
_PARAGRAPH_BEFORE_BLOCKQUOTE = re.compile(r"<p>(<blockquote\b[^>]*>)", re.IGNORECASE)
_PARAGRAPH_AFTER_BLOCKQUOTE = re.compile(r"(</blockquote\s*>)</p>", re.IGNORECASE)
# Left where a paragraph holds nothing but a blockquote's edge.
_EMPTY_PARAGRAPH = "<p></p>"
# Any scheme-bearing URL is a link, whatever its top-level domain; _set_link_rel drops the rest.
_URL = build_url_re(tlds=[r"[a-z]{2,63}", r"xn--[a-z0-9-]{1,59}"], protocols=["http", "https"])
# What makes bleach do more to text than escape its ">": markup and entities, and the C0 controls its
# sanitizer replaces (tab, line feed and carriage return aside, which paragraphs() and the parser keep).
_NOT_PLAIN_TEXT = re.compile("[<&\x00-\x08\x0b\x0c\x0e-\x1f]")

POST_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "figcaption", "figure", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "q", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
})
POST_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["align"],
    "th": ["align"],
}


def _is_comment_attribute_allowed(tag: str, name: str, value: str) -> bool:
    """The allowlist, with URLs required to name an allowed scheme: no relative or scheme-less links."""
    if name not in COMMENT_ATTRIBUTES.get(tag, ()):
        return False
    if name in _URL_ATTRIBUTES:
        try:
            return urlsplit(value.strip()).scheme.lower() in PROTOCOLS
        except ValueError:  # an unbalanced [ of an IPv6 host: no URL a link may keep
            return False
    return True


def _set_link_rel(attrs, new=False):
    """Every link gets rel="nofollow ugc"; an anchor left without an href is unwrapped to its text;
    of bare text, only what starts with a scheme or www. becomes a link (not "setup.py")."""
    if (None, "href") not in attrs:
        return None
    if new and not attrs["_text"].lower().startswith(("http://", "https://", "www.")):
        return None
    attrs[(None, "rel")] = LINK_REL
    return attrs


def _comment_cleaner(tags: frozenset) -> Cleaner:
    """The comment policy for ``tags``: everything else shown as text, bare URLs linked, every link nofollow."""
    return Cleaner(
        tags=tags,
        attributes=_is_comment_attribute_allowed,
        protocols=PROTOCOLS,
        strip=False,
        strip_comments=True,
        filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], skip_tags={"code", "pre"}, parse_email=False,
                         url_re=_URL)],
    )


_cleaners = {"html": _comment_cleaner(COMMENT_TAGS), "markdown": _comment_cleaner(MARKDOWN_TAGS)}


def paragraphs(text: str) -> str:
    """Blank lines become paragraphs and single line breaks ``<br>``, as WordPress's wpautop does:
    a tag typed across lines stays one tag, and a blockquote is a block of its own."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNCLOSED_TAG.sub("&lt;", text)
    text = _TAG.sub(lambda tag: tag.group(0).replace("\n", " "), text)
    text = _BLOCKQUOTE_CLOSE.sub(r"\n\n\1\n\n", _BLOCKQUOTE_OPEN.sub(r"\n\n\1\n\n", text))
    blocks = (block.strip() for block in _BLANK_LINES.split(text.strip()))
    html = "".join("<p>" + block.replace("\n", "<br>\n") + "</p>" for block in blocks if block)
    html = _PARAGRAPH_BEFORE_BLOCKQUOTE.sub(r"\1<p>", html)
    return _PARAGRAPH_AFTER_BLOCKQUOTE.sub(r"</p>\1", html).replace(_EMPTY_PARAGRAPH, "")


def markdown_html(text: str) -> str:
    """Comment text written in Markdown, as the HTML Markdown makes of it (not yet safe: see clean_comment).
    Line breaks are kept, as in HTML comments; the HTML typed in it is left for the sanitizer to judge."""
    renderer = markdown.Markdown(extensions=["nl2br", "sane_lists", "fenced_code"], output_format="html")
    for block in ("hashheader", "setextheader"):
        renderer.parser.blockprocessors.deregister(block)
    # Markdown hides a <user@example.org> link's address in character references, which no link check reads:
    # an address stays text, as bare addresses do in HTML comments.
    for pattern in ("image_link", "image_reference", "short_image_ref", "automail"):
        renderer.inlinePatterns.deregister(pattern)
    return renderer.convert(text)


def sanitize_comment_html(html: str, markup: str = "html") -> str:
    """The sanitizer's pass alone over HTML made of comment text in ``markup``: what clean_comment stores
    is a fixed point of it."""
    cleaner = _cleaners[markup]
    cleaned = cleaner.clean(html)
    if "<a" in html.lower():
        # A link the policy unwraps keeps its text as it was, unlinked, though that text may be a bare URL
        # that a second pass would link: the second pass is made here, so the stored HTML is its own.
        cleaned = cleaner.clean(cleaned)
    return cleaned.replace(_EMPTY_PARAGRAPH, "")


def clean_comment(raw: str, markup: str = "html") -> str:
    """Comment text as safe HTML: allowlisted markup kept, other markup shown as text, URLs linked. ``markup``
    is what the text is written in (MARKUPS): "html", its paragraphs made of blank lines, or "markdown".
    Markdown takes as long as its parser does: blog.comments.markup bounds that time for a reader's text.

    Most comments are plain text: no markup, no entity, nothing to link. In HTML, bleach's parse and
    serialization of those only escape ">", so that is all done here, for a fraction of its cost; the output
    is the same to the byte (tests/test_sanitize_plain_text.py compares the two on arbitrary text)."""
    if markup == "html" and not _NOT_PLAIN_TEXT.search(raw) and not _URL.search(raw):
        return paragraphs(raw.replace(">", "&gt;"))
    return bleached_comment(raw, markup)


def bleached_comment(raw: str, markup: str = "html") -> str:
    """clean_comment through the sanitizer whatever the text: the one way for any text with markup."""
    return sanitize_comment_html(markdown_html(raw) if markup == "markdown" else paragraphs(raw), markup)


def clean_post(html: str) -> str:
    """Keep the markup an article needs from an admin's rendered Markdown, and nothing active."""
    return bleach.clean(html, tags=POST_TAGS, attributes=POST_ATTRIBUTES, protocols=PROTOCOLS, strip=True)


class _PlainText(HTMLParser):
    """The text of sanitized HTML as a reader sees it: entities decoded, markup gone, and a paragraph,
    a line break or a quotation a space between words."""

    _BREAKING_TAGS = frozenset({"p", "br", "blockquote"})

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in self._BREAKING_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.handle_starttag(tag, [])


def plain_excerpt(html: str, limit: int) -> str:
    """Sanitized HTML as plain text on one line, at most ``limit`` characters: cut at a word, with "…"."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if text[len(cut)] != " " and " " in cut:  # the cut fell inside a word: leave that word out
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"
