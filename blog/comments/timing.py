"""The signed time a comment form was served: people take a while to write, bots post at once.

The stamp travels in a hidden field, signed with the app's secret so a bot cannot forge an older one.
"""

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner

from blog.extensions import utcnow

_STAMPED = "comment-form"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.secret_key, salt="comments-form-issued")


def issue_form_stamp() -> str:
    """A fresh stamp for a form being served now."""
    return _signer().sign(_STAMPED).decode("ascii")


def form_age(stamp: str | None) -> float | None:
    """Seconds since the form with this stamp was served; None when the stamp is missing or forged."""
    if not stamp:
        return None
    try:
        value, issued_at = _signer().unsign(stamp, return_timestamp=True)
    except BadSignature:
        return None
    return (utcnow() - issued_at).total_seconds() if value == _STAMPED.encode() else None
