"""The JSON API (/api/v1/): a page's thread, comment counts for a listing, posting a comment, and its
poster's own edit and delete, for the embed script on our pages and on any origin in COMMENTS_EMBED_ORIGINS
(README, "JSON API").

Its answers are the pages' own: the same statements and pagination (blog.comments.section), the same form
and posting flow (blog.comments.forms, blog.comments.submission), the same edit window
(blog.comments.own_edits), so the same limits, traps, moderation and signals. It reads and sets no cookie:
posting asks for the API's own token instead (blog.comments.api_tokens), an edit or delete for the edit
token the post's answer gave its poster, and a browser lends no authority of its reader's to another
site's page. Schemas of every request and answer are in blog/comments/schemas/.
"""

import json
from datetime import datetime, timezone
from urllib.parse import urljoin

from flask import Blueprint, current_app, request
from flask.globals import request_ctx
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, UnsupportedMediaType
from werkzeug.http import parse_options_header

from blog.comments.api_tokens import issue_api_token
from blog.comments.avatars import avatar_url
from blog.comments.cors import add_cors_headers, is_allowed, is_listed, preflight, request_origin
from blog.comments.embedded_threads import EmbeddedThread, find_thread, new_thread
from blog.comments.forms import FORBIDDEN_CHARACTERS, ApiCommentForm, CommentPreviewForm
from blog.comments.guard import Refusal
from blog.comments.markup import render_comment, site_markup
from blog.comments.models import Comment
from blog.comments.own_edits import apply_own_edit, delete_own, edit_token, edit_until, own_comment, window_seconds
from blog.comments.page_cache import cacheable
from blog.comments.section import (
    ThreadPagination,
    build_thread,
    count_approved,
    page_rows,
    page_url,
    requested_page,
)
from blog.comments.signals import commit_and_send
from blog.comments.submission import is_open, post_comment
from blog.comments.target import CommentTarget
from blog.comments.timing import issue_form_stamp
from blog.comments.translation import gettext as _
from blog.extensions import ID_MAX, begin_reading, db

bp = Blueprint("comments_api", __name__, url_prefix="/api/v1")

URI_MAX = 200
# The most URIs one GET /api/v1/counts may ask about.
COUNTS_MAX = 100
# The JSON fields of a posted comment that are text, and the form field each fills.
TEXT_FIELDS = {"author": "author", "email": "email", "url": "url", "comment": "comment", "homepage": "homepage",
               "issued": "issued", "token": "csrf_token"}
# Where a form field's errors are answered: the token's stand for the whole form.
ERROR_KEYS = {"csrf_token": "form", "token": "form"}
TOKEN_HEADER = "X-Comments-Token"
# The header an edit or delete carries its comment's edit token in (the post's answer gave it).
EDIT_TOKEN_HEADER = "X-Comments-Edit-Token"


def takes_json(view):
    """Mark a view that reads a JSON body itself: a host's checks of form bodies let its requests by."""
    view.takes_json = True
    return view


def errors(status: int, **messages):
    """The answer ``{"errors": {field: [message, …]}}`` with ``status``; each value a message or a list."""
    fields = {name: [str(text) for text in (value if isinstance(value, list) else [value])]
              for name, value in messages.items()}
    response = current_app.json.response({"errors": fields})
    response.status_code = status
    return response


@bp.before_request
def answer_preflight():
    """A preflight (OPTIONS on any API path): 204 with what may be sent, to an allowed origin; else 403."""
    if request.method != "OPTIONS":
        return None
    if not is_allowed(request_origin()):
        return origin_refused()
    return preflight(current_app.response_class(status=204))


@bp.after_request
def finish(response):
    """CORS headers, nosniff, and no-store for every answer that is not one any cache may share."""
    add_cors_headers(response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if not response.cache_control.public:
        response.cache_control.no_store = True
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Any HTTP error of an API request as JSON, never the host's HTML page; headers (Allow,
    Retry-After) kept."""
    if error.code >= 500:
        db.session.rollback()
    messages = {
        404: _("There is nothing at this address."),
        405: _("This address does not take that method."),
        413: _("The request is larger than this site accepts."),
        415: _("Send the request as JSON (Content-Type: application/json), in UTF-8."),
    }
    message = messages.get(error.code) or (
        error.description if error.description != type(error).description else error.name)
    response = errors(error.code, **{"body" if error.code in (413, 415) else "request": message})
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def origin_refused():
    return errors(403, origin=_("Pages of this origin may not use this site's comments."))


@bp.get("/token")
def token():
    """A token for the request's origin and a form stamp of now: what a post sends back."""
    origin = request_origin()
    if not is_allowed(origin):
        return origin_refused()
    return {"token": issue_api_token(origin), "issued": issue_form_stamp(),
            "expires_in": current_app.config["COMMENTS_FORM_MAX_AGE"]}


@bp.get("/threads/comments")
def thread():
    """One page of a page's thread, as the page shows it: top-level comments oldest first, each with
    its approved replies nested. Any cache may keep it (ETag, 304)."""
    uri = request.args.get("uri", "")
    if not is_page_uri(uri):
        return uri_refused()
    begin_reading()
    target, _new = requested_thread(uri, request_origin())
    page = requested_page("page")
    if target is None:
        if page > 1:
            return page_refused()
        return cacheable(current_app.json.response(
            {"uri": uri, "title": uri, "open": False, "total": 0, "page": 1, "pages": 1, "comments": []}))
    pagination = ThreadPagination(page=page, per_page=current_app.config["COMMENTS_PER_PAGE"], max_per_page=None,
                                  error_out=False, target_key=target.key)
    pages = max(pagination.pages, 1)
    if page > pages:
        return page_refused()
    return cacheable(current_app.json.response({
        "uri": uri, "title": target.title, "open": is_open(target), "total": count_approved(target.key),
        "page": page, "pages": pages, "comments": [comment_json(node.row, node.children)
                                                   for node in build_thread(page_rows(pagination))],
    }))


@bp.get("/counts")
def counts():
    """How many comments each page shows, for a listing of pages: one count query for all of them."""
    uris = request.args.getlist("uri")
    if not uris or not all(is_page_uri(uri) for uri in uris):
        return uri_refused()
    if len(uris) > COUNTS_MAX:
        return errors(400, uri=_("Ask for at most %(count)s pages at once.", count=COUNTS_MAX))
    begin_reading()
    origin = request_origin()
    keys = {}
    for uri in dict.fromkeys(uris):
        target, _new = requested_thread(uri, origin)
        keys[uri] = target.key if target is not None else None
    shown = current_app.extensions["comments"].approved_counts({key for key in keys.values() if key})
    return cacheable(current_app.json.response({"counts": {uri: shown.get(key, 0) for uri, key in keys.items()}}))


@bp.post("/threads/comments")
@takes_json
def submit():
    """Take a comment as the form does: 201 approved, 202 held (a bot's spam too, so it learns nothing),
    400 with each field's errors, or why a valid comment was not taken, with the form's status."""
    origin = request_origin()
    if not is_allowed(origin):
        return origin_refused()
    uri = request.args.get("uri", "")
    if not is_page_uri(uri):
        return uri_refused()
    formdata, refusal = posted_fields()
    if refusal is not None:
        return refusal

    begin_reading()  # checking the form only reads: only post_comment's writing takes the write lock
    target, thread_to_create = requested_thread(uri, origin)
    if target is None:
        return errors(404, form=_("This page has no comments."))
    if not is_open(target):
        return errors(403, form=_("Comments are closed."))
    form = ApiCommentForm(formdata=formdata, target_key=target.key)
    if not form.validate():
        return errors(400, **{ERROR_KEYS.get(name, name): messages for name, messages in form.errors.items()})

    outcome = post_comment(target, form, ip=request.remote_addr, user_agent=request.user_agent.string,
                           new_thread=thread_to_create)
    if outcome.refusal is not None:
        response = errors(outcome.refusal.status, form=outcome.refusal.message)
        if outcome.refusal.retry_after:
            response.headers["Retry-After"] = str(outcome.refusal.retry_after)
        return response
    comment = outcome.comment
    # Every comment taken gets its edit token, a bot's spam too (which no token lets anyone change): an
    # answer without one would tell the bot what became of its comment.
    response = current_app.json.response({**comment_answer(comment), **own_edit_json(comment)})
    if comment.is_approved:
        response.status_code = 201
        response.headers["Location"] = urljoin(request.host_url, page_url(target, outcome.page)) + \
            f"#comment-{comment.id}"
    else:
        response.status_code = 202
    return response


@bp.post("/preview")
@takes_json
def preview():
    """A comment's text as it would be shown, for the form's live preview (embed.js): ``{"html": …}``,
    rendered and sanitized as the text would be stored, in the time a post may take (blog.comments.markup);
    400 with the text's errors. It stores nothing, yet asks for the API's token, as a post does, so no
    page but ours and the listed origins' may use it, and no text longer than the form takes."""
    origin = request_origin()
    if not is_allowed(origin):
        return origin_refused()
    formdata, refusal = posted_fields()
    if refusal is not None:
        return refusal
    form = CommentPreviewForm(formdata=MultiDict({"comment": formdata.get("comment", ""),
                                                  "token": formdata.get("csrf_token", "")}))
    if not form.validate():
        return errors(400, **{ERROR_KEYS.get(name, name): messages for name, messages in form.errors.items()})
    return {"html": render_comment(form.comment.data, site_markup())}


@bp.put("/comments/<int:comment_id>")
@takes_json
def edit(comment_id):
    """A commenter's change to their own comment within its window, proven by its edit token: 200 with the
    comment as it now is, "held" when the change sent it back to moderation; 403 without the proof or
    after the window; 400 with the text's errors, nothing changed."""
    origin_refusal = edit_origin_refused()
    if origin_refusal is not None:
        return origin_refusal
    body = json_body()
    if body is None:
        return errors(400, body=_("The request body must be a JSON object, in UTF-8."))
    text = body.get("comment")
    if text is not None and not isinstance(text, str):
        return errors(400, comment=_("This field must be text."))
    comment = proven_comment(comment_id)
    if isinstance(comment, Refusal):
        return errors(comment.status, form=comment.message)
    text_errors = apply_own_edit(comment, text or "")  # none, or null, is an empty text
    if text_errors:
        return errors(400, comment=text_errors)
    commit_and_send()
    return comment_answer(comment)


@bp.delete("/comments/<int:comment_id>")
@takes_json
def delete(comment_id):
    """A commenter's own comment, to the trash within its window, proven by its edit token: 204; 403
    without the proof or after the window."""
    origin_refusal = edit_origin_refused()
    if origin_refusal is not None:
        return origin_refusal
    comment = proven_comment(comment_id)
    if isinstance(comment, Refusal):
        return errors(comment.status, form=comment.message)
    delete_own(comment)
    commit_and_send()
    return current_app.response_class(status=204)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@takes_json
def unknown(rest):
    """Any other path under /api/v1/: 405 (with Allow) where another method is taken, else 404."""
    adapter = request_ctx.url_adapter
    allowed = set()
    for method in ("GET", "POST", "PUT", "DELETE"):
        try:
            endpoint, _values = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.add(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed | {"OPTIONS"}))
    raise NotFound()


def is_page_uri(uri: str) -> bool:
    """A page's path: a single / first, at most URI_MAX characters, no space or control character."""
    return (0 < len(uri) <= URI_MAX and uri.startswith("/") and not uri.startswith(("//", "/\\"))
            and not FORBIDDEN_CHARACTERS.search(uri) and not any(character.isspace() for character in uri))


def uri_refused():
    return errors(400, uri=_("Give the page's path: it starts with a single /, holds no spaces and is at most "
                             "%(count)s characters long.", count=URI_MAX))


def page_refused():
    return errors(404, page=_("There is no such page of comments."))


def requested_thread(uri: str, origin: str | None) -> tuple[CommentTarget | None, EmbeddedThread | None]:
    """The thread of ``uri`` as seen from ``origin``, and the thread of the plugin's own it is to become
    with its first comment (None if it is one already, or the host's). The host's page first (None if
    not published); else, for a listed origin, its thread of the plugin's own, or a new one when
    COMMENTS_EMBED_AUTO_THREADS is on; else None."""
    target = current_app.extensions["comments"].resolve_uri(uri)
    if target is not None:
        return (target if target.is_published else None), None
    if not is_listed(origin):
        return None, None
    embedded = find_thread(origin, uri)
    if embedded is not None:
        return embedded.target, None
    if current_app.config["COMMENTS_EMBED_AUTO_THREADS"]:
        embedded = new_thread(origin, uri)
        return embedded.target, embedded
    return None, None


def json_body() -> dict | None:
    """The request's JSON object (415 unless it is sent as JSON in UTF-8, 413 past MAX_CONTENT_LENGTH);
    None when the body is no JSON object, not UTF-8, holds a lone surrogate or nests too deep to read."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    if (mimetype != "application/json" or options.get("charset", "utf-8").lower() != "utf-8"
            or request.headers.get("Content-Encoding", "identity").lower() != "identity"):
        raise UnsupportedMediaType()
    try:
        body = json.loads(request.get_data(cache=False).decode("utf-8"))
        # A "\ud800" escape reads as a lone surrogate, which no text holds: encoding finds one.
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        return None
    return body if isinstance(body, dict) else None


def posted_fields():
    """The form's fields from the posted JSON object and None, or None and the 400 that says why there are none."""
    body = json_body()
    if body is None:
        return None, errors(400, body=_("The request body must be a JSON object, in UTF-8."))
    formdata, type_errors = form_data(body)
    return (None, errors(400, **type_errors)) if type_errors else (formdata, None)


def form_data(body: dict) -> tuple[MultiDict, dict]:
    """The form's fields from a posted JSON object, and an error for each field of the wrong JSON type
    (a missing field, or null, is left for the form to judge)."""
    formdata, type_errors = MultiDict(), {}
    if body.get("token") is None and TOKEN_HEADER in request.headers:
        body = {**body, "token": request.headers[TOKEN_HEADER]}
    for name, field in TEXT_FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            formdata[field] = value
        else:
            type_errors[name] = _("This field must be text.")
    parent = body.get("parent")
    if parent is not None:
        if isinstance(parent, int) and not isinstance(parent, bool):
            formdata["parent"] = str(parent)
        else:
            type_errors["parent"] = _("This field must be a whole number.")
    notify = body.get("notify")
    if notify is not None:
        if isinstance(notify, bool):
            if notify:
                formdata["notify"] = "y"
        else:
            type_errors["notify"] = _("This field must be true or false.")
    return formdata, type_errors


def edit_origin_refused():
    """403 for an edit or delete from an origin that may not use the API, else None. The edit token
    alone proves the comment the bearer's; the origin check keeps a token that leaked (a page's script,
    an extension, a log) from being used by a page of any origin a browser shows."""
    return None if is_allowed(request_origin()) else origin_refused()


def proven_comment(comment_id: int) -> Comment | Refusal:
    """The comment the request's edit token proves its bearer's, within its window; else why not (404 for
    a number no row has)."""
    # Checked here, not by the rule (URL_ID): Werkzeug answers a converter's refusal while routing, before
    # any blueprint's error handler, so with the host's HTML page instead of the API's JSON.
    if not 0 < comment_id <= ID_MAX:
        raise NotFound()
    return own_comment(request.headers.get(EDIT_TOKEN_HEADER), comment_id)


def comment_answer(comment: Comment) -> dict:
    """What became of a comment its poster sent: approved, or held (the notice with it) for anything else,
    spam and trash too, so a bot learns nothing."""
    if comment.is_approved:
        return {"status": "approved", "comment": comment_json(comment)}
    return {"status": "held", "message": _("Your comment is awaiting moderation."), "comment": comment_json(comment)}


def own_edit_json(comment: Comment) -> dict:
    """The edit token of a comment just taken and the end of its window, for its poster alone; nothing
    while COMMENTS_EDIT_WINDOW_SECONDS is 0."""
    if not window_seconds():
        return {}
    return {"edit_token": edit_token(comment), "edit_until": utc_stamp(edit_until(comment))}


def utc_stamp(moment: datetime) -> str:
    """A moment as the API writes it: ISO 8601 in UTC to the second, "2026-12-03T17:00:00Z"."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def comment_json(comment, replies=()) -> dict:
    """A comment (a row of the page's or a Comment) as the API shows it: never its email (its avatar is
    named by a keyed hash no one can test a guess against), IP, browser, status reason or raw text."""
    return {
        "id": comment.id,
        "parent": comment.parent_id,
        "author": comment.author,
        "url": comment.url or None,
        "html": comment.body_html,
        "created": utc_stamp(comment.created_at),
        "depth": comment.depth,
        "avatar": avatar_url(comment.email, external=True),
        "replies": [comment_json(node.row, node.children) for node in replies],
    }
