"""The plugin's cookies: the comments a browser is waiting on, the details it asked us to remember, a
mark that it has just posted, the comment it has just asked reply notices for, and the tokens that let
it change its latest comments for a while.

None is the Flask session, which is signed but readable: the held-comments and notice cookies name
only comment ids (signed, so a browser cannot claim another's), the remembered details, which hold
an email address, are encrypted, and the own-comments cookie holds ids and their edit tokens
(blog.comments.own_edits), signed as well. Any of them makes the browser's pages its own (blog.comments.page_cache):
a cache in front must pass such requests to the app (README, Deployment).
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from blog.comments.keys import derived_key

HELD_COOKIE = "comments_held"
AUTHOR_COOKIE = "comment_author"
POSTED_COOKIE = "comments_posted"
OWN_COOKIE = "comments_own"
NOTICE_COOKIE = "comments_notice"
# Any of them makes a browser's page its own (has_own_cookies); deploy/nginx/blog-http.conf names them too.
OWN_PAGE_COOKIES = (HELD_COOKIE, AUTHOR_COOKIE, POSTED_COOKIE, OWN_COOKIE, NOTICE_COOKIE)
# How many of a browser's latest held comments it keeps seeing, and for how long.
HELD_LIMIT = 20
HELD_MAX_AGE = 30 * 24 * 3600
REMEMBER_MAX_AGE = 365 * 24 * 3600
# How many of a browser's latest comments it may still change (each within its own window).
OWN_LIMIT = 5
# How long the page of a comment just posted with "Notify me" ticked says to check the inbox.
NOTICE_MAX_AGE = 15 * 60


# The salt of each signed cookie: no cookie's value is taken for another's.
_SALTS = {HELD_COOKIE: "comments-held", NOTICE_COOKIE: "comments-notice", OWN_COOKIE: "comments-own"}


def _serializer(name: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALTS[name])


def _signed(name: str):
    """The value of the signed cookie ``name`` this browser sent; None when it sent none or tampered with it."""
    value = request.cookies.get(name)
    if not value:
        return None
    try:
        return _serializer(name).loads(value)
    except BadSignature:
        return None


def _set_signed(response, name: str, value, max_age: int):
    _set(response, name, _serializer(name).dumps(value), max_age)


def _author_cipher() -> Fernet:
    """A Fernet key derived from the app's secret, distinct from every other use of it."""
    return Fernet(base64.urlsafe_b64encode(derived_key(b"comments remembered author")))


def _set(response, name, value, max_age):
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                        secure=request.is_secure)


def has_own_cookies() -> bool:
    """Whether this browser sends any of them, valid or not: its page may be its own."""
    return any(name in request.cookies for name in OWN_PAGE_COOKIES)


def held_comment_ids() -> list[int]:
    """Ids of the comments this browser posted that were held, newest last; [] if none or tampered."""
    ids = _signed(HELD_COOKIE)
    return [number for number in ids if isinstance(number, int)] if isinstance(ids, list) else []


def remember_held_comment(response, comment_id: int):
    """Let this browser, and only it, keep seeing its held comment."""
    ids = [*(number for number in held_comment_ids() if number != comment_id), comment_id][-HELD_LIMIT:]
    _set_signed(response, HELD_COOKIE, ids, HELD_MAX_AGE)


def forget_held_comment(response, comment_id: int):
    """Stop showing this browser a comment it no longer has (its poster deleted it)."""
    ids = held_comment_ids()
    if comment_id in ids:
        ids.remove(comment_id)
        _set_signed(response, HELD_COOKIE, ids, HELD_MAX_AGE)


def notice_comment_id() -> int | None:
    """The comment this browser has just posted asking for reply notices; None if none or tampered with."""
    comment_id = _signed(NOTICE_COOKIE)
    return comment_id if isinstance(comment_id, int) and not isinstance(comment_id, bool) else None


def remember_notice_asked(response, comment_id: int):
    """Let the page of the comment this browser has just posted say, for a while, that a mail asks it to
    confirm the reply notices it ticked (that page is its own, as any with this cookie)."""
    _set_signed(response, NOTICE_COOKIE, comment_id, NOTICE_MAX_AGE)


def own_edit_tokens() -> dict[int, str]:
    """The edit tokens this browser holds, by comment id, oldest first; {} if none or tampered with."""
    entries = _signed(OWN_COOKIE)
    if not isinstance(entries, list):
        return {}
    return {entry[0]: entry[1] for entry in entries if isinstance(entry, list) and len(entry) == 2
            and isinstance(entry[0], int) and isinstance(entry[1], str)}


def _set_own(response, tokens: dict[int, str], max_age: int):
    if tokens:
        pairs = [[comment_id, token] for comment_id, token in tokens.items()]
        _set_signed(response, OWN_COOKIE, pairs, max_age)
    elif OWN_COOKIE in request.cookies:
        response.delete_cookie(OWN_COOKIE, path="/", httponly=True, samesite="Lax", secure=request.is_secure)


def remember_own_comment(response, comment_id: int, token: str, max_age: int):
    """Give this browser, and only it, the token of the comment it has just posted, for ``max_age`` seconds
    (the edit window): it keeps those of its latest OWN_LIMIT comments."""
    tokens = own_edit_tokens()
    tokens.pop(comment_id, None)
    tokens[comment_id] = token
    _set_own(response, dict(list(tokens.items())[-OWN_LIMIT:]), max_age)


def forget_own_comment(response, comment_id: int, max_age: int):
    """Drop the token of a comment its poster deleted; the cookie goes with the last one."""
    tokens = own_edit_tokens()
    if tokens.pop(comment_id, None) is not None:
        _set_own(response, tokens, max_age)


def remembered_author() -> dict[str, str]:
    """The name, email and url this browser asked us to remember, or {}."""
    value = request.cookies.get(AUTHOR_COOKIE)
    if not value:
        return {}
    try:
        details = json.loads(_author_cipher().decrypt(value.encode("ascii", "replace")))
    except (InvalidToken, ValueError):
        return {}
    if not isinstance(details, dict):
        return {}
    return {field: details[field] for field in ("author", "email", "url") if isinstance(details.get(field), str)}


def remember_author(response, author: str, email: str, url: str):
    """Keep the commenter's details, encrypted, for a year (the "Save my name…" box was ticked)."""
    # UTF-8 rather than \u escapes: a name of 245 emoji must still fit a browser's 4 KB cookie.
    details = json.dumps({"author": author, "email": email, "url": url}, ensure_ascii=False)
    token = _author_cipher().encrypt(details.encode("utf-8"))
    _set(response, AUTHOR_COOKIE, token.decode("ascii"), REMEMBER_MAX_AGE)


def forget_author(response):
    """Drop remembered details, if any (the box was left unticked)."""
    if AUTHOR_COOKIE in request.cookies:
        response.delete_cookie(AUTHOR_COOKIE, path="/", httponly=True, samesite="Lax", secure=request.is_secure)


def remember_posting(response):
    """Mark this browser as having just posted, for as long as a cache may still hand out a copy of the
    page from before its comment (COMMENTS_CACHE_MAX_AGE + COMMENTS_CACHE_STALE_WHILE_REVALIDATE): its
    pages come from the app until then. The mark says nothing but that."""
    config = current_app.config
    seconds = config["COMMENTS_CACHE_MAX_AGE"] + config["COMMENTS_CACHE_STALE_WHILE_REVALIDATE"]
    if seconds:
        _set(response, POSTED_COOKIE, "1", seconds)
