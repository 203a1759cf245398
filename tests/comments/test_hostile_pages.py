"""Hostile input through the real form, read back from every database and from the rendered page:
text is stored as typed and shown inert, names are shown as text, and only http(s) web addresses pass."""

import json
import re
import unicodedata

import pytest
from sqlalchemy import func, select

from blog.comments.models import Comment
from blog.extensions import db
from blog.sanitize import COMMENT_ATTRIBUTES, COMMENT_TAGS
from tests.data.hostile_inputs import HOSTILE_INPUTS
from tests.pages import (
    descendants,
    elements,
    elements_by_id,
    first_with_class,
    parents_of,
    parse_fragment,
    parse_page,
    text_of,
)
from tests.readers import Reader

# Every comment approved at once, however many links it holds, and all of them on one page.
ALL_AT_ONCE = {"COMMENTS_MAX_LINKS": 10_000, "COMMENTS_PER_PAGE": 10_000}
NOT_ALLOWED = "This field contains characters that are not allowed."
NOT_TEXT_PAGE = "The request holds characters that are not text."
BAD_URL = "Please enter a web address that starts with http:// or https://."
# The request check (blog.request_checks) refuses, in any field, C0 controls but tab, line feed and carriage
# return, and lone surrogates: a 400 page of its own. The form then refuses DEL in any text, and in a one-line
# field (a name, a web address) line breaks, tabs and bidirectional controls: 400, the message beside the field.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
NOT_IN_ONE_LINE = re.compile("[\x7f\t\n\r\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NOT_IN_FIELD = {"comment": re.compile("\x7f"), "author": NOT_IN_ONE_LINE}
LINK_REL = "nofollow ugc"
AUTHOR_LINK_REL = "external nofollow ugc"
URL_ATTRIBUTES = {"href", "cite"}
SAFE_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
AUTHOR_MAX = 245
# The page's own script files, served from this site (a path, not another host).
OWN_SCRIPT = re.compile(r"/(?:[\w.-]+/)*(reply|form-stamp|embed)\.js(?:\?v=[0-9a-f]+)?")
REPLY_TITLE = re.compile(r'<span id="reply-title-text"[^>]*>(.*?)</span>', re.DOTALL)


@pytest.fixture
def matrix_blog(make_blog, database_url):
    """The blog on each database of the matrix, every comment shown at once."""
    return make_blog(database_url=database_url, **ALL_AT_ONCE)


@pytest.fixture
def open_blog(make_blog):
    """The blog on SQLite, every comment shown at once."""
    return make_blog(**ALL_AT_ONCE)


def typed(text: str) -> str:
    """What the form stores of a submitted value: trimmed, then composed (NFC)."""
    return unicodedata.normalize("NFC", text.strip())


def refusal(field: str, text: str) -> str | None:
    """Who must refuse this value of ``field``: "request" (not text at all), "field" (empty after trimming, or
    a character the field does not take), or None."""
    if NOT_TEXT.search(text):
        return "request"
    if not typed(text) or NOT_IN_FIELD[field].search(typed(text)):
        return "field"
    return None


def as_dom_text(text: str) -> str:
    """Text as the DOM reads it back from the page: an HTML parser turns CR and CRLF into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def label(index: int, payload: str) -> str:
    return f"HOSTILE_INPUTS[{index}] = {payload!r}"


def comment_id(response) -> int:
    match = re.fullmatch(r"/hello/#comment-(\d+)", response.headers.get("Location", ""))
    assert match, response.headers.get("Location")
    return int(match.group(1))


def local_name(name: str) -> str:
    """A tag or attribute name without the namespace html5lib puts in braces (svg, math, xlink)."""
    return name.rsplit("}", 1)[-1]


def scheme_of(url: str) -> str | None:
    """The scheme a browser reads: leading and trailing controls and spaces dropped, tabs and newlines removed."""
    url = re.sub("[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    match = SCHEME.match(url)
    return match.group(1).lower() if match else None


def whereabouts(tree, target) -> str:
    """Which comment of the page an element sits in, for assertion messages."""
    parents = parents_of(tree)
    node = target
    while node is not None:
        if (node.get("id") or "").startswith("comment-"):
            return node.get("id")
        node = parents.get(node)
    return "outside the comments"


def assert_page_is_inert(tree, context):
    """No script but the page's own three, and no event-handler attribute on any element."""
    own = []
    for script in (element for element in elements(tree) if local_name(element.tag) == "script"):
        src, kind = script.get("src"), script.get("type")
        if (own_script := OWN_SCRIPT.fullmatch(src or "")) and kind is None and not text_of(script).strip():
            own.append(f"{own_script.group(1)}.js")
        elif kind == "application/ld+json" and src is None:
            json.loads(text_of(script))  # the block is still whole
            own.append("ld+json")
        else:
            pytest.fail(f"{context}: foreign <script> {script.attrib} in {whereabouts(tree, script)}")
    assert sorted(own) == ["embed.js", "form-stamp.js", "ld+json", "reply.js"], (context, own)
    for element in elements(tree):
        handlers = [name for name in element.attrib if local_name(name).lower().startswith("on")]
        assert not handlers, f"{context}: <{element.tag}> has {handlers} in {whereabouts(tree, element)}"


def assert_allowlisted(content, context, tags=COMMENT_TAGS):
    """The sanitizer's policy (for ``tags``: MARKDOWN_TAGS for Markdown comments), read from the page as a
    browser parsed it."""
    for element in descendants(content):
        tag = element.tag
        assert tag in tags, f"{context}: <{tag}> in the comment"
        allowed = set(COMMENT_ATTRIBUTES.get(tag, ())) | ({"rel"} if tag == "a" else set())
        assert set(element.attrib) <= allowed, f"{context}: <{tag}> carries {sorted(set(element.attrib) - allowed)}"
        for name in URL_ATTRIBUTES & set(element.attrib):
            assert scheme_of(element.get(name)) in SAFE_SCHEMES, f"{context}: <{tag} {name}={element.get(name)!r}>"
        if tag == "a":
            assert element.get("href"), f"{context}: <a> without href"
            assert element.get("rel") == LINK_REL, f"{context}: <a rel={element.get('rel')!r}>"


def stored_comments(app) -> dict[int, Comment]:
    with app.app_context():
        return {comment.id: comment for comment in db.session.scalars(select(Comment))}


def count_comments(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comment))


def read(reader, path) -> str:
    """The text of a page that must be served (200)."""
    response = reader.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def post_every_input(reader, field, fields_for) -> dict[int, int]:
    """Post the form once for each of HOSTILE_INPUTS with ``fields_for(index, payload)``. A ``field`` value that
    is not text gets a 400 page, one the field does not take a 400 with the message beside that field, both
    inert; any other a 303. Returns {comment id: index} of the comments stored."""
    posted = {}
    for index, payload in enumerate(HOSTILE_INPUTS):
        context = label(index, payload)
        fields = fields_for(index, payload)
        response = reader.post(**fields)
        refused_by = refusal(field, fields[field])
        if refused_by is not None:
            assert response.status_code == 400, (context, response.status_code)
            tree = parse_page(response)
            error = elements_by_id(tree).get(f"{field}-error")
            if refused_by == "field":
                assert error is not None and text_of(error) == NOT_ALLOWED, context
                assert_page_is_inert(tree, f"{context} (the form with its error)")
            else:  # the request check's own error page, which shows nothing that was sent
                assert error is None and NOT_TEXT_PAGE in text_of(tree), context
                assert "<script" not in response.get_data(as_text=True), context
            continue
        assert response.status_code == 303, (context, response.status_code)
        posted[comment_id(response)] = index
    return posted


def test_hostile_comment_texts_are_stored_as_typed_and_shown_inert(matrix_blog):
    """Every hostile text through the real form: 303 (or 400 for control characters), the raw text read
    back unchanged, and on the public page only allowlisted markup and no script of its own."""
    posted = post_every_input(matrix_blog.reader, "comment", lambda index, payload: {"comment": payload})

    stored = stored_comments(matrix_blog.app)
    refused = [index for index, payload in enumerate(HOSTILE_INPUTS) if refusal("comment", payload)]
    assert set(stored) == set(posted), f"stored ids differ from the 303s; refused inputs: {refused}"
    for number, index in posted.items():
        payload = HOSTILE_INPUTS[index]
        assert stored[number].body_raw == typed(payload), label(index, payload)

    page = read(Reader(matrix_blog.app.test_client()), "/hello/")
    tree = parse_page(page)
    assert_page_is_inert(tree, "the post page with every hostile comment")
    on_page = elements_by_id(tree)
    for number, index in posted.items():
        context = label(index, HOSTILE_INPUTS[index])
        item = on_page.get(f"comment-{number}")
        assert item is not None, f"{context}: comment-{number} is not on the page"
        content = first_with_class(item, "comment-content")
        assert content is not None, context
        assert_allowlisted(content, context)


def test_hostile_author_names_are_shown_as_text(matrix_blog):
    """The same inputs as names (at most 245 characters): the name reads back as typed, with no tags of its own."""
    posted = post_every_input(matrix_blog.reader, "author", lambda index, payload: {
        "author": payload[:AUTHOR_MAX], "comment": f"Comment number {index}."})

    stored = stored_comments(matrix_blog.app)
    assert set(stored) == set(posted)
    for number, index in posted.items():
        assert stored[number].author == typed(HOSTILE_INPUTS[index][:AUTHOR_MAX]), label(index, HOSTILE_INPUTS[index])

    tree = parse_page(read(Reader(matrix_blog.app.test_client()), "/hello/"))
    assert_page_is_inert(tree, "the post page with every hostile name")
    on_page = elements_by_id(tree)
    for number, index in posted.items():
        payload = HOSTILE_INPUTS[index]
        context = label(index, payload)
        name = as_dom_text(typed(payload[:AUTHOR_MAX]))
        author = first_with_class(on_page[f"comment-{number}"], "comment-author")
        assert [(node.tag, node.get("class")) for node in descendants(author)] == [("b", "fn")], context
        assert text_of(author).strip() == f"{name} says:".strip(), context
        reply = first_with_class(on_page[f"comment-{number}"], "comment-reply-link")
        assert reply.get("data-reply-title") == f"Leave a Reply to {name}", context
        assert reply.get("aria-label") == f"Reply to {name}", context


def test_hostile_author_names_are_text_in_the_reply_title(open_blog):
    """With ?replytocom=<id>, "Leave a Reply to <name>" shows the hostile name as text."""
    posted = {}
    for index, payload in enumerate(HOSTILE_INPUTS):
        name = payload[:AUTHOR_MAX]
        if refusal("author", name) is not None:
            continue
        response = open_blog.reader.post(author=name, comment=f"Comment number {index}.")
        assert response.status_code == 303, label(index, payload)
        posted[comment_id(response)] = index
    reader = Reader(open_blog.app.test_client())
    for number, index in posted.items():
        payload = HOSTILE_INPUTS[index]
        page = read(reader, f"/hello/?replytocom={number}")
        match = REPLY_TITLE.search(page)
        assert match, label(index, payload)
        title = parse_fragment(match.group(1))
        assert descendants(title) == [], label(index, payload)
        assert text_of(title) == f"Leave a Reply to {as_dom_text(typed(payload[:AUTHOR_MAX]))}", label(index, payload)


HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "javascript:alert(1)//http://example.org",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "livescript:alert(1)",
    "mailto:ann@example.org",
    "ftp://example.org/",
    "file:///etc/passwd",
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "evil.example",
    "www.evil.example",
    "http://",
    "https://",
    "http:evil.example",
    "https:/evil.example",
    "http://a b",
    "http://evil.example/ onmouseover=alert(1)",
    "   javascript:alert(1)",
    "\tjavascript:alert(1)",
    " \t \tJavaScript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java script:alert(1)",
    "http://example.org/\njavascript:alert(1)",
    "https://example.org\u2028javascript:alert(1)",
    "\uff4aavascript:alert(1)",
    '"><script>alert(1)</script>',
    'http://"onmouseover="alert(1)',
    "http://<script>alert(1)</script>",
    "http://[::1",
    "http://evil.example:99999",
    "http://evil.example:port/",
    # RFC 3986 has no place for these unencoded; a browser sends them percent-encoded.
    "https://example.org/?a=<b>",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_web_address_is_refused_beside_the_url_field(url, make_blog):
    blog = make_blog(PROPAGATE_EXCEPTIONS=False, **ALL_AT_ONCE)
    response = blog.reader.post(url=url)
    assert response.status_code == 400, response.status_code
    tree = parse_page(response)
    on_page = elements_by_id(tree)
    assert text_of(on_page["url-error"]) == (NOT_ALLOWED if NOT_IN_ONE_LINE.search(url.strip()) else BAD_URL)
    assert on_page["url"].get("aria-invalid") == "true"
    assert_page_is_inert(tree, f"url={url!r}")
    assert count_comments(blog.app) == 0


@pytest.mark.parametrize("url, escaped", [
    ("https://example.org/?a=1&b=%3Cb%3E", "https://example.org/?a=1&amp;b=%3Cb%3E"),
])
def test_web_address_is_shown_only_as_an_escaped_author_link(open_blog, url, escaped):
    response = open_blog.reader.post(url=url)
    assert response.status_code == 303
    [comment] = stored_comments(open_blog.app).values()
    assert comment.url == url

    page = read(Reader(open_blog.app.test_client()), "/hello/")
    assert page.count("example.org/?a=") == 1
    assert f'href="{escaped}"' in page
    assert url not in page
    tree = parse_page(page)
    assert_page_is_inert(tree, "the post page")
    author = first_with_class(elements_by_id(tree)[f"comment-{comment.id}"], "comment-author")
    [link] = descendants(author)
    assert link.tag == "a"
    assert link.attrib == {"class": "url", "href": url, "rel": AUTHOR_LINK_REL}
    assert text_of(link) == "Ann Reader"
