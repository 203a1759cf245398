"""Markdown source of a post to the HTML and summary stored beside it."""

import re

import markdown

from blog.sanitize import clean_post, plain_excerpt

SUMMARY_LENGTH = 160
_EXTENSIONS = ["extra", "sane_lists"]
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def render_markdown(source: str) -> str:
    """Sanitized HTML for a post body written in Markdown."""
    return clean_post(markdown.markdown(source, extensions=_EXTENSIONS, output_format="html"))


def summarize(body_html: str) -> str:
    """Plain text of the first paragraph, cut at a word to fit a meta description."""
    match = _FIRST_PARAGRAPH.search(body_html)
    return plain_excerpt(match.group(1) if match else "", SUMMARY_LENGTH)
