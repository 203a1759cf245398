"""The admin's pages: the dashboard at /admin/ and writing posts at /admin/posts."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from blog.admin.forms import PostForm
from blog.auth.access import admin_required
from blog.commenting import comments
from blog.comments import CommentStatus
from blog.extensions import URL_ID, db
from blog.posts.markup import render_markdown
from blog.posts.models import Post, all_posts
from blog.posts.slugs import slugify, unique_slug
from blog.security import never_store

bp = Blueprint("admin", __name__, url_prefix="/admin")

NEWEST_PENDING = 5


@bp.before_request
def guard():
    """Every page here is for signed-in admins only."""
    return admin_required(lambda: None)()


bp.after_request(never_store)


@bp.get("/")
def dashboard():
    """Counts per comment status and the newest comments waiting for approval."""
    counts = {status.value: count for status, count in comments.status_counts().items()}
    pending = comments.newest(CommentStatus.PENDING, NEWEST_PENDING)
    targets = comments.resolve_targets({comment.target_key for comment in pending})
    return render_template("admin/dashboard.html", counts=counts, pending=pending, targets=targets)


@bp.get("/posts")
def posts():
    """Every post, drafts included."""
    return render_template("admin/posts.html", posts=db.session.scalars(all_posts()).all())


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    """Write a post; Preview shows it rendered without saving."""
    return _write(Post(comments_open=True), PostForm())


@bp.route(f"/posts/<{URL_ID}:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id):
    """Change a post, publish or unpublish it, open or close its comments."""
    post = db.get_or_404(Post, post_id)
    form = PostForm(obj=post, post_id=post.id, body=post.body_source, is_published=post.is_published)
    return _write(post, form)


def _write(post: Post, form: PostForm):
    """The one flow behind writing and editing: validate, preview or save."""
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin/post_form.html", form=form, post=post), status
    if form.preview.data:
        return render_template("admin/post_form.html", form=form, post=post, preview=render_markdown(form.body.data))
    post.title = form.title.data
    post.slug = form.slug.data or (post.slug if post.id else unique_slug(slugify(form.title.data)))
    post.set_body(form.body.data)
    post.comments_open = form.comments_open.data
    if form.is_published.data:
        post.publish()
    else:
        post.unpublish()
    db.session.add(post)
    db.session.commit()
    flash(_saved_message(post), "admin.done")
    return redirect(url_for("admin.edit_post", post_id=post.id), code=303)


def _saved_message(post: Post) -> str:
    """What saving says: a published post's message links to it (Markup, kept so by the signed session), a
    draft's says it is not public."""
    if not post.is_published:
        return _("Draft saved: it is not public until you publish it.")
    return Markup('{} <a href="{}">{}</a>').format(_("Post saved."), url_for("posts.detail", slug=post.slug),
                                                   _("View post"))
