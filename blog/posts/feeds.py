"""The Atom feed of published posts at /feed/."""

from flask import Blueprint, current_app, url_for

from blog.comments import FEED_LENGTH, atom_response, cacheable
from blog.extensions import db
from blog.posts.models import published_posts
from blog.urls import absolute_url

bp = Blueprint("feeds", __name__)


@bp.get("/feed/")
def posts_feed():
    """The newest published posts, as Atom: the same for every reader, so any cache may keep it."""
    posts = db.session.scalars(published_posts().limit(FEED_LENGTH)).all()
    entries = [
        {"title": post.title, "link": absolute_url("posts.detail", slug=post.slug),
         "published": post.published_at, "updated": max(post.updated_at, post.published_at),
         "author": post.author, "html": post.body_html}
        for post in posts
    ]
    return cacheable(atom_response(current_app.config["BLOG_TITLE"], url_for("posts.index"),
                                   url_for("feeds.posts_feed"), entries))
