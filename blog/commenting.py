"""Host glue, the one module that knows both the blog and the comments plugin: posts are comment targets."""

import re
from urllib.parse import unquote

from flask import current_app, render_template, url_for
from sqlalchemy import String, bindparam, cast, literal, select

from blog.auth.access import admin_required, current_admin_name
from blog.auth.models import admin_named
from blog.comments import Comments, CommentTarget, VersionedCache, thread_version_column
from blog.database import data_version
from blog.extensions import db
from blog.i18n import with_language
from blog.posts.models import Post, PostStatus

comments = Comments()
comments.moderator_required(admin_required)
comments.moderator_loader(current_admin_name)


@comments.moderator_generation_loader
def admin_generation(username: str) -> str | None:
    """An admin's session id (their id and session generation) and when the account was made, so that
    signing out everywhere, a new password or a deleted account (even one made again under the name, which
    SQLite may give the same id) voids the one-click links mailed to them; None for no such admin."""
    admin = db.session.scalar(admin_named(username))
    return f"{admin.get_id()}-{admin.created_at.isoformat()}" if admin is not None else None


def target_for(post: Post) -> CommentTarget:
    """A post (or a row of _TARGET_AT's columns) as the comments plugin sees it; the thread key is the
    post's id, so a new slug keeps it."""
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


# thread_key, in SQL; and what a post's page needs to know before it is served, in one small query: the
# published post's id and ``updated_at`` (whether the post this worker keeps is still the post) and its
# thread's version.
_THREAD_KEY = literal("post-", String) + cast(Post.id, String)
_POST_PAGE = select(Post.id, Post.updated_at, thread_version_column(_THREAD_KEY)).where(
    Post.slug == bindparam("slug"), Post.status == PostStatus.PUBLISHED)


# Characters of posts a worker keeps for published_post_and_thread; and of slugs whose answer it keeps.
KEPT_POSTS_CAPACITY = 4_000_000
KEPT_ANSWERS_CAPACITY = 1_000_000


def published_post_and_thread(slug: str) -> tuple[Post, int] | None:
    """The published post at ``slug`` and its thread's version (read before its page is rendered),
    or None. Each worker keeps the posts it loaded, good while their ``updated_at`` stays, so a post
    is loaded again only when it changed, not after every comment; and on SQLite it keeps the whole
    answer while nothing at all has been committed since (blog.database.data_version), so a burst of
    readers costs no query and no transaction."""
    version = data_version()
    if version is not None and (kept := _kept_answers().get(slug, version)) is not None:
        return kept
    found = db.session.connection().execute(_POST_PAGE, {"slug": slug}).first()
    if found is None:
        return None
    post_id, updated_at, thread = found
    post = _kept_posts().get(slug, (post_id, updated_at))
    if post is None:
        post = db.session.get(Post, post_id)
        db.session.expunge(post)  # read-only from here on, and shared by the requests to come
        _kept_posts().put(slug, (post_id, updated_at), post, size=len(post.body_html) + len(post.body_source))
    if version is not None:
        _kept_answers().put(slug, version, (post, thread), size=len(slug))
    return post, thread


def _kept_answers() -> VersionedCache:
    return current_app.extensions["blog.kept_answers"]


def _kept_posts() -> VersionedCache:
    return current_app.extensions["blog.kept_posts"]


def init_app(app):
    """Comments under the posts: the plugin, and the posts each worker keeps for their pages."""
    comments.init_app(app)
    app.extensions["blog.kept_posts"] = VersionedCache(KEPT_POSTS_CAPACITY)
    app.extensions["blog.kept_answers"] = VersionedCache(KEPT_ANSWERS_CAPACITY)


def comment_counts(posts) -> dict[int, int]:
    """Approved comments per post id, in one query."""
    keys = {thread_key(post): post.id for post in posts}
    if not keys:
        return {}
    return {keys[key]: count for key, count in comments.approved_counts(keys).items()}


_POST_AT = select(Post).where(Post.slug == bindparam("slug"))
# What target_for reads of a post, for every comment POST: run on the session's connection, a row of
# these costs a fraction of the ORM's load of a whole Post (its body and HTML among it).
_TARGET_AT = select(Post.id, Post.slug, Post.title, Post.comments_open, Post.published_at,
                    (Post.status == PostStatus.PUBLISHED).label("is_published")).where(Post.slug == bindparam("slug"))


@comments.target_loader
def load_target(slug: str) -> CommentTarget | None:
    post = db.session.connection().execute(_TARGET_AT, {"slug": slug}).first()
    return target_for(post) if post is not None else None


# A post's page as the JSON API names it: "/<slug>/".
_POST_PATH = re.compile(r"/([^/]+)/")


@comments.uri_resolver
def resolve_uri(uri: str) -> CommentTarget | None:
    """The post whose page is at ``uri`` (exactly its URL, in any language: a page with ``?lang=`` gives
    embed.js its own address), for the JSON API and the embed."""
    uri = with_language(uri, None) if "?" in uri else uri
    match = _POST_PATH.fullmatch(uri)
    target = load_target(unquote(match[1])) if match else None
    return target if target is not None and target.url == uri else None


def render_post(post: Post, target: CommentTarget, form=None) -> str:
    """A post's page: the post with its byline (and the count it links to), its comments and the form."""
    return render_template("posts/detail.html", post=post, comment_target=target, comment_form=form,
                           comment_count=comment_counts([post]).get(post.id, 0))


@comments.page_renderer
def render_post_page(target: CommentTarget, form, status: int):
    return render_post(db.session.scalar(_POST_AT, {"slug": target.locator}), target, form), status


@comments.targets_resolver
def resolve_targets(keys) -> dict[str, CommentTarget]:
    """Posts for the moderation queue, in one query."""
    ids = [int(key.removeprefix("post-")) for key in keys if key.startswith("post-") and key[5:].isdigit()]
    return {thread_key(post): target_for(post) for post in db.session.scalars(select(Post).where(Post.id.in_(ids)))}
