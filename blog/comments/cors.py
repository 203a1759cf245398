"""Which origins may use the JSON API from a browser, and the CORS headers that tell the browser so.

A request's origin is its ``Origin`` header, or the site's own when it sends none (a same-origin GET,
curl). Allowed are the site's own origin and those listed in COMMENTS_EMBED_ORIGINS; only a listed one
is named back in ``Access-Control-Allow-Origin`` (never ``*``, never with credentials: the API reads
no cookie, so a browser has nothing of its own to lend a page). Every answer varies by ``Origin``.
"""

import re

from flask import current_app, request

ALLOWED_METHODS = "GET, POST, PUT, DELETE"
ALLOWED_HEADERS = "Content-Type, X-Comments-Token, X-Comments-Edit-Token"
# What the embed reads of an answer beyond the headers every origin may read.
EXPOSED_HEADERS = "Location, Retry-After"
PREFLIGHT_MAX_AGE = 600
# The longest origin kept (an embedded thread's origin column).
ORIGIN_MAX = 200
# scheme://host[:port] and nothing else: no path, query, user or trailing slash.
_ORIGIN = re.compile(r"(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?", re.IGNORECASE)


def normalize_origin(origin: str | None) -> str | None:
    """``origin`` with its scheme and host lower-cased; None unless it is an http(s) origin."""
    if not origin or len(origin) > ORIGIN_MAX:
        return None
    match = _ORIGIN.fullmatch(origin)
    if match is None:
        return None
    scheme, host, port = match.groups()
    return f"{scheme.lower()}://{host.lower()}{port or ''}"


def own_origin() -> str:
    """The site's origin, as the request reached it."""
    return normalize_origin(f"{request.scheme}://{request.host}") or f"{request.scheme}://{request.host}"


def request_origin() -> str | None:
    """The origin the request comes from (its ``Origin``, else our own); None for one that is no
    http(s) origin ("null", a file: page)."""
    if "Origin" not in request.headers:
        return own_origin()
    return normalize_origin(request.headers["Origin"])


def listed_origins() -> set[str]:
    """COMMENTS_EMBED_ORIGINS, normalized (an entry that is no origin is left out)."""
    return {origin for entry in current_app.config["COMMENTS_EMBED_ORIGINS"]
            if (origin := normalize_origin(entry)) is not None}


def is_listed(origin: str | None) -> bool:
    return origin is not None and origin in listed_origins()


def is_allowed(origin: str | None) -> bool:
    """Whether ``origin`` may read and write through the API: our own, or a listed one."""
    return origin is not None and (origin == own_origin() or is_listed(origin))


def add_cors_headers(response):
    """Name a listed origin back to the browser; every answer varies by Origin either way."""
    response.vary.add("Origin")
    origin = request_origin()
    if "Origin" in request.headers and is_listed(origin):
        response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def preflight(response):
    """The answer to an allowed origin's preflight: what it may send, for PREFLIGHT_MAX_AGE seconds."""
    response.status_code = 204
    response.headers.remove("Content-Type")
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response
