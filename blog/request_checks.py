"""What a request may carry before any view, CSRF check or form sees it: the encodings a browser form
uses, and text that is text.

Browsers send a form in one of two encodings, ``application/x-www-form-urlencoded`` or
``multipart/form-data``, in UTF-8 (every page says it is UTF-8). A bot sends anything: JSON (which
Flask-WTF would read as form data), a file part where text is expected, another charset, a broken
multipart body, bytes that are not UTF-8, lone surrogates, NUL. All of it is answered here, once,
so no view can forget a check and no such value reaches a form, a template, a mail or the database:

- a POST (PUT, PATCH, DELETE) whose body is not one of the two encodings, names a charset other
  than UTF-8, or is compressed: 415 (an empty body with no Content-Type is an empty form);
- a multipart body that does not parse to its end, or has a part without a name, a file part, or a
  part in another charset: 400;
- a path, query string, form field (name or value), cookie, or a User-Agent, Referer or
  Accept-Language header that is not UTF-8 or holds a lone surrogate, NUL or another C0 control:
  400 (404 for the path). Tab, line feed and carriage return pass here; each form decides where a
  line break may go (blog.comments.forms.single_line).

Requests that routing refuses (404, 405) get that answer rather than one about their body. A view that
takes JSON (marked ``takes_json``, as the comments' API views are) reads and checks its body itself.
"""

import re
from urllib.parse import unquote_to_bytes

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# The methods whose body Flask-WTF reads as a form.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Request headers the site reads as text: a comment keeps its browser's User-Agent, pages follow
# Accept-Language, and the cookies hold the session and the plugin's own.
TEXT_HEADERS = ("User-Agent", "Referer", "Accept-Language", "Cookie")
# What no text from a browser holds: C0 controls but tab, line feed and carriage return (NUL among
# them, which PostgreSQL refuses outright), and lone surrogates (a JSON "\udce0", or the bytes
# Python's surrogateescape makes of broken UTF-8).
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# How much of a multipart body the decoder is given at a time: Werkzeug's own parser's buffer size.
MULTIPART_CHUNK = 64 * 1024
# A charset parameter, even an empty one.
_NAMES_A_CHARSET = re.compile(r";\s*charset\s*=", re.IGNORECASE)

UNSUPPORTED_FORM = _l("This address takes forms only as a web browser sends them: "
                      "URL-encoded or multipart, in UTF-8, without files.")
UNREADABLE_FORM = _l("The form could not be read: it was not sent as a web browser sends a form.")
NOT_TEXT_REQUEST = _l("The request holds characters that are not text.")


def init_request_checks(app):
    """Check every request before anything else reads it (register before CSRFProtect, which parses
    the form: once parsed, its raw bytes are gone)."""
    app.before_request(check_request)


def is_text(raw: bytes) -> bool:
    """Whether bytes are UTF-8 text without NUL, other C0 controls but tab and line breaks, or surrogates."""
    try:
        return not NOT_TEXT.search(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def _environ_bytes(name: str) -> bytes:
    """A WSGI environ string as the bytes that came over the wire (PEP 3333 carries them as Latin-1)."""
    return request.environ.get(name, "").encode("latin-1", "replace")


def _is_urlencoded_text(raw: bytes) -> bool:
    """Whether a query string or urlencoded body decodes to text. Checked whole: the separators are
    ASCII, so no field's bytes can combine with another's into a character."""
    return is_text(unquote_to_bytes(raw.replace(b"+", b" ")))


def check_request():
    """Refuse what is not text as a browser sends it (see the module docstring)."""
    if not is_text(_environ_bytes("PATH_INFO")):
        abort(404)
    if not _is_urlencoded_text(_environ_bytes("QUERY_STRING")):
        abort(400, NOT_TEXT_REQUEST)
    for header in TEXT_HEADERS:
        if not is_text(_environ_bytes("HTTP_" + header.upper().replace("-", "_"))):
            abort(400, NOT_TEXT_REQUEST)
    if any(NOT_TEXT.search(value) for value in request.cookies.values()):  # a quoted cookie's "\000" is a NUL
        abort(400, NOT_TEXT_REQUEST)
    if request.method in BODY_METHODS and request.routing_exception is None and not _takes_json():
        _check_form_body()


def _takes_json() -> bool:
    """Whether the view reads a JSON body and checks it itself (the comments' JSON API marks its views so)."""
    return getattr(current_app.view_functions.get(request.endpoint), "takes_json", False)


def _check_form_body():
    body = request.get_data(cache=True)  # kept for the form parser that reads it next; 413 past the limit
    if not body and "Content-Type" not in request.headers:
        return  # nothing sent, in no encoding: an empty form, which the view's own checks answer
    # A Content-Type of parameters without a type ("; charset=utf-8") names no form encoding: 415 below.
    if (request.mimetype not in FORM_TYPES or not _is_utf8(request.content_type)
            or request.headers.get("Content-Encoding", "identity").lower() != "identity"):
        abort(415, UNSUPPORTED_FORM)
    if request.mimetype == "multipart/form-data":
        _check_multipart(body, request.mimetype_params.get("boundary", ""))
    elif not _is_urlencoded_text(body):
        abort(400, NOT_TEXT_REQUEST)


def _check_multipart(body: bytes, boundary: str):
    """Walk a multipart body to its end, in chunks as Werkzeug's parser reads it (so the same size
    limits apply, per field): named text parts in UTF-8 only, no file, nothing unreadable."""
    if not boundary or not boundary.isascii():
        abort(400, UNREADABLE_FORM)
    limit = request.max_form_memory_size
    decoder = MultipartDecoder(boundary.encode("ascii"), max_form_memory_size=limit, max_parts=request.max_form_parts)
    value, size = [], 0
    try:
        for chunk in [*(body[start:start + MULTIPART_CHUNK] for start in range(0, len(body), MULTIPART_CHUNK)), None]:
            decoder.receive_data(chunk)
            while not isinstance(event := decoder.next_event(), NeedData | Epilogue):
                if isinstance(event, File) or isinstance(event, Field) and not _is_text_part(event):
                    abort(400, UNREADABLE_FORM)  # no form here takes a file
                if isinstance(event, Field):
                    value, size = [], 0
                elif isinstance(event, Data):
                    value.append(event.data)
                    size += len(event.data)
                    if limit is not None and size > limit:
                        raise RequestEntityTooLarge()
                    if not event.more_data and not is_text(b"".join(value)):
                        abort(400, NOT_TEXT_REQUEST)
            if isinstance(event, Epilogue):
                return
    except ValueError:  # the decoder's word for a body that does not parse (no boundary, cut short)
        pass
    abort(400, UNREADABLE_FORM)


def _is_text_part(field: Field) -> bool:
    """A part as a browser sends a text field: a name, headers that are text (the decoder read them as
    UTF-8, as browsers write a field's name), no charset but UTF-8."""
    if not field.name or any(NOT_TEXT.search(value) for value in field.headers.values()):
        return False
    content_type = field.headers.get("Content-Type")
    return content_type is None or parse_options_header(content_type)[0] == "text/plain" and _is_utf8(content_type)


def _is_utf8(content_type: str | None) -> bool:
    """Whether a Content-Type names no charset, or UTF-8. Werkzeug drops an empty "charset=", which
    names no charset this site reads either."""
    charset = parse_options_header(content_type)[1].get("charset")
    if charset is None:
        return not _NAMES_A_CHARSET.search(content_type or "")
    return charset.lower() == "utf-8"
