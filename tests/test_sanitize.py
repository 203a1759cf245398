"""clean_comment(): only allowlisted markup survives, other markup is shown as text, bare URLs become
nofollow links and blank lines become paragraphs; and no hostile input gets anything active through."""

import re
from urllib.parse import urlsplit

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.sanitize import (
    COMMENT_ATTRIBUTES,
    COMMENT_TAGS,
    LINK_REL,
    MARKDOWN_TAGS,
    MARKUPS,
    PROTOCOLS,
    clean_comment,
    sanitize_comment_html,
)
from tests.data.hostile_inputs import HOSTILE_INPUTS, MARKDOWN_HOSTILE_INPUTS

URL_ATTRIBUTES = {"href", "cite"}
ACTIVE_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")
EVENT_HANDLER = re.compile(r"on[a-z]")
# What a browser ignores in a URL before reading its scheme: ASCII whitespace and controls anywhere
# (tabs and newlines are removed, leading controls stripped), plus invisible characters for good measure.
IGNORED_IN_URL = re.compile("[\x00-\x20\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\ufeff]")



def parse(markup):
    """The fragment as a browser would read it inside the comment's <div>."""
    return html5lib.parseFragment(markup, treebuilder="etree", namespaceHTMLElements=False)


def elements(fragment):
    """Every element of a parsed fragment, without the fragment root itself."""
    return [element for element in fragment.iter() if element is not fragment]


def text_content(markup):
    """What the reader sees, as the DOM's textContent."""
    return "".join(parse(markup).itertext())


def shape(fragment):
    """Tags, attributes and text of a parsed fragment, to compare two parses."""
    return [(element.tag, sorted(element.attrib.items()), element.text, element.tail) for element in elements(fragment)]


def short_id(index, text, width=30):
    return f"{index:03d}:{ascii(text)[1:-1][:width]}"


# Every hostile input in each markup; Markdown's own ones in Markdown.
HOSTILE_PARAMS = [pytest.param(payload, markup, id=f"{markup}-{short_id(i, payload)}")
                  for markup in MARKUPS for i, payload in enumerate(HOSTILE_INPUTS)] + [
    pytest.param(payload, "markdown", id=f"markdown-{short_id(i, payload)}")
    for i, payload in enumerate(MARKDOWN_HOSTILE_INPUTS)]
TAGS = {"html": COMMENT_TAGS, "markdown": MARKDOWN_TAGS}


def test_hostile_inputs_are_many_and_distinct():
    assert len(HOSTILE_INPUTS) >= 80
    assert len(set(HOSTILE_INPUTS)) == len(HOSTILE_INPUTS)
    assert all(isinstance(payload, str) and payload for payload in HOSTILE_INPUTS)


@pytest.mark.parametrize(("payload", "markup"), HOSTILE_PARAMS)
def test_hostile_input_leaves_only_allowlisted_markup(payload, markup):
    output = clean_comment(payload, markup)
    for element in elements(parse(output)):
        assert element.tag in TAGS[markup], (element.tag, output)
        allowed = COMMENT_ATTRIBUTES.get(element.tag, [])
        for name in element.attrib:
            if element.tag == "a" and name == "rel":
                continue
            assert name in allowed, (element.tag, name, output)


@pytest.mark.parametrize(("payload", "markup"), HOSTILE_PARAMS)
def test_hostile_input_leaves_no_active_attribute(payload, markup):
    output = clean_comment(payload, markup)
    for element in elements(parse(output)):
        for name, value in element.attrib.items():
            assert not EVENT_HANDLER.match(name.lower()), (element.tag, name, output)
            # A mailto: or http: URL may carry the word "javascript:" harmlessly; only the start counts.
            assert not IGNORED_IN_URL.sub("", value).lower().startswith(ACTIVE_SCHEMES), (element.tag, name, output)
            if name in URL_ATTRIBUTES:
                assert urlsplit(value).scheme.lower() in PROTOCOLS, (element.tag, name, value, output)
        if element.tag == "a":
            assert element.get("rel") == LINK_REL, output
            assert element.get("href"), output


@pytest.mark.parametrize(("payload", "markup"), HOSTILE_PARAMS)
def test_hostile_output_reparses_to_the_same_tree(payload, markup):
    """No mutation XSS: what a browser rebuilds from the output serializes to the same tree again."""
    fragment = parse(clean_comment(payload, markup))
    reserialized = html5lib.serialize(fragment, tree="etree", quote_attr_values="always")
    assert shape(parse(reserialized)) == shape(fragment)


ALLOWED_MARKUP = [
    ("<b>x</b>", "<p><b>x</b></p>"),
    ("<strong>x</strong>", "<p><strong>x</strong></p>"),
    ("<i>x</i>", "<p><i>x</i></p>"),
    ("<em>x</em>", "<p><em>x</em></p>"),
    ("<s>x</s>", "<p><s>x</s></p>"),
    ("<strike>x</strike>", "<p><strike>x</strike></p>"),
    ("<cite>x</cite>", "<p><cite>x</cite></p>"),
    ("<code>x</code>", "<p><code>x</code></p>"),
    ('<del datetime="2024-01-01">x</del>', '<p><del datetime="2024-01-01">x</del></p>'),
    ('<abbr title="Hypertext">HTML</abbr>', '<p><abbr title="Hypertext">HTML</abbr></p>'),
    ('<acronym title="t">A</acronym>', '<p><acronym title="t">A</acronym></p>'),
    ('<q cite="https://example.org">x</q>', '<p><q cite="https://example.org">x</q></p>'),
    ('<blockquote cite="https://example.org">x</blockquote>', '<blockquote cite="https://example.org"><p>x</p></blockquote>'),
    ("x<br>y", "<p>x<br>y</p>"),
    ("<p>x</p>", "<p>x</p>"),
    (
        '<a href="https://example.org" title="t">x</a>',
        '<p><a href="https://example.org" title="t" rel="nofollow ugc">x</a></p>',
    ),
    ('<a href="http://example.org">x</a>', '<p><a href="http://example.org" rel="nofollow ugc">x</a></p>'),
    ('<a href="mailto:me@example.org">x</a>', '<p><a href="mailto:me@example.org" rel="nofollow ugc">x</a></p>'),
    ('<a href="HTTPS://example.org">x</a>', '<p><a href="HTTPS://example.org" rel="nofollow ugc">x</a></p>'),
    # Forbidden attributes are dropped, the reader's own rel replaced.
    ('<a href="https://example.org" rel=opener>x</a>', '<p><a href="https://example.org" rel="nofollow ugc">x</a></p>'),
    ('<a href=https://example.org target=_new>x</a>', '<p><a href="https://example.org" rel="nofollow ugc">x</a></p>'),
    ("<b onclick=\"alert(1)\" style=\"color:red\">x</b>", "<p><b>x</b></p>"),
    ('<q cite="javascript:alert(1)">x</q>', "<p><q>x</q></p>"),
    ('<blockquote cite="/relative">x</blockquote>', "<blockquote><p>x</p></blockquote>"),
    # An anchor left without an href is unwrapped to its text.
    ('<a href="/relative">x</a>', "<p>x</p>"),
    ('<a href="//example.org">x</a>', "<p>x</p>"),
    ('<a href="example.org">x</a>', "<p>x</p>"),
    ('<a href="javascript:alert(1)">x</a>', "<p>x</p>"),
    ('<a name="top">x</a>', "<p>x</p>"),
    # Text is escaped, not interpreted.
    ("AT&T", "<p>AT&amp;T</p>"),
    ("1 < 2 > 0", "<p>1 &lt; 2 &gt; 0</p>"),
    # A tag the reader broke across lines stays one tag.
    ('<b\ntitle="t">x</b>', "<p><b>x</b></p>"),
    ('<a href="https://example.org"\ntitle="t">x</a>',
     '<p><a href="https://example.org" title="t" rel="nofollow ugc">x</a></p>'),
]


@pytest.mark.parametrize(("raw", "expected"), ALLOWED_MARKUP, ids=lambda value: ascii(value)[1:-1][:40])
def test_allowed_markup_is_kept_exactly(raw, expected):
    assert clean_comment(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    (
        "see https://example.org/x now",
        '<p>see <a href="https://example.org/x" rel="nofollow ugc">https://example.org/x</a> now</p>',
    ),
    ("http://example.org", '<p><a href="http://example.org" rel="nofollow ugc">http://example.org</a></p>'),
    ("www.example.org", '<p><a href="http://www.example.org" rel="nofollow ugc">www.example.org</a></p>'),
    (
        "https://example.org/?a=1&b=2",
        '<p><a href="https://example.org/?a=1&amp;b=2" rel="nofollow ugc">https://example.org/?a=1&amp;b=2</a></p>',
    ),
    (
        "see (https://example.org).",
        '<p>see (<a href="https://example.org" rel="nofollow ugc">https://example.org</a>).</p>',
    ),
    (
        '<a href="https://example.org">https://example.org</a>',
        '<p><a href="https://example.org" rel="nofollow ugc">https://example.org</a></p>',
    ),
    # Any top-level domain, not only those on bleach's list.
    ("https://web.dev/", '<p><a href="https://web.dev/" rel="nofollow ugc">https://web.dev/</a></p>'),
    ("https://blog.example/x", '<p><a href="https://blog.example/x" rel="nofollow ugc">https://blog.example/x</a></p>'),
], ids=lambda value: ascii(value)[1:-1][:40])
def test_bare_urls_become_nofollow_links(raw, expected):
    assert clean_comment(raw) == expected


@pytest.mark.parametrize("raw", [
    "setup.py",
    "example.com",
    "run python setup.py install on example.com",
    "me@example.org",
    "mailto:me@example.org",
    "javascript:alert(1)",
    "ftp://example.org/file",
])
def test_text_without_scheme_or_www_stays_text(raw):
    assert clean_comment(raw) == f"<p>{raw}</p>"


@pytest.mark.parametrize("raw", ["<code>https://example.org</code>", "<code>www.example.org</code>"])
def test_url_inside_code_stays_text(raw):
    assert clean_comment(raw) == f"<p>{raw}</p>"


@pytest.mark.parametrize(("raw", "expected"), [
    ("one", "<p>one</p>"),
    ("one\n\ntwo", "<p>one</p><p>two</p>"),
    ("one\n\n\n\ntwo", "<p>one</p><p>two</p>"),
    ("one\n \t\ntwo", "<p>one</p><p>two</p>"),
    ("one\ntwo", "<p>one<br>\ntwo</p>"),
    ("one\r\ntwo\r\n\r\nthree", "<p>one<br>\ntwo</p><p>three</p>"),
    ("one\rtwo", "<p>one<br>\ntwo</p>"),
    ("\n\n  one  \n\n", "<p>one</p>"),
    ("one\n<b>two\n\nthree</b>", "<p>one<br>\n<b>two</b></p><p><b>three</b></p>"),
    ("one\n\n<blockquote>two</blockquote>\n\nthree", "<p>one</p><blockquote><p>two</p></blockquote><p>three</p>"),
    ("one\n<blockquote>two</blockquote>\nthree", "<p>one</p><blockquote><p>two</p></blockquote><p>three</p>"),
    ("<blockquote>\nq\n\nr\n</blockquote>", "<blockquote><p>q</p><p>r</p></blockquote>"),
], ids=lambda value: ascii(value)[1:-1][:40])
def test_blank_lines_make_paragraphs_and_newlines_breaks(raw, expected):
    assert clean_comment(raw) == expected


@pytest.mark.parametrize("raw", ["", " ", "\n", "\n\n", " \t\r\n \r\n"])
def test_whitespace_only_input_is_empty(raw):
    assert clean_comment(raw) == ""


@pytest.mark.parametrize("raw", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>p { color: red }</style>",
    "<div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<textarea></textarea><script>alert(1)</script>",
    '<form action="https://evil.example"><input name=password></form>',
    "\U0001f600<script>alert(1)</script>\U0001f600",
    "<img src=x onerror=x//",
    "<!-- a comment never closed",
], ids=lambda value: ascii(value)[1:-1][:40])
def test_disallowed_markup_is_shown_as_typed(raw):
    output = clean_comment(raw)
    assert text_content(output) == raw
    # Only paragraphs, breaks, and links made of URLs the reader typed.
    assert all(element.tag in {"p", "br", "a"} for element in elements(parse(output)))


def test_a_tag_typed_across_lines_is_shown_on_one_line():
    assert text_content(clean_comment("<script\nsrc=x></script>")) == "<script src=x></script>"


def test_a_link_whose_host_is_an_unclosed_ipv6_bracket_is_text_not_an_error():
    assert clean_comment("<a href=http://x.org[>x</a>") == "<p>x</p>"


@pytest.mark.parametrize(("raw", "expected"), [
    ("**b** _i_ `c`", "<p><strong>b</strong> <em>i</em> <code>c</code></p>"),
    ("one\ntwo", "<p>one<br>\ntwo</p>"),
    ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("```\nhttps://x.example <b>\n```", "<pre><code>https://x.example &lt;b&gt;\n</code></pre>"),
    ("<https://x.example>", '<p><a href="https://x.example" rel="nofollow ugc">https://x.example</a></p>'),
    ("see https://x.example", '<p>see <a href="https://x.example" rel="nofollow ugc">https://x.example</a></p>'),
    ("[x](https://x.example 't')", '<p><a href="https://x.example" title="t" rel="nofollow ugc">x</a></p>'),
    ("[x][r]\n\n[r]: https://x.example", '<p><a href="https://x.example" rel="nofollow ugc">x</a></p>'),
    ("[x](javascript:alert(1))", "<p>x</p>"),
    # No image: its address is a link like any other typed.
    ("![x](https://x.example/a.png)",
     '<p>![x](<a href="https://x.example/a.png" rel="nofollow ugc">https://x.example/a.png</a>)</p>'),
    ("<reader@example.org>", "<p>&lt;reader@example.org&gt;</p>"),
    ("# Not a heading", "<p># Not a heading</p>"),
    ("<b>kept</b> <u>shown</u>", "<p><b>kept</b> &lt;u&gt;shown&lt;/u&gt;</p>"),
], ids=lambda value: ascii(value)[1:-1][:30])
def test_markdown_renders_a_comments_markup_and_no_more(raw, expected):
    assert clean_comment(raw, "markdown") == expected


# Text with the pieces of both markups in it, and any text at all.
MARKUP_PIECES = st.lists(st.sampled_from([
    "a", " ", "\n", "\n\n", "<", ">", "&", ";", "#", "*", "_", "`", "[", "]", "(", ")", "!", ":", "\\", "-",
    "1. ", '"', "'", "=", "    ", "> ", "http://x.org", "www.x.org", "javascript:", "<a href=", "</a>", "<b>",
    "</b>", "<code>", "<blockquote>", "</blockquote>", "<p>", "<br>", "```", "&amp;", "&#x3c;", "<!--", "-->",
]), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(MARKUP_PIECES, st.text(max_size=60)), markup=st.sampled_from(MARKUPS))
def test_stored_html_is_a_fixed_point_of_the_sanitizer(text, markup):
    stored = clean_comment(text, markup)
    assert sanitize_comment_html(stored, markup) == stored
