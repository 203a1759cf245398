"""Markdown source of a post to the HTML and summary stored beside it."""

import html
import re

import markdown

from blog.sanitize import clean_post

SUMMARY_LENGTH = 160
_EXTENSIONS = ["extra", "sane_lists"]
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def render_markdown(source: str) -> str:
    """Sanitized HTML for a post body written in Markdown."""
    return clean_post(markdown.markdown(source, extensions=_EXTENSIONS, output_format="html"))


def summarize(body_html: str) -> str:
    """Plain text of the first paragraph, cut at a word to fit a meta description."""
    match = _FIRST_PARAGRAPH.search(body_html)
    text = " ".join(html.unescape(_TAG.sub("", match.group(1) if match else "")).split())
    if len(text) <= SUMMARY_LENGTH:
        return text
    return text[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] + "…"
