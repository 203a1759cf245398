"""The one door for untrusted HTML: the only module that imports bleach (DESIGN.md section 7)."""

import bleach

PROTOCOLS = frozenset({"http", "https", "mailto"})

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


def clean_post(html: str) -> str:
    """Keep the markup an article needs from an admin's rendered Markdown, and nothing active."""
    return bleach.clean(html, tags=POST_TAGS, attributes=POST_ATTRIBUTES, protocols=PROTOCOLS, strip=True)
