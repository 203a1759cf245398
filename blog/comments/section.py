"""The comments section a host page shows: count, thread, pagination and form, in a few queries."""

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from flask import abort, current_app, g, render_template, request
from flask_babel import get_locale
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import Row, bindparam

from blog.comments.comment_cache import CommentRenderer, row_text_size
from blog.comments.cookies import has_own_cookies, held_comment_ids, notice_comment_id, remembered_author
from blog.comments.counts import counts_of
from blog.comments.forgery import form_token, has_session
from blog.comments.forms import CommentForm, parse_id
from blog.comments.models import (
    Comment,
    CommentStatus,
    approved_comment,
    approved_replies,
    top_level_comments,
    visible_held_comments,
)
from blog.comments.own_edits import own_comments_on
from blog.comments.submission import is_open
from blog.comments.target import CommentTarget
from blog.comments.thread_cache import is_current, rendered_threads, rows_version, thread_version
from blog.comments.timing import current_window, issue_form_stamp, issue_window_stamp, read_form_stamp
from blog.extensions import db

# Far past any real thread, and small enough that its SQL OFFSET never overflows a 64-bit integer.
MAX_PAGE = 1_000_000

# The statements of a page's thread, built once: building them costs more than running them, and after
# every new comment each worker runs them again.
_TOP_LEVEL = top_level_comments(bindparam("target_key"))
_TOP_LEVEL_PAGE = _TOP_LEVEL.limit(bindparam("limit")).offset(bindparam("offset"))
_LAST_ON_PAGE = _TOP_LEVEL.with_only_columns(Comment.id).limit(1).offset(bindparam("offset"))
_REPLIES = approved_replies(bindparam("root_ids", expanding=True))


@dataclass
class SectionState:
    """What this request's section left for the page cache and the headers (the renderer: render_comments_section)."""

    has_section: bool = False
    """Whether the page shows a section: set by the renderer and serve_target_page, read by mark_personal_responses."""
    is_personal: bool = False
    """Whether it is this browser's own: set by the renderer, read by serve_target_page and mark_personal_responses."""
    is_public: bool = False
    """Whether serve_target_page answered it as the page every reader shares, with headers for any cache."""
    thread_versions: dict = field(default_factory=dict)
    """Target key → (version, whether a rendering may be kept under it, thread_cache.is_current): the
    thread's version a page is rendered to be kept under, set by serve_target_page, so the thread in it is
    looked up and kept under the same one (Redis's copy and the database's may differ for a moment)."""


# Where a request's SectionState is kept, on ``flask.g``.
_STATE = "comments_section_state"


def section_state() -> SectionState:
    """This request's SectionState, created on first use."""
    if _STATE not in g:
        setattr(g, _STATE, SectionState())
    return g.get(_STATE)


@dataclass
class ThreadNode:
    """A comment with the replies shown under it, from the comment's row as the page read it (reading
    rows costs half as much as ORM instances). Its ``comment``, a Comment with the row's values (outside
    the session), is made when first asked for, which a kept rendering never does
    (blog.comments.comment_cache)."""

    row: Row
    children: list["ThreadNode"] = field(default_factory=list)
    awaits_notice_confirmation: bool = False
    """Whether this is the comment the reader has just posted asking for reply notices, not yet confirmed:
    its page, the reader's own, says to check the inbox (never kept, like a held comment)."""

    @cached_property
    def comment(self) -> Comment:
        return Comment(**self.row._mapping)

    @cached_property
    def rendering_version(self) -> tuple | None:
        """What its rendering shows (blog.comments.comment_cache): its row and (nested) its replies', every
        column of them, so a host's template may show any attribute of a comment; None if any of them is
        held or shows the reader's notice. Asked for once the node is built, and kept with it."""
        replies = tuple(child.rendering_version for child in self.children)
        is_kept = not self.is_held and not self.awaits_notice_confirmation and None not in replies
        return (tuple(self.row), replies) if is_kept else None

    @property
    def is_held(self) -> bool:
        return self.row.status is not CommentStatus.APPROVED


def build_thread(rows, notice_id: int | None = None) -> list[ThreadNode]:
    """Nest comments' rows (oldest first) under their parents. A reply whose parent is not shown (held or
    removed) hangs under its thread's top-level comment; one whose thread is not shown is left out.
    ``notice_id`` is the comment the reader has just asked reply notices for (the notice cookie)."""
    nodes = {row.id: ThreadNode(row) for row in rows}
    noticed = nodes.get(notice_id)
    if noticed is not None and noticed.row.wants_reply_notice and noticed.row.notice_confirmed_at is None:
        noticed.awaits_notice_confirmation = True
    roots = []
    for node in nodes.values():
        parent_id, root_id = node.row.parent_id, node.row.root_id
        if parent_id is None:
            roots.append(node)
        elif parent_id in nodes:
            nodes[parent_id].children.append(node)
        elif root_id in nodes:
            nodes[root_id].children.append(node)
    return roots


class ThreadPagination(Pagination):
    """A page of a thread's top-level comments (the thread's key is ``target_key``), as db.paginate
    gives one but from statements built once, and with the comments' rows as its items: those of
    ``kept`` (the page's rows, kept), if given."""

    def _query_items(self) -> list[Row]:
        kept = self._query_args.get("kept")
        if kept is not None:
            return [row for row in kept if row.parent_id is None]
        return db.session.connection().execute(_TOP_LEVEL_PAGE, {
            "target_key": self._query_args["target_key"], "limit": self.per_page, "offset": self._query_offset,
        }).all()

    def _query_count(self) -> int:
        target_key = self._query_args["target_key"]
        return request_counts([target_key])[target_key].top_level


def request_counts(target_keys) -> dict:
    """The threads' counts (blog.comments.counts.counts_of), following from those this worker kept where
    this request read a thread's version before rendering (SectionState.thread_versions)."""
    return counts_of(target_keys, {key: version for key, (version, _) in section_state().thread_versions.items()})


def count_approved(target_key: str) -> int:
    """How many comments the thread shows, over all its pages."""
    return request_counts([target_key])[target_key].shown


def reply_target(target: CommentTarget, form: CommentForm) -> Comment | None:
    """The comment the form answers: the bound form's parent, or ?replytocom= on a plain page."""
    if form.parent_comment is not None:
        return form.parent_comment
    comment_id = parse_id(request.args.get("replytocom"))
    return db.session.scalar(approved_comment(target.key, comment_id)) if comment_id else None


def render_comments_section(target: CommentTarget, form: CommentForm | None = None) -> Markup:
    """The whole section for ``target``; pass the bound form when re-rendering after an error."""
    page, is_target_open = requested_page(), is_open(target)
    held_ids, notice_id = held_comment_ids(), notice_comment_id()
    if held_ids or notice_id:
        thread_html = render_thread(target, page, is_target_open, held_ids, notice_id)
    else:
        key = (target.key, target.url, target.title, page, str(get_locale()), is_target_open)
        given = section_state().thread_versions.get(target.key)
        # read before the comments, so a change in between shows next time
        version = given[0] if given else thread_version(target.key)
        thread_html = rendered_threads().get(key, version)
        if thread_html is None:
            is_keepable = given[1] if given else is_current(target.key, version)
            thread_html = render_thread(target, page, is_target_open, version=version if is_keepable else None)
            if is_keepable:
                rendered_threads().put(key, version, thread_html)

    remembered = remembered_author()
    # What this browser alone may see (its held comments, its own details, the form it sent) must not
    # be kept for others, and neither may the page of a browser with a cookie of ours or a session.
    is_personal = bool(held_ids or remembered or (form is not None and form.is_submitted()) or is_own_request())
    state = section_state()
    state.is_personal, state.has_section = is_personal, True
    if is_personal or form is not None or "replytocom" in request.args:
        return _section(target, thread_html, form, page, is_target_open, remembered, is_personal)
    return _shared_section(target, thread_html, page, is_target_open)


def _section(target: CommentTarget, thread_html: Markup, form: CommentForm | None, page: int, is_target_open: bool,
             remembered: dict, is_personal: bool) -> Markup:
    replying_to = is_window_stamp = None
    if is_target_open:  # a closed thread has no form, so no token and no stamp
        form, replying_to = prepare_form(target, form, remembered, is_personal)
        is_window_stamp = read_form_stamp(form.issued.data).window > 0
    return Markup(render_template(
        "comments/_section.html", target=target, thread_html=thread_html, form=form, replying_to=replying_to,
        page=page, page_url=page_url, is_open=is_target_open, is_window_stamp=is_window_stamp,
        own_comments=own_comments_on(target.key),
    ))


# Where the thread goes in a kept frame of the shared section: no HTML holds a NUL.
_THREAD_SLOT = Markup("\x00thread\x00")


def _shared_section(target: CommentTarget, thread_html: Markup, page: int, is_target_open: bool) -> Markup:
    """The section of the page every reader without a cookie of ours shares: its thread in a frame (the
    form, with the token and stamp of the window) that each worker renders once a window, not again after
    every comment. A section template that shows the thread other than once is rendered every time."""
    key = ("section", target.key, target.url, target.title, page, str(get_locale()), is_target_open)
    window = current_window()
    frame = rendered_threads().get(key, window)
    if frame is None:
        frame = _section(target, _THREAD_SLOT, None, page, is_target_open, {}, False).split(_THREAD_SLOT)
        if len(frame) != 2:
            return _section(target, thread_html, None, page, is_target_open, {}, False)
        rendered_threads().put(key, window, frame, size=len(frame[0]) + len(frame[1]))
    return thread_html.join(frame)


def is_own_request() -> bool:
    """Whether the browser sends a cookie of ours or a session: its page may be its own, never shared."""
    return has_own_cookies() or has_session()


def prepare_form(target: CommentTarget, form: CommentForm | None, remembered: dict, is_personal: bool):
    """The form to show, new (with the remembered details) or the one sent back, with this reader's
    token and, if it has none valid, a fresh stamp: the moment it is served on a page of the reader's
    own, the current window on the shared page (blog.comments.timing). And the comment it answers, if any."""
    if form is None:
        form = CommentForm(formdata=None, target_key=target.key, remember=bool(remembered), **remembered)
    form.csrf_token.data = form_token(target.key)
    if read_form_stamp(form.issued.data) is None:
        form.issued.data = issue_form_stamp() if is_personal else issue_window_stamp(current_window())
    replying_to = reply_target(target, form)
    if replying_to is not None:
        form.parent.data = str(replying_to.id)
    return form, replying_to


def render_thread(target: CommentTarget, page: int, is_target_open: bool, held_ids=(),
                  notice_id: int | None = None, version: int | None = None) -> Markup:
    """The count heading, one page of the thread and its page links (404 past the last page): a few
    queries, whatever its size, and only the comments that changed rendered (blog.comments.comment_cache).
    With ``held_ids``, the reader's own held comments are shown in their places, and with ``notice_id``
    the notice of the comment they asked reply notices for (never cached). With ``version``, the
    thread's version under which what this transaction reads may be kept, a full page's rows are kept
    and read again only when they may have changed (``kept_page_rows``)."""
    per_page = current_app.config["COMMENTS_PER_PAGE"]
    is_keepable = version is not None and not (held_ids or notice_id)
    kept = kept_page_rows(target.key, page, per_page, version) if is_keepable else None
    pagination = ThreadPagination(page=page, per_page=per_page, max_per_page=None, error_out=False,
                                  target_key=target.key, kept=kept[0] if kept else None)
    if pagination.page > max(pagination.pages, 1):
        abort(404)  # a page past the last one, as WordPress answers: not an empty page linking back
    shown, thread = kept if kept is not None else (page_rows(pagination), None)
    if is_keepable and kept is None and len(pagination.items) == per_page:
        thread = build_thread(shown)
        rendered_threads().put(_rows_key(target.key, page, per_page), (rows_version(version), pagination.items[-1].id),
                               (shown, thread), size=sum(map(row_text_size, shown)))
    if held_ids:
        held = db.session.connection().execute(visible_held_comments(target.key, held_ids)).all()
        is_last_page = pagination.page >= max(pagination.pages, 1)
        shown += [row for row in held if row.parent_id is not None or is_last_page]
        shown.sort(key=_in_order)
    render_comment = CommentRenderer(target, pagination, is_target_open, page_url)
    return Markup(render_template("comments/_thread.html", thread=thread or build_thread(shown, notice_id),
                                  count=count_approved(target.key), **render_comment.context))


def _rows_key(target_key: str, page: int, per_page: int) -> tuple:
    return ("rows", target_key, page, per_page)


def kept_page_rows(target_key: str, page: int, per_page: int,
                   version: int) -> tuple[list[Row], list[ThreadNode]] | None:
    """The rows of a full page of the thread that this worker keeps, and the thread built from them, if
    they are still the page's.

    A new approved top-level comment goes at the end of the thread, and moves the thread's version but
    not its ``rows_version``: a full page is then the same page unless a comment came in before its
    last one (a comment's time is taken before it waits for the write lock, and hosts' clocks differ),
    which moves the comment at the page's last place. So the page's rows are kept under the rows
    version and the id of that comment, looked up in the page index: one query rather than two, and
    no rows to read. Any other change moves the rows version."""
    rows_key = _rows_key(target_key, page, per_page)
    kept = rendered_threads().kept_version(rows_key)
    if kept is None or kept[0] != rows_version(version):
        return None  # nothing kept, or something changed that may have changed the page
    if request_counts([target_key])[target_key].top_level < page * per_page:
        return None  # the last page, not full: new comments go there
    last = db.session.connection().execute(_LAST_ON_PAGE, {"target_key": target_key, "offset": page * per_page - 1})
    return rendered_threads().get(rows_key, (rows_version(version), last.scalar()))


def page_rows(pagination: ThreadPagination) -> list[Row]:
    """The rows a page of the thread shows, oldest first: its top-level comments and their approved replies."""
    shown = list(pagination.items)
    if shown:
        shown += db.session.connection().execute(_REPLIES, {"root_ids": [row.id for row in shown]}).all()
    return sorted(shown, key=_in_order)


def _in_order(row: Row):
    return row.created_at, row.id


def page_url(target: CommentTarget, page: int, **params) -> str:
    """The target's URL showing the given page of comments, with any further query parameters. A query
    the target's URL has of its own (a host's language, say) stays, after these."""
    query = {**params, **({"comments_page": page} if page > 1 else {})}
    path, _, own_query = target.url.partition("?")
    query_string = "&".join(part for part in (urlencode(query), own_query) if part)
    return f"{path}?{query_string}" if query_string else path


def requested_page(parameter: str = "comments_page") -> int:
    """The page number a query parameter asks for; nonsense means the first, and none lies past MAX_PAGE."""
    return min(parse_id(request.args.get(parameter)) or 1, MAX_PAGE)


def mark_personal_responses(response):
    """Pages with a visitor's own details or held comments are private, and vary by cookie; so does any
    other page with comments that serve_target_page did not answer as the shared page. A request that
    rendered no section has no state, and none is made for it (this runs on every response)."""
    state = g.get(_STATE)
    if state is not None and state.has_section:
        if state.is_personal:
            response.cache_control.private = True
            response.cache_control.no_store = True
        if not state.is_public:
            response.vary.add("Cookie")
    return response
