"""Whole pages that show a thread (and its feed): one copy for every reader without a cookie of ours,
kept by each worker and by any cache in front.

A post page reads the same for every reader but for its form's token and stamp, and for a reader
without a session those are bound to the post and to a window of COMMENTS_FORM_WINDOW_SECONDS
(blog.comments.forgery, blog.comments.timing), not to the reader: within a window every such reader
gets the same bytes. The first view of a page in a window renders it; later views check the versions
(the host's for its page, and the thread's, which the host may read along with its own row in one
query) and send the kept bytes, skipping the templates altogether. A reader with something of their
own on the page (held comments, remembered details, a comment just posted, a session) gets the page
rendered for them alone, private and never kept.

The shared page carries no cookie, a strong ETag and ``Cache-Control: public, max-age,
stale-while-revalidate`` (COMMENTS_CACHE_MAX_AGE, COMMENTS_CACHE_STALE_WHILE_REVALIDATE), and varies
only by language: a browser, or a cache such as nginx in front (README, Deployment), may keep it and
answer from it; one that asks again gets 304 while nothing on it changed.
"""

import hashlib

from flask import current_app, make_response, request
from flask_babel import get_locale

from blog.comments.section import is_own_request, requested_page, section_state
from blog.comments.submission import is_open
from blog.comments.thread_cache import VersionedCache, is_current, thread_version
from blog.comments.timing import current_window


def rendered_pages() -> VersionedCache:
    return current_app.extensions["comments.rendered_pages"]


def serve_target_page(target, version, render, thread: int | None = None):
    """The response for the page that shows ``target``'s thread.

    ``render()`` renders the whole page (with ``comments_section(target)``) as text, and ``version``
    is whatever the host changes when the rest of that page changes (a post's ``updated_at``). The
    page may depend on nothing else of the request but its language, host and ``comments_page``.
    ``thread`` is the thread's version when the host read it with its own row, before rendering
    (``thread_version_column``); without it, it is read here.
    """
    if is_own_request():
        return make_response(render())  # the section marks it private
    if "replytocom" in request.args:  # the same for everyone, but a page per comment: never kept
        return _shared(render().encode())
    key = (target.key, target.url, target.title, is_open(target), requested_page(), str(get_locale()),
           request.host_url, version)
    is_hosts = thread is not None  # read by the host with its own row: this transaction's
    if not is_hosts:
        thread = thread_version(target.key)  # read before rendering, so a change in between shows next time
    versions = (thread, current_window())
    kept = rendered_pages().get(key, versions)
    if kept is None:
        is_keepable = is_hosts or is_current(target.key, thread)
        section_state().thread_versions[target.key] = (thread, is_keepable)
        html = render()
        if section_state().is_personal or not is_keepable:  # what might be personal is never kept
            return make_response(html)
        body = html.encode()
        kept = (body, _digest(body))
        rendered_pages().put(key, versions, kept, size=len(body))
    section_state().is_public = True
    return cacheable(make_response(kept[0]), kept[1])


def serve_thread_feed(target, render):
    """The Atom feed of ``target``'s thread, kept per worker like its page: ``render()`` returns the
    feed's response. Feed readers polling an unchanged feed get 304."""
    key = ("feed", target.key, target.url, target.title, str(get_locale()), request.host_url)
    thread = thread_version(target.key)
    kept = rendered_pages().get(key, thread)
    if kept is None:
        is_keepable = is_current(target.key, thread)
        response = render()
        body = response.get_data()
        kept = (body, response.mimetype, _digest(body))
        if is_keepable:
            rendered_pages().put(key, thread, kept, size=len(body))
    body, mimetype, etag = kept
    return cacheable(current_app.response_class(body, mimetype=mimetype), etag)


def cacheable(response, etag: str | None = None):
    """``response`` as one any cache may keep and share, for COMMENTS_CACHE_MAX_AGE seconds and then
    COMMENTS_CACHE_STALE_WHILE_REVALIDATE more while it asks again, with a strong ETag (``etag``, or a
    digest of the body): 304 to a client that has it. Only for a response that is the same for every
    reader of its URL and language, and sets no cookie."""
    config = current_app.config
    response.set_etag(etag or _digest(response.get_data()))
    response.cache_control.public = True
    response.cache_control.max_age = config["COMMENTS_CACHE_MAX_AGE"]
    response.cache_control.stale_while_revalidate = config["COMMENTS_CACHE_STALE_WHILE_REVALIDATE"]
    return response.make_conditional(request)


def _shared(body: bytes):
    section_state().is_public = True
    return cacheable(make_response(body), _digest(body))


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]
