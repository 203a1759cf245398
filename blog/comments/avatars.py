"""Commenters' avatars: an identicon we draw ourselves, named by a keyed hash of the email, or Gravatar's
picture when the operator turns COMMENTS_GRAVATAR on.

The identicon's name is an HMAC of the address under a key derived from the site's secret for this
alone: a commenter shows the same picture on every page of this site, yet nobody without the secret
can test a guessed address against the name (as anyone can against Gravatar's hash of the address),
nor match a commenter across sites. The picture is drawn from the name alone, so the URL shows the
same image for good and any cache may keep it.
"""

import colorsys
import hashlib
import hmac
import re
from functools import lru_cache

from flask import current_app, url_for

from blog.comments.feeds import absolute
from blog.comments.keys import derived_key

# Hex characters of an identicon's name: 128 bits of the HMAC, far past any chance of two commenters sharing one.
DIGEST_LENGTH = 32
_DIGEST = re.compile(f"[0-9a-f]{{{DIGEST_LENGTH}}}")
# Cells on each side of the identicon's square; its left half is mirrored to the right.
GRID = 5
BACKGROUND = "#f0f0f0"


def _normalized(email: str) -> bytes:
    """The address as its owner would type it any day: trimmed and lower-cased."""
    return email.strip().lower().encode("utf-8")


def avatar_digest(email: str) -> str:
    """The name of an email's identicon: an HMAC-SHA256 of the address under the avatars' own key."""
    digest = hmac.new(derived_key(b"comments avatar"), _normalized(email), hashlib.sha256).hexdigest()
    return digest[:DIGEST_LENGTH]


def avatar_url(email: str, external: bool = False) -> str:
    """The avatar of a commenter, for pages, the API (``external``: an absolute URL, for other origins)
    and the moderation queue."""
    if current_app.config["COMMENTS_GRAVATAR"]:
        return f"https://www.gravatar.com/avatar/{hashlib.sha256(_normalized(email)).hexdigest()}?d=identicon&s=80"
    path = url_for("comments.avatar", digest=avatar_digest(email))
    return absolute(path) if external else path


def is_avatar_digest(digest: str) -> bool:
    """Whether a URL names an identicon as avatar_digest names them: exactly, in lower-case hex."""
    return _DIGEST.fullmatch(digest) is not None


@lru_cache(maxsize=1024)  # the names come from anyone's requests: a small bound keeps the memory small
def identicon(digest: str) -> tuple[str, str]:
    """The SVG of a digest's identicon, and a strong ETag for it: a symmetric GRID×GRID pattern in one
    colour, both read from the digest's bits. Plain shapes only: no script, text, link or reference."""
    bits = int(digest, 16)
    half = (GRID + 1) // 2
    cells = []
    for row in range(GRID):
        for column in range(half):
            if bits >> (row * half + column) & 1:
                cells.extend({(column, row), (GRID - 1 - column, row)})
    bits >>= GRID * half
    # Any hue; saturated and dark enough to stand out from the light background.
    hue = (bits & 0xFFF) / 0x1000
    saturation, lightness = 0.45 + (bits >> 12 & 0xF) / 75, 0.35 + (bits >> 16 & 0xF) / 100
    colour = "#" + "".join(f"{round(part * 255):02x}" for part in colorsys.hls_to_rgb(hue, lightness, saturation))
    shape = "".join(f"M{column} {row}h1v1h-1z" for column, row in sorted(cells))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 {GRID + 1} {GRID + 1}" width="40" '
           f'height="40" shape-rendering="crispEdges"><rect x="-0.5" y="-0.5" width="{GRID + 1}" '
           f'height="{GRID + 1}" fill="{BACKGROUND}"/><path fill="{colour}" d="{shape}"/></svg>')
    return svg, hashlib.sha256(svg.encode()).hexdigest()[:32]
