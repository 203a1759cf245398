"""The plugin's public blueprint: posting a comment (DESIGN.md section 5) and the comment feeds."""

import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from blog.comments.avatars import identicon, is_avatar_digest
from blog.comments.cookies import (
    forget_author,
    forget_held_comment,
    forget_own_comment,
    own_edit_tokens,
    remember_author,
    remember_held_comment,
    remember_own_comment,
    remember_posting,
)
from blog.comments.feeds import FEED_LENGTH, comments_feed
from blog.comments.forgery import is_cross_site
from blog.comments.forms import CommentForm, ModerationLinkForm, OwnCommentForm, OwnEditForm
from blog.comments.guard import Refusal
from blog.comments.models import CommentStatus, comment_page, newest_approved
from blog.comments.moderation import apply_action
from blog.comments.moderation_links import LinkRefused, check_link
from blog.comments.notice_addresses import comment_to_confirm, confirm_subscription
from blog.comments.notifications import target_of
from blog.comments.own_edits import apply_own_edit, delete_own, edit_token, edit_until, own_comment, window_seconds
from blog.comments.page_cache import cacheable, serve_thread_feed
from blog.comments.reply_notices import comment_to_unsubscribe, stop_address_notices, stop_notices
from blog.comments.section import page_url
from blog.comments.signals import commit_and_send
from blog.comments.submission import is_open, post_comment
from blog.comments.timing import issue_form_stamp
from blog.comments.translation import gettext as _
from blog.extensions import URL_ID, begin_reading, db

bp = Blueprint("comments", __name__, template_folder="templates", static_folder="static",
               static_url_path="/comments/static")
# The links of the plugin's mail (reply notices' confirm and unsubscribe, moderators' one-click moderation),
# on a blueprint of their own: mail clients POST to unsubscribe (RFC 8058 one-click) with no cookie and no
# CSRF token, and a moderation link works without a session, so the host exempts this blueprint from its
# CSRF protection (``csrf.exempt(notices_bp)``); the signed token each link carries, which only the mail's
# reader has, is the proof instead.
notices_bp = Blueprint("comments_notices", __name__)
# What a page of another site loads: the embed script, then its stylesheets and reply.js. Other sites
# paste the script's URL as it is, so these carry no fingerprint (unlike our own pages' static URLs,
# kept a year): browsers and caches keep them this long, then ask again.
EMBED_FILES = {"embed.js", "comments.css", "embed.css", "reply.js"}
EMBED_MAX_AGE = 3600


@bp.post("/<locator>/comments")
def submit(locator):
    """Take a reader's comment: 303 back to the page, or the page again with the errors (400), or with
    why a valid comment was not taken (409 duplicate, 429 too soon, 403 rejected), the reader's text kept."""
    comments = current_app.extensions["comments"]
    begin_reading()  # checking the form only reads: only the writing below takes the write lock
    target = comments.load_target(locator)
    if target is None or not target.is_published:
        abort(404)
    if not is_open(target):
        abort(403, _("Comments are closed."))
    form = CommentForm(target_key=target.key)
    if not form.validate_on_submit():
        return comments.render_page(target, form, 400)

    outcome = post_comment(target, form, ip=request.remote_addr, user_agent=request.user_agent.string,
                           is_moderator=comments.current_moderator() is not None)
    if outcome.refusal is not None:
        form.parent_comment, form.refusal = outcome.parent, outcome.refusal.message
        if outcome.refusal.renews_stamp:
            form.issued.data = None  # the page again gets a stamp of this moment
        response = make_response(comments.render_page(target, form, outcome.refusal.status))
        if outcome.refusal.retry_after:
            response.headers["Retry-After"] = str(outcome.refusal.retry_after)
        return response
    comment = outcome.comment
    location = page_url(target, outcome.page)
    if comment.is_approved:
        response = redirect(f"{location}#comment-{comment.id}", code=303)
    else:
        response = redirect(location, code=303)
        remember_held_comment(response, comment.id)
    if window_seconds():
        remember_own_comment(response, comment.id, edit_token(comment), window_seconds())
    if form.remember.data:
        remember_author(response, comment.author, form.email.data, comment.url)
    else:
        forget_author(response)
    # The page this reader is sent back to must show their comment: not the copy their browser or a
    # cache in front keeps of the shared page, which predates it.
    remember_posting(response)
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


@bp.route(f"/comments/<{URL_ID}:comment_id>/own-edit", methods=["GET", "POST"])
def own_edit(comment_id):
    """A commenter's own comment, to change within their window (blog.comments.own_edits): its text in a
    form (GET); the change (POST), 303 back to the thread, or the form again with the error (400)."""
    comment, token = _own_comment(comment_id)
    status = 200
    if request.method == "POST":
        form = OwnEditForm()
        _check_own_post(form, token)
        errors = apply_own_edit(comment, form.comment.data or "")
        if not errors:
            commit_and_send()
            return _back_to_thread(comment, _("Your comment was changed."))
        form.comment.errors, status = errors, 400
    else:
        form = OwnEditForm(formdata=None, comment=comment.body_raw)
    form.token.data = token
    return _own_page(render_template("comments/own_edit.html", form=form, comment=comment,
                                     until=edit_until(comment)), status)


@bp.post(f"/comments/<{URL_ID}:comment_id>/own-delete")
def own_delete(comment_id):
    """A commenter's own comment, to the trash within their window; 303 back to the thread."""
    comment, token = _own_comment(comment_id)
    _check_own_post(OwnCommentForm(), token)
    delete_own(comment)
    commit_and_send()
    response = _back_to_thread(comment, _("Your comment was deleted."))
    forget_own_comment(response, comment.id, window_seconds())
    forget_held_comment(response, comment.id)
    return response


def _own_comment(comment_id):
    """The comment this browser's cookie proves its own, and the token; 403 with the reason otherwise."""
    token = own_edit_tokens().get(comment_id)
    found = own_comment(token, comment_id)
    if isinstance(found, Refusal):
        abort(found.status, found.message)
    return found, token


def _check_own_post(form: OwnCommentForm, token: str):
    """403 unless the post comes from this site's page, with the token of the cookie in its form too: a
    page elsewhere can neither send the cookie (SameSite) nor know the token."""
    sent = form.token.data if isinstance(form.token.data, str) else ""
    if is_cross_site() or not hmac.compare_digest(sent.encode(), token.encode()):
        abort(403, _("This comment cannot be changed from here."))


def _back_to_thread(comment, done: str):
    """303 to the comment in its thread (a held comment stays visible to its poster), or, on a host that
    cannot name the thread's page (no targets_resolver), a page that says it is ``done``."""
    target = current_app.extensions["comments"].resolve_targets({comment.target_key}).get(comment.target_key)
    if target is None:
        return _own_page(render_template("comments/own_edit.html", done=done), 200)
    location = page_url(target, comment_page(comment))
    if comment.status is CommentStatus.TRASH:
        return redirect(location, code=303)
    response = redirect(f"{location}#comment-{comment.id}", code=303)
    if not comment.is_approved:
        remember_held_comment(response, comment.id)
    return response


def _own_page(html: str, status: int):
    """A page of a commenter's own: never kept by a browser or a cache."""
    response = make_response(html, status)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/comments/form-stamp")
def form_stamp():
    """A stamp of this moment, for the form of a shared page once the reader starts on it (form-stamp.js):
    the shared page's own stamp names only its window, this one the moment itself."""
    response = current_app.response_class(issue_form_stamp(), mimetype="text/plain")
    response.cache_control.no_store = True
    return response


@bp.get("/comments/avatar/<digest>.svg")
def avatar(digest):
    """A commenter's identicon (blog.comments.avatars), drawn from its name alone: the same image for good,
    so any browser or cache keeps it for a year; a name avatar_digest would not make is not found."""
    if not is_avatar_digest(digest):
        abort(404)
    svg, etag = identicon(digest)
    response = current_app.response_class(svg, content_type="image/svg+xml")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    return response.make_conditional(request)


@bp.get("/comments/embed.js", defaults={"name": "embed.js"})
@bp.get("/comments/embed/<name>")
def embed_file(name):
    """The embed script (the thread on any site, from the JSON API; the form of our own pages taken over)
    at the fixed path of the snippet, and the files it loads."""
    if name not in EMBED_FILES:
        abort(404)
    mimetype = "application/javascript" if name.endswith(".js") else None
    response = send_from_directory(bp.static_folder, name, mimetype=mimetype, max_age=EMBED_MAX_AGE)
    response.cache_control.public = True
    return response


@bp.get("/<locator>/feed/")
def thread_feed(locator):
    """The approved comments of one page, as Atom ("Comments on: …")."""
    target = current_app.extensions["comments"].load_target(locator)
    if target is None or not target.is_published:
        abort(404)

    def render():
        comments = db.session.scalars(newest_approved(target.key).limit(FEED_LENGTH)).all()
        return comments_feed(_("Comments on: %(title)s", title=target.title), target.url,
                             url_for("comments.thread_feed", locator=locator), comments, {target.key: target})

    return serve_thread_feed(target, render)


@bp.get("/comments/feed/")
def site_feed():
    """The newest approved comments of the whole site, as Atom ("Comments for …")."""
    comments = db.session.scalars(newest_approved().limit(FEED_LENGTH)).all()
    targets = current_app.extensions["comments"].resolve_targets({comment.target_key for comment in comments})
    title = _("Comments for %(site)s", site=current_app.config["COMMENTS_SITE_TITLE"])
    return cacheable(comments_feed(title, "/", url_for("comments.site_feed"), comments, targets))


@notices_bp.route("/comments/notices/confirm/<token>", methods=["GET", "POST"])
def confirm_notices(token):
    """The link of a confirmation mail: GET asks with a button, POST confirms that replies to the comment
    it names may be mailed (again is fine). A GET never does it: mail scanners follow every link of a
    mail, so a link alone would give consent in the name of whoever's mailbox a stranger named."""
    comment = comment_to_confirm(token)
    if comment is None or not comment.wants_reply_notice:
        abort(400, _("This confirmation link is not valid or has expired."))
    if request.method == "POST":
        confirm_subscription(comment)
        db.session.commit()
    return render_template("comments/notices/confirm.html", is_done=request.method == "POST")


@notices_bp.route("/comments/notices/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """Stop the reply notices of one comment: GET asks, with this button and one for every comment from
    its address (a link checker must not unsubscribe anyone); POST does it, from that button or from a
    mail client's one-click request."""
    comment = _comment_to_unsubscribe(token)
    if request.method == "POST":
        stop_notices(comment)
        db.session.commit()
    return render_template("comments/notices/unsubscribe.html", token=token, is_done=request.method == "POST")


@notices_bp.post("/comments/notices/unsubscribe/<token>/all")
def unsubscribe_address(token):
    """The page's other button: stop the reply notices of every comment from the address of the comment
    the link names (the link itself never names the address)."""
    stop_address_notices(_comment_to_unsubscribe(token))
    db.session.commit()
    return render_template("comments/notices/unsubscribe.html", is_done=True, is_whole_address=True)


def _comment_to_unsubscribe(token):
    """The comment an unsubscribe link names; 400 when the link is forged or its comment gone."""
    comment = comment_to_unsubscribe(token)
    if comment is None:
        abort(400, _("This unsubscribe link is not valid."))
    return comment


@notices_bp.get("/comments/moderate/<token>")
def moderation_link(token):
    """A one-click link of the mail about a held comment: the comment and a button that does what the
    link names (a GET never does it: mail scanners follow every link of a mail)."""
    begin_reading()
    link, comment = check_link(token)
    return _moderation_link_page(link=link, comment=comment, target=target_of(comment),
                                 form=ModerationLinkForm(token=token))


@notices_bp.post("/comments/moderate")
def moderate_by_link():
    """That button: the action, as the link's moderator, once (blog.comments.moderation_links)."""
    form = ModerationLinkForm()
    if not form.validate_on_submit():
        raise LinkRefused(400, _("This moderation link is not valid or has expired."))
    link, comment = check_link(form.token.data, for_update=True)
    apply_action(link.action, comment, link.moderator)
    commit_and_send()
    return _moderation_link_page(link=link, comment=comment, is_done=True)


@notices_bp.errorhandler(LinkRefused)
def refuse_link(refusal):
    """Why a moderation link does nothing, on its own page, with the way to the queue."""
    return _moderation_link_page(refusal=refusal.message), refusal.status


def _moderation_link_page(**context):
    """The page of a moderation link; never stored, since it shows a commenter's text to its moderator."""
    response = make_response(render_template("comments/admin/mail_link.html", **context))
    response.cache_control.no_store = True
    return response
