"""Plain functions that put rows in the real database for a test."""

from datetime import timedelta

from blog import create_app
from blog.auth.models import Admin
from blog.comments.models import Comment, CommentStatus
from blog.comments.thread_cache import touch_thread
from blog.extensions import db, utcnow
from blog.posts.models import Post, PostStatus
from blog.sanitize import clean_comment


def make_app(tmp_path, **settings):
    """An app with its own instance folder and SQLite file under ``tmp_path``."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test secret key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite3'}",
        # A test posts many comments at once from one address, as soon as it has the form:
        # the flood limit and the too-fast trap are switched on by the tests about them.
        "COMMENTS_FLOOD_SECONDS": 0,
        "COMMENTS_MIN_FILL_SECONDS": 0,
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


def make_comment(target_key: str, **overrides) -> Comment:
    """An approved comment on ``target_key``, committed, sanitized as the form would; overridable."""
    fields = {"author": "Reader", "email": "reader@example.org", "body_raw": "A comment.",
              "status": CommentStatus.APPROVED, "created_at": utcnow(), "ip": "192.0.2.1"}
    fields.update(overrides)
    parent = fields.pop("parent", None)
    html = clean_comment(fields["body_raw"], fields.get("body_markup", "html"))
    comment = Comment(target_key=target_key, body_html=html, **fields)
    if parent is not None:
        comment.parent_id, comment.root_id, comment.depth = parent.id, parent.root_id or parent.id, parent.depth + 1
    if comment.status is CommentStatus.APPROVED:
        comment.approved_at = comment.created_at
    db.session.add(comment)
    touch_thread(target_key)  # as every writer of comments must, for the rendered-thread cache
    db.session.commit()
    return comment


def make_admin(username="boss", password="correct horse battery staple") -> Admin:
    """An admin account, committed."""
    admin = Admin(username=username)
    admin.set_password(password)
    db.session.add(admin)
    db.session.commit()
    return admin
