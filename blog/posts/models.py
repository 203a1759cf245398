"""The blog's posts."""

from datetime import datetime
from enum import StrEnum

from flask import current_app
from sqlalchemy import Enum, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from blog.extensions import LongText, db, utcnow
from blog.posts.markup import render_markdown, summarize


class PostStatus(StrEnum):
    """Whether readers can see a post."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Post(db.Model):
    """An article: Markdown source and the sanitized HTML rendered from it."""

    __table_args__ = (Index("ix_post_status_published_at", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body_source: Mapped[str] = mapped_column(LongText)
    body_html: Mapped[str] = mapped_column(LongText)
    summary: Mapped[str] = mapped_column(String(300), default="")
    # The article's own language, which may differ from the reader's interface language.
    language: Mapped[str] = mapped_column(String(10), default="en")
    status: Mapped[PostStatus] = mapped_column(
        Enum(PostStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=PostStatus.DRAFT,
    )
    comments_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    @property
    def author(self) -> str:
        """Who wrote it: the site's author (BLOG_AUTHOR, else BLOG_TITLE); a post of this one-author blog names none."""
        return current_app.config["BLOG_AUTHOR"] or current_app.config["BLOG_TITLE"]

    @property
    def is_published(self) -> bool:
        return self.status is PostStatus.PUBLISHED

    def set_body(self, source: str):
        """Store Markdown source with the sanitized HTML and the summary made from it."""
        self.body_source = source
        self.body_html = render_markdown(source)
        self.summary = summarize(self.body_html)

    def publish(self):
        """Make the post public, dated now unless it already carries a date."""
        self.status = PostStatus.PUBLISHED
        if self.published_at is None:
            self.published_at = utcnow()

    def unpublish(self):
        """Take the post off the site; it keeps its date for when it comes back."""
        self.status = PostStatus.DRAFT

    def __repr__(self):
        return f"<Post {self.slug!r}>"


def published_posts():
    """Published posts, newest first."""
    return (
        select(Post)
        .where(Post.status == PostStatus.PUBLISHED)
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def post_with_slug(slug: str):
    """The post at this address, published or not."""
    return select(Post).where(Post.slug == slug)


def all_posts():
    """Every post, drafts included, newest first: the admin's list."""
    return select(Post).order_by(Post.created_at.desc(), Post.id.desc())

