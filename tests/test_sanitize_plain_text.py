"""clean_comment's shortcut for plain text (no markup, no entity, nothing to link) gives bleach's output to
the byte, on any text: the shortcut is only ever a faster way to the same HTML."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from blog.sanitize import bleached_comment, clean_comment

# Pieces that sit near the shortcut's edge: what the parser or the sanitizer treat specially (">",
# quotes, controls, odd line breaks and spaces, noncharacters), and the makings of a link.
EDGES = [
    "a", "b", " ", ">", "\n", "\r", "\r\n", "\t", '"', "'", ".", ":", "/", "http://", "https://", "www.",
    "example.org", "setup.py", "@", "\x00", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\xa0", "\u200b", "\u2028",
    "\ufeff", "\ufffd", "\uffff", "\U0001f600", "\ud800",
]
edgy_text = st.lists(st.sampled_from(EDGES), max_size=30).map("".join)
any_text = st.text(st.characters(exclude_categories=()), max_size=60)


@settings(max_examples=600, deadline=None)
@given(st.one_of(edgy_text, any_text))
@example("Benchmark comment 7: thank you for the clear explanation.\nI had not understood it > until now.")
@example("First paragraph.\n\n  Second, after a blank line.  \r\n\r\nThird")
@example("a > b and c -> d, \"quoted\" and 'single'")
@example("see www.example.org or http://example.org/x?y=1")
@example("tab\there, form\x0cfeed, nul\x00, vertical\x0btab")
def test_plain_text_is_cleaned_as_bleach_cleans_it(raw):
    assert clean_comment(raw) == bleached_comment(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Hello", "<p>Hello</p>"),
    ("one\ntwo\n\nthree > two", "<p>one<br>\ntwo</p><p>three &gt; two</p>"),
])
def test_plain_text_shortcut_output(raw, expected):
    assert clean_comment(raw) == bleached_comment(raw) == expected
