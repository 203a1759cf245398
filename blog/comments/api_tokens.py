"""The token the JSON API hands out (GET /api/v1/token) and its write endpoints ask for: signed with the
app's secret, bound to the origin it was given to and to its time, valid for COMMENTS_FORM_MAX_AGE.

It stands where the form's CSRF token stands: proof that the post was made from a page of an origin the
site lets embed its threads, within a form's lifetime. The API reads no cookie, so there is no session of
the reader's for a hostile page to borrow; the browser's ``Origin`` header, which no page can forge,
must name the origin the token was given to.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

_SALT = "comments-api-token"
# Longer than any token this site signs: anything longer is forged and never checked.
TOKEN_MAX = 512


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def issue_api_token(origin: str) -> str:
    """A token for ``origin``, as of now."""
    return _serializer().dumps(origin)


def is_genuine_api_token(token, origin: str | None) -> bool:
    """A token this site signed for ``origin``, no older than COMMENTS_FORM_MAX_AGE (nor from the future)."""
    if origin is None or not isinstance(token, str) or not token.isascii() or len(token) > TOKEN_MAX:
        return False
    try:
        signed = _serializer().loads(token, max_age=current_app.config["COMMENTS_FORM_MAX_AGE"])
    except BadSignature:  # forged, expired or from the future (SignatureExpired is one)
        return False
    return signed == origin
