"""Host glue, the one module that knows both the blog and the comments plugin: posts are comment targets."""

from flask import render_template, url_for
from sqlalchemy import select

from blog.auth.access import admin_required, current_admin_name
from blog.comments import Comments, CommentTarget
from blog.comments.models import approved_counts
from blog.extensions import db
from blog.posts.models import Post

comments = Comments()
comments.moderator_required(admin_required)
comments.moderator_loader(current_admin_name)


def target_for(post: Post) -> CommentTarget:
    """A post as the comments plugin sees it; the thread key is the post's id, so a new slug keeps it."""
    return CommentTarget(
        key=thread_key(post),
        locator=post.slug,
        title=post.title,
        url=url_for("posts.detail", slug=post.slug),
        is_open=post.comments_open,
        is_published=post.is_published,
        published_at=post.published_at,
    )


def thread_key(post: Post) -> str:
    return f"post-{post.id}"


def comment_counts(posts) -> dict[int, int]:
    """Approved comments per post id, in one query."""
    keys = {thread_key(post): post.id for post in posts}
    if not keys:
        return {}
    return {keys[key]: count for key, count in db.session.execute(approved_counts(keys))}


@comments.target_loader
def load_target(slug: str) -> CommentTarget | None:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    return target_for(post) if post is not None else None


@comments.page_renderer
def render_post_page(target: CommentTarget, form, status: int):
    post = db.session.scalar(select(Post).where(Post.slug == target.locator))
    return render_template("posts/detail.html", post=post, comment_target=target, comment_form=form), status


@comments.targets_resolver
def resolve_targets(keys) -> dict[str, CommentTarget]:
    """Posts for the moderation queue, in one query."""
    ids = [int(key.removeprefix("post-")) for key in keys if key.startswith("post-") and key[5:].isdigit()]
    return {thread_key(post): target_for(post) for post in db.session.scalars(select(Post).where(Post.id.in_(ids)))}
