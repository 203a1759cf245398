"""Fingerprinted static URLs (``?v=<digest of the file>``), so browsers may keep static files a year."""

import hashlib
import os
from functools import lru_cache

from flask import current_app


@lru_cache(maxsize=256)
def _digest(path: str, modified: float) -> str:
    """The file's digest; ``modified`` is only part of the cache key, so an edited file is read again."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def fingerprint_static_urls(endpoint: str, values: dict):
    """``url_for`` defaults: add the file's digest to every static file's URL, the app's and blueprints'."""
    if endpoint != "static" and not endpoint.endswith(".static"):
        return
    blueprint = endpoint.rpartition(".")[0]
    folder = current_app.blueprints[blueprint].static_folder if blueprint else current_app.static_folder
    path = os.path.join(folder, values.get("filename", ""))
    if "v" not in values and os.path.isfile(path):
        values["v"] = _digest(path, os.path.getmtime(path))


def init_assets(app):
    app.url_defaults(fingerprint_static_urls)
