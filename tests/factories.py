"""Plain functions that put rows in the real database for a test."""

from datetime import timedelta

from blog import create_app
from blog.extensions import db, utcnow
from blog.posts.models import Post, PostStatus


def make_app(tmp_path, **settings):
    """An app with its own instance folder and SQLite file under ``tmp_path``."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test secret key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite3'}",
    }
    config.update(settings)
    return create_app(config, instance_path=str(tmp_path / "instance"))


def make_post(**overrides) -> Post:
    """A published post, committed; any column can be overridden."""
    fields = {"slug": "a-post", "title": "A post", "status": PostStatus.PUBLISHED}
    source = overrides.pop("source", "A first paragraph.\n\nA second one.")
    fields.update(overrides)
    post = Post(**fields)
    post.set_body(source)
    if post.status is PostStatus.PUBLISHED and post.published_at is None:
        post.published_at = utcnow() - timedelta(days=1)
    db.session.add(post)
    db.session.commit()
    return post
