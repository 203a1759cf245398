"""The signed time a comment form was served: people take a while to write, bots post at once.

The stamp travels in a hidden field, signed with the app's secret so a bot cannot forge an older one.
A form on a page that every reader shares (blog.comments.page_cache) cannot carry the moment each
reader got it: its stamp says the start of the window (COMMENTS_FORM_WINDOW_SECONDS) in which the page
was rendered, and how long that window is, so the form's age is known to lie between the time since
the window ended and the time since it began (blog.comments.guard reads both bounds).
"""

import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner

_STAMPED = "comment-form"
_SALT = "comments-form-issued"
# Longer than any stamp this site signs (about 50 characters): anything longer is forged, and is never
# checked, nor kept by the check's cache, whatever size a bot sends.
STAMP_MAX = 128


@dataclass(frozen=True)
class FormStamp:
    """What a valid stamp says: seconds since its time, and the window that time opens (0: exact)."""

    age: float
    window: int


class _WindowSigner(TimestampSigner):
    """A signer whose timestamp is a window's start rather than now: every worker signs the same bytes."""

    def __init__(self, secret_key, start: int):
        super().__init__(secret_key, salt=_SALT)
        self.start = start

    def get_timestamp(self) -> int:
        return self.start


def window_seconds() -> int:
    return current_app.config["COMMENTS_FORM_WINDOW_SECONDS"]


def current_window() -> int:
    """The start of the window we are in, in seconds since the epoch: the same in every worker."""
    seconds = window_seconds()
    return int(time.time()) // seconds * seconds


def issue_form_stamp() -> str:
    """A fresh stamp for a form served now, to one reader."""
    return TimestampSigner(current_app.secret_key, salt=_SALT).sign(_STAMPED).decode("ascii")


def issue_window_stamp(start: int) -> str:
    """The stamp of every form on the shared pages rendered in the window that begins at ``start``."""
    signer = _WindowSigner(current_app.secret_key, start)
    return signer.sign(f"{_STAMPED}/{window_seconds()}").decode("ascii")


def read_form_stamp(stamp: str | None) -> FormStamp | None:
    """What ``stamp`` says; None when it is missing or forged."""
    if not stamp or len(stamp) > STAMP_MAX:
        return None
    signed = _signed_moment(current_app.secret_key, stamp)
    return FormStamp(time.time() - signed[0], signed[1]) if signed is not None else None


@lru_cache(maxsize=256)
def _signed_moment(secret_key, stamp: str) -> tuple[float, int] | None:
    """The moment a genuine stamp was signed for and its window; None when it is forged. It never
    changes for a stamp, and most posts send the same one (the shared page's), so a worker checks
    each signature once rather than on every read (a post reads its stamp twice, once in the write lock)."""
    try:
        value, issued_at = TimestampSigner(secret_key, salt=_SALT).unsign(stamp, return_timestamp=True)
    except BadSignature:
        return None
    kind, _, window = value.decode("ascii", "replace").partition("/")
    if kind != _STAMPED or not (window == "" or window.isdigit()):
        return None
    return issued_at.timestamp(), int(window or 0)
