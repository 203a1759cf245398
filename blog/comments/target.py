"""What the plugin needs to know about the page a thread hangs under; the host builds these."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CommentTarget:
    """A page that carries a comment thread, as the host's target loader describes it."""

    # Stable thread id stored with every comment ("post-7"); must not change when the page's URL does.
    key: str
    # What the plugin's URLs carry, /<locator>/comments, and what the target loader is given (a slug).
    locator: str
    title: str
    # The page's URL, where readers are sent back after posting.
    url: str
    is_open: bool = True
    is_published: bool = True
    published_at: datetime | None = None
