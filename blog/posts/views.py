"""Public pages of the blog: the list of posts and each post."""

from flask import Blueprint, abort, current_app, render_template, request

from blog.commenting import comment_counts, published_post_and_thread, render_post, target_for
from blog.comments import serve_target_page
from blog.extensions import db
from blog.posts.models import published_posts

bp = Blueprint("posts", __name__)

# Far past any real blog, and small enough that its SQL OFFSET never overflows a 64-bit integer.
MAX_PAGE = 1_000_000


@bp.get("/")
def index():
    """Published posts, newest first, a page at a time."""
    page = min(request.args.get("page", 1, type=int), MAX_PAGE)
    pagination = db.paginate(published_posts(), page=page, per_page=current_app.config["BLOG_POSTS_PER_PAGE"])
    counts = comment_counts(pagination.items)
    return render_template("posts/index.html", pagination=pagination, comment_counts=counts)


@bp.get("/<slug>/")
def detail(slug):
    """One published post, its comments and the "Leave a Reply" form: rendered once per worker and
    version of the post (its ``updated_at``) and of its thread, then filled in for each reader."""
    found = published_post_and_thread(slug)
    if found is None:
        abort(404)
    post, thread = found
    target = target_for(post)
    return serve_target_page(target, post.updated_at, lambda: render_post(post, target), thread)
