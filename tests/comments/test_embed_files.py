"""The embed script and the files it loads, at the fixed URLs other sites use (blog.comments.views.embed_file)."""

from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "blog" / "comments" / "static"


@pytest.mark.parametrize("path, name, mimetype", [
    ("/comments/embed.js", "embed.js", "application/javascript"),
    ("/comments/embed/comments.css", "comments.css", "text/css"),
    ("/comments/embed/embed.css", "embed.css", "text/css"),
    ("/comments/embed/reply.js", "reply.js", "application/javascript"),
])
def test_embed_files_are_served_for_any_cache_to_keep_an_hour(client, path, name, mimetype):
    with client.get(path) as response:
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert response.cache_control.public and response.cache_control.max_age == 3600
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.get_data() == (STATIC / name).read_bytes()


@pytest.mark.parametrize("path", [
    "/comments/embed/form-stamp.js", "/comments/embed/..%2Fviews.py", "/comments/embed/%2e%2e", "/comments/embed/",
    "/comments/embed/embed.js.map", "/comments/embed/" + "a" * 5000,
])
def test_only_the_embed_files_are_served_there(client, path):
    assert client.get(path).status_code == 404
