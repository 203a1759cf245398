"""Keys derived from the app's SECRET_KEY, one for each use of it, so no use can be played against another."""

from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def derived_key(purpose: bytes) -> bytes:
    """32 bytes for this one purpose (HKDF-SHA256 of the app's secret, the purpose as its info)."""
    secret = current_app.secret_key
    return _derive(secret.encode() if isinstance(secret, str) else secret, purpose)


@lru_cache(maxsize=16)
def _derive(secret: bytes, purpose: bytes) -> bytes:
    # Kept: a page derives the same key for each of its comments' avatars.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
