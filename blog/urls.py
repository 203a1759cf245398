"""Absolute URLs, built from ``BLOG_URL`` when configured rather than from the request's Host."""

from flask import current_app, url_for


def absolute_url(endpoint: str, **values) -> str:
    """The public URL of an endpoint, for canonical links, feeds and mail."""
    base = current_app.config["BLOG_URL"]
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
