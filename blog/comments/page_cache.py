"""Whole pages that show a thread (and its feed), rendered once per worker and filled in for each reader.

A post page reads the same for every reader but for two values in its form: the CSRF token, tied
to the reader's session, and the signed time the form was served. The first view of a page in a
worker renders it in full, swaps those two values for slots and keeps it; later views check the
versions (the host's for its page, and the thread's, which the host may read along with its own row
in one query), fill the slots with the reader's token and a fresh stamp, and skip the templates
altogether. A reader with something of their own
on the page (held comments, remembered details, the reply form of ``?replytocom=``) gets the page
rendered for them alone, never kept.

Every shared page carries a weak ETag, ``Cache-Control: no-cache`` and ``Vary: Cookie``: a browser
(or a proxy, for the same cookie) asks again each time and gets a 304 while the page, its language,
the reader's session and the current ten minutes are unchanged, so a form it shows from its own
copy is never older than that.
"""

import hashlib
import re
import secrets
import time

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from blog.comments.cookies import has_own_cookies
from blog.comments.section import requested_page, section_state
from blog.comments.submission import is_open
from blog.comments.thread_cache import VersionedCache, thread_version
from blog.comments.timing import issue_form_stamp

# A revalidated page keeps the form it was served with; after this many seconds it gets a fresh one.
FORM_REFRESH_SECONDS = 600


def rendered_pages() -> VersionedCache:
    return current_app.extensions["comments.rendered_pages"]


def new_slots() -> tuple[bytes, bytes]:
    """Slot markers for an app's pages: random, so no text on a page can contain one by chance or design."""
    nonce = secrets.token_hex(16)
    return f"csrf-{nonce}".encode(), f"issued-{nonce}".encode()


def _slots() -> tuple[bytes, bytes]:
    return current_app.extensions["comments.page_slots"]


def is_shared_view() -> bool:
    """Whether this request sees the page every reader sees."""
    return "replytocom" not in request.args and not has_own_cookies()


def serve_target_page(target, version, render, thread: int | None = None):
    """The response for the page that shows ``target``'s thread.

    ``render()`` renders the whole page (with ``comments_section(target)``) as text, and ``version``
    is whatever the host changes when the rest of that page changes (a post's ``updated_at``). The
    page may depend on nothing else of the request but its language, host and ``comments_page``.
    ``thread`` is the thread's version when the host read it with its own row, before rendering
    (``thread_version_column``); without it, it is read here.
    """
    if not is_shared_view():
        return make_response(render())
    is_target_open = is_open(target)
    key = (target.key, target.url, target.title, is_target_open, requested_page(), str(get_locale()),
           request.host_url, version)
    if thread is None:
        thread = thread_version(target.key)  # read before rendering, so a change in between shows next time
    parts = rendered_pages().get(key, thread)
    if parts is None:
        html = render()
        if section_state().is_personal:
            return make_response(html)
        parts = _page_parts(html)
        rendered_pages().put(key, thread, parts, size=sum(map(len, parts)))
    section_state().has_section = True
    has_form = len(parts) > 1
    return revalidated(make_response(_fill(parts) if has_form else parts[0]), _etag(key, thread, has_form))


def serve_thread_feed(target, render):
    """The Atom feed of ``target``'s thread, kept per worker like its page (it has no form to fill):
    ``render()`` returns the feed's response. Feed readers polling an unchanged feed get 304."""
    key = ("feed", target.key, target.url, target.title, str(get_locale()), request.host_url)
    thread = thread_version(target.key)
    kept = rendered_pages().get(key, thread)
    if kept is None:
        response = render()
        kept = (response.get_data(), response.mimetype)
        rendered_pages().put(key, thread, kept, size=len(kept[0]))
    body, mimetype = kept
    return revalidated(current_app.response_class(body, mimetype=mimetype), _etag(key, thread, False))


def revalidated(response, etag: str | None = None):
    """The response with its ETag, to be checked again on every use: 304 when the browser has it.
    Without ``etag``, a hash of the body: for a response no worker keeps (the feed of the whole site
    changes with every thread and every title), still answered 304 to a reader who has it."""
    if etag is None:
        response.add_etag(weak=True)
    else:
        response.set_etag(etag, weak=True)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def _page_parts(html: str) -> tuple[bytes, ...]:
    """The page as every reader sees it, encoded once (encoding a page costs more than filling it),
    and split around the slots where each reader's token and stamp go."""
    stamp = section_state().form_stamp
    if not stamp:
        return (html.encode(),)
    csrf_slot, stamp_slot = _slots()
    page = html.encode().replace(generate_csrf().encode(), csrf_slot).replace(stamp.encode(), stamp_slot)
    return tuple(re.split(b"(" + re.escape(csrf_slot) + b"|" + re.escape(stamp_slot) + b")", page))


def _fill(parts: tuple[bytes, ...]) -> bytes:
    """The page for this reader: their CSRF token and a fresh form stamp in the slots."""
    csrf_slot, stamp_slot = _slots()
    values = {csrf_slot: generate_csrf().encode(), stamp_slot: issue_form_stamp().encode()}
    return b"".join(values.get(part, part) for part in parts)


def _etag(key, thread: int, has_form: bool) -> str:
    """What the page depends on, hashed: the same for one session's views of an unchanged page."""
    parts = [repr(key), str(thread)]
    if has_form:
        parts += [str(session.get(current_app.config["WTF_CSRF_FIELD_NAME"], "")),
                  str(int(time.time() // FORM_REFRESH_SECONDS))]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
