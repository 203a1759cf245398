"""Post addresses made from titles: lowercase ASCII words joined by hyphens, unique."""

import re
import unicodedata

from blog.extensions import db
from blog.posts.models import post_with_slug

SLUG_MAX = 200
# First path segments the site itself uses: a post there would be shadowed, or shadow a page.
RESERVED_SLUGS = frozenset({"admin", "comments", "feed", "static", "healthz", "sitemap.xml", "robots.txt"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    """"Één reactie: Café!" → "een-reactie-cafe"; a title with no letters or digits gives "post"."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_WORD.sub("-", ascii_title.lower()).strip("-")[:SLUG_MAX].rstrip("-")
    return slug or "post"


def unique_slug(base: str) -> str:
    """``base``, or ``base-2``, ``base-3``…: the first that no post uses and the site does not reserve."""
    candidate, number = base, 1
    while candidate in RESERVED_SLUGS or db.session.scalar(post_with_slug(candidate)) is not None:
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)] + suffix
    return candidate
