"""Who may send the comment form: its CSRF token, and the browser's word on where a post comes from.

A reader with a session (an admin signed in, or any browser the host gave a session) gets Flask-WTF's
token, bound to that session, as every other form of the host has. A reader without one gets a token
bound to the post and to the window the page was rendered in (as django-contrib-comments' security
hash binds its form to an object and a time): the same for every such reader, so their page can be
one copy that any cache keeps, and no session (no cookie) is made for them.

That token proves what it can: that the post was made from this post's form, rendered by this site
within COMMENTS_FORM_MAX_AGE. It cannot prove the post came from the reader's own browser, since
anyone may fetch the page; for a reader without a session there is no authority of theirs to borrow
but their address. What stops another site's page from posting through a visitor's browser is the
browser itself: a post whose ``Sec-Fetch-Site`` says another site, or whose ``Origin`` names
another host, is refused on either path. The README's security section says the same for operators.
"""

import hmac
import time
from functools import lru_cache

from flask import current_app, request
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import Signer
from wtforms import ValidationError

from blog.comments.timing import current_window


def has_session() -> bool:
    """Whether the browser sends the host's session cookie, without reading the session (reading it
    would mark every response as varying by cookie)."""
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def post_token(target_key: str, start: int) -> str:
    """The token of every session-less form for ``target_key`` rendered in the window from ``start``."""
    return _signed_token(current_app.secret_key, target_key, start)


@lru_cache(maxsize=256)
def _signed_token(secret_key: str, target_key: str, start: int) -> str:
    """Signed once per worker for a window: every page of the window and every post from it has the same.
    Only real targets, and starts no older than a form may be (is_genuine_post_token checks the age
    first), reach it; it keeps the latest 256."""
    signature = Signer(secret_key, salt="comments-post-form").get_signature(f"{target_key}/{start}")
    return f"{start}.{signature.decode('ascii')}"


def form_token(target_key: str) -> str:
    """The token this reader's form carries: bound to their session if they have one, else to the post."""
    return generate_csrf() if has_session() else post_token(target_key, current_window())


def is_genuine_post_token(token: str, target_key: str) -> bool:
    """A post token signed for this post, no older than a form may be, and not from the future."""
    start, _, _signature = token.partition(".")
    if not (start.isascii() and start.isdigit() and len(start) <= 12):
        return False
    age = time.time() - int(start)
    if not -60 <= age <= current_app.config["COMMENTS_FORM_MAX_AGE"]:  # a minute of clock skew between hosts
        return False
    return hmac.compare_digest(token, post_token(target_key, int(start)))


def is_cross_site() -> bool:
    """Whether the browser says the post comes from another site's page. Browsers send
    ``Sec-Fetch-Site`` (and ``Origin`` on every form post); a client that sends neither is no browser
    a page could drive, and the token alone speaks for it."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    scheme, _, host = origin.partition("://")
    return origin == "null" or scheme not in ("http", "https") or host != request.host


def check_form_token(token: str | None, target_key: str):
    """Raise ValidationError unless ``token`` is this reader's genuine token, sent from this site."""
    if is_cross_site():
        raise ValidationError("cross-site post")
    if has_session():
        validate_csrf(token)  # raises ValidationError with Flask-WTF's reason
    elif not is_genuine_post_token(token or "", target_key):
        raise ValidationError("post token missing, forged or expired")
