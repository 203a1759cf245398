"""Whole requests built by hand, byte for byte, as browsers, bots and attackers send them (issue 12).

A ``Plan`` is what a request carries, with what only a session knows (its CSRF token and form stamp, the
ids in its path) left as ``Slot``s. ``Plan.render`` fills them in and encodes the body into a
``RawRequest``, which goes to the app in process as the WSGI environ gunicorn would build from those bytes
(``RawRequest.environ``) or to a real server over a socket (``exchange``): nothing normalizes it on the way.

A plan knows what the contract says of it: ``refusals`` (why it must get 400 or 415, or 404 for its path),
``doubts`` (what about it the contract leaves open: any answer but a 5xx), or neither (a browser's request,
to be taken). ``plans()`` draws them for Hypothesis, ``HOSTILE`` and ``BROWSER_FORMS`` name explicit ones,
and ``check_answer`` holds the contract's assertions for the in-process and the gunicorn tests alike.
"""

import http.client
import io
import json
import re
import socket
import sys
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import quote_from_bytes, unquote_to_bytes
from xml.sax.saxutils import escape as xml_escape

from hypothesis import strategies as st
from sqlalchemy import select

from blog.extensions import db

URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"
CHROME_BOUNDARY = b"----WebKitFormBoundary7MA4YWxkTrZu0gW"
FIREFOX_BOUNDARY = b"-" * 27 + b"314159265358979"
# The app's MAX_CONTENT_LENGTH (DESIGN.md section 3): a larger body may get 413 instead.
MAX_CONTENT_LENGTH = 1024 * 1024
PASSWORD = "correct horse battery staple"
READER_EMAIL = "reader@example.org"


@dataclass(frozen=True)
class Slot:
    """A value only the session knows (``Slot("csrf_token")``) or an id of the current rows (``Slot("post")``)."""

    name: str


CSRF = Slot("csrf_token")
STAMP = Slot("issued")


class Raw(bytes):
    """Bytes that an urlencoded body or query carries as they are, not percent-encoded."""


@dataclass(frozen=True)
class JsonValue:
    """A field value that is not a string, for a JSON body (any other body gets its JSON text)."""

    value: object


# The routes that take input (issue 12), each with its fields as a browser fills them in.


@dataclass(frozen=True)
class Route:
    """A form of the site: where it posts, whose browser sends it, its fields filled in, and its answers."""

    name: str
    path: str  # braces name the session's values: "/{slug}/comments"
    fields: tuple = ()
    accepted: frozenset = frozenset({303})  # the answer to the form as filled in
    refused_form: frozenset = frozenset({400})  # the answers of the form's own checks to other values
    method: str = "POST"
    who: str = "reader"  # "reader", "admin", or "nobody" (no cookie: a mail client's one-click request)
    single_line: tuple = ()  # fields where a line break (or tab) gets the form again with a 400
    stores: str = ""  # what a taken form writes, to be read back: "comment", "edit", "reply" or "post"
    writes_when: frozenset = frozenset()  # 4xx answers that still write (a wrong password is counted)


COMMENT = Route("comment", "/{slug}/comments", (
    ("author", b"Ann Reader"), ("email", b"ann@example.org"), ("url", b"https://ann.example/"),
    ("comment", b"A thought."), ("parent", b"0"), ("csrf_token", CSRF), ("issued", STAMP),
), refused_form=frozenset({400, 413}), single_line=("author", "email", "url"), stores="comment")
POST_PAGE = Route("post page", "/{slug}/", accepted=frozenset({200}), method="GET")
SIGN_IN = Route("sign-in", "/admin/login", (
    ("username", b"boss"), ("password", PASSWORD.encode()), ("csrf_token", CSRF),
), refused_form=frozenset({400, 401}), single_line=("username",), writes_when=frozenset({401}))
UNSUBSCRIBE = Route("unsubscribe", "/comments/notices/unsubscribe/{token}", (("List-Unsubscribe", b"One-Click"),),
                    accepted=frozenset({200}), who="nobody")
# The unsubscribe page's other button: every comment from the address.
UNSUBSCRIBE_ALL = replace(UNSUBSCRIBE, name="unsubscribe: whole address", path=UNSUBSCRIBE.path + "/all", fields=())
SIGN_OUT = Route("sign-out", "/admin/logout", (("csrf_token", CSRF),), who="admin")
# Each action on a comment whose status allows it.
MODERATE = tuple(
    Route(f"moderate: {action}", f"/admin/comments/{{{status}}}/{action}", (("csrf_token", CSRF),), who="admin")
    for action, status in [("approve", "pending"), ("unapprove", "approved"), ("spam", "approved"),
                           ("trash", "approved"), ("restore", "trash"), ("delete", "spam")]
)
BULK = Route("bulk", "/admin/comments/bulk", (
    ("action", b"spam"), ("ids", Slot("approved")), ("ids", Slot("pending")), ("csrf_token", CSRF),
), who="admin")
EDIT_COMMENT = Route("edit comment", "/admin/comments/{approved}/edit", (
    ("author", b"Ann Reader"), ("email", b"ann@example.org"), ("url", b""), ("comment", b"Edited text."),
    ("csrf_token", CSRF),
), who="admin", single_line=("author", "email", "url"), stores="edit")
REPLY = Route("reply", "/admin/comments/{approved}/reply", (("comment", b"Thank you."), ("csrf_token", CSRF)),
              who="admin", stores="reply")
PRIVACY_EXPORT = Route("privacy: export", "/admin/comments/privacy", (
    ("email", READER_EMAIL.encode()), ("export", b"Export as JSON"), ("csrf_token", CSRF),
), accepted=frozenset({200}), who="admin", single_line=("email",))
# The confirming button, which erases (the first one only asks). Without the button's value, the form
# exports (200) rather than erases.
PRIVACY_ERASE = Route("privacy: erase", "/admin/comments/privacy", (
    ("email", READER_EMAIL.encode()), ("confirm_erase", b"Yes, erase"), ("csrf_token", CSRF),
), refused_form=frozenset({200, 400}), who="admin", single_line=("email",))
POST_FIELDS = (("title", b"A title"), ("slug", b""), ("body", b"Some *Markdown*."), ("is_published", b"y"),
               ("comments_open", b"y"))
NEW_POST = Route("new post", "/admin/posts/new", (*POST_FIELDS, ("save", b"Save"), ("csrf_token", CSRF)),
                 who="admin", single_line=("title",), stores="post")
# Without the button's value, the form saves (303) rather than previews.
PREVIEW_POST = Route("preview post", "/admin/posts/new", (*POST_FIELDS, ("preview", b"Preview"), ("csrf_token", CSRF)),
                     accepted=frozenset({200}), refused_form=frozenset({303, 400}), who="admin", single_line=("title",),
                     stores="post")
EDIT_POST = Route("edit post", "/admin/posts/{post}/edit", (*POST_FIELDS, ("save", b"Save"), ("csrf_token", CSRF)),
                  who="admin", single_line=("title",), stores="post")
QUEUE = Route("moderation queue", "/admin/comments", accepted=frozenset({200}), method="GET", who="admin")
ADMIN_ROUTES = (SIGN_OUT, *MODERATE, BULK, EDIT_COMMENT, REPLY, PRIVACY_EXPORT, PRIVACY_ERASE, NEW_POST,
                PREVIEW_POST, EDIT_POST, QUEUE)

# Accept-Language values a browser sends, and the page language each must get (None: not settled here).
ACCEPT_LANGUAGES = {None: "en", b"nl": "nl", b"nl-NL,nl;q=0.9,en;q=0.8": "nl", b"en-GB,en;q=0.7": "en",
                    b"de-DE, nl;q=0.5": "nl", b"xx": "en", b"*": None, b"nl;q=abc": None}


@dataclass(frozen=True)
class Plan:
    """One request to one route, before a session fills it in; ``Plan.of(route)`` is its browser form."""

    route: Route
    encoding: str = "urlencoded"  # how the fields become the body: urlencoded, multipart, json, text or xml
    content_type: bytes | None = URLENCODED  # the header as sent; None leaves it out
    fields: tuple = ()  # (name bytes, value): bytes, Raw, Slot or JsonValue; names may repeat
    body_charset: str = "utf-8"  # the charset the urlencoded body is written in
    boundary: bytes = CHROME_BOUNDARY  # the one the multipart body uses (the header may name another)
    files: tuple = ()  # multipart: (field name, filename) of the fields sent as file parts
    part_headers: tuple = ()  # multipart: (field name, header line) added to that field's part
    extra_parts: tuple = ()  # multipart: raw parts (headers, blank line, body) after the fields'
    cut: str = ""  # multipart: "close" leaves out the closing delimiter, "middle" cuts the body in half
    preamble: bytes = b""  # multipart: text before the first boundary and after the last
    query: bytes = b""
    path_insert: bytes = b""  # bytes put into the path, just after its ``path_at``-th slash
    path_at: int = 0
    headers: tuple = ()  # (name, value bytes or Slot), besides Host, Cookie and Content-*
    cookies: bytes = b""  # cookies sent after the session's
    refusals: frozenset = frozenset()  # why the contract refuses this request
    doubts: frozenset = frozenset()  # what about it the contract leaves open
    is_filled_in: bool = True  # the route's fields as its form fills them in (extra fields aside)

    @classmethod
    def of(cls, route: Route, **changes) -> "Plan":
        fields = tuple((name.encode(), value) for name, value in route.fields)
        return replace(cls(route=route, fields=fields), **changes)

    @property
    def verdict(self) -> str:
        return "refused" if self.refusals else "doubtful" if self.doubts else "browser"

    @property
    def labels(self) -> list[str]:
        return sorted(self.refusals | self.doubts) or ["a browser's request"]

    def header(self, name: bytes):
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def with_header(self, name: bytes, value) -> "Plan":
        """The plan with header ``name`` set to ``value`` (None: left out)."""
        kept = tuple((key, old) for key, old in self.headers if key.lower() != name.lower())
        return replace(self, headers=kept if value is None else (*kept, (name, value)))

    def with_field(self, index: int, name: bytes | None = None, value=None) -> "Plan":
        old_name, old_value = self.fields[index]
        fields = list(self.fields)
        fields[index] = (old_name if name is None else name, old_value if value is None else value)
        return replace(self, fields=tuple(fields))

    def as_multipart(self) -> "Plan":
        if self.encoding == "multipart":
            return self
        return replace(self, encoding="multipart", content_type=MULTIPART + b"; boundary=" + quoted(self.boundary))

    @property
    def page_language(self) -> str | None:
        """The language the answer's page must be in, when the request settles it."""
        if any("Accept-Language" in label for label in self.refusals | self.doubts):
            return None
        return ACCEPT_LANGUAGES.get(self.header(b"Accept-Language"))

    def numbered(self, number: int) -> "Plan":
        """The plan with a number after its comment text, so that one server never sees the same comment
        twice (the second would be a 409 duplicate)."""
        fields = tuple(
            (name, type(value)(value + f" #{number}".encode()) if name == b"comment" and value
             and isinstance(value, bytes) else value)
            for name, value in self.fields)
        return replace(self, fields=fields)

    def render(self, cookie: bytes | None, values: dict) -> "RawRequest":
        """The request as bytes: slots and path filled in from ``values``, the body encoded, the session's
        cookie (unless the route's sender has none) before the plan's own."""
        fields = tuple((name, _fill(value, values)) for name, value in self.fields)
        path = self.route.path.format_map(values).encode()
        if self.path_insert:
            slashes = [index + 1 for index, byte in enumerate(path) if byte == ord("/")]
            at = slashes[self.path_at % len(slashes)]
            path = path[:at] + self.path_insert + path[at:]
        headers = [(b"Host", b"localhost")]
        body = b""
        if self.route.method == "POST":
            body = ENCODERS[self.encoding](self, fields)
            if self.content_type is not None:
                headers.append((b"Content-Type", self.content_type))
            headers.append((b"Content-Length", str(len(body)).encode()))
        cookies = [part for part in (cookie if self.route.who != "nobody" else None, self.cookies) if part]
        if cookies:
            headers.append((b"Cookie", b"; ".join(cookies)))
        headers.extend((name, _fill(value, values)) for name, value in self.headers)
        target = path + (b"?" + self.query if self.query else b"")
        return RawRequest(self.route.method, target, tuple(headers), body, fields)

    def __repr__(self):
        parts = [f"route={self.route.name!r}", f"encoding={self.encoding!r}", f"content_type={self.content_type!r}",
                 "fields=[" + ", ".join(f"{_short(name)}={_short(value)}" for name, value in self.fields) + "]"]
        for name in ("body_charset", "files", "part_headers", "extra_parts", "cut", "preamble", "query",
                     "path_insert", "headers", "cookies"):
            value = getattr(self, name)
            if value != getattr(Plan, name, None) and value:
                parts.append(f"{name}={_short(value)}")
        parts.append(f"labels={self.labels}")
        return "Plan(" + ", ".join(parts) + ")"


def quoted(boundary: bytes) -> bytes:
    """A boundary as a Content-Type parameter: quoted when it holds a character a token may not (RFC 2045)."""
    return b'"' + boundary + b'"' if re.search(rb"[ ()<>@,;:\\\"/\[\]?=]", boundary) else boundary


def _fill(value, values):
    if isinstance(value, Slot):
        return str(values[value.name]).encode()
    return value


def _short(value, limit=60) -> str:
    text = repr(value.value if isinstance(value, JsonValue) else value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(value) if hasattr(value, '__len__') else '?'})"


def _as_text(value: bytes) -> str:
    """Bytes as text for a JSON or XML body: a lone surrogate's UTF-8 bytes as the lone surrogate, any
    other broken byte as the surrogate Python's surrogateescape makes of it."""
    try:
        return value.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return value.decode("utf-8", "surrogateescape")


def _value_bytes(value) -> bytes:
    return json.dumps(value.value).encode() if isinstance(value, JsonValue) else bytes(value)


def _percent(value, charset="utf-8") -> bytes:
    if isinstance(value, Raw):
        return bytes(value)
    raw = _value_bytes(value)
    if charset != "utf-8":
        raw = _as_text(raw).encode(charset, "xmlcharrefreplace")
    return quote_from_bytes(raw, safe="").encode("ascii")


def _urlencoded(plan: Plan, fields) -> bytes:
    charset = plan.body_charset if plan.body_charset in ("latin-1", "cp1252") else "utf-8"
    body = b"&".join(_percent(name, charset) + b"=" + _percent(value, charset) for name, value in fields)
    return body.decode("latin-1").encode(plan.body_charset) if plan.body_charset.startswith("utf-16") else body


def _multipart(plan: Plan, fields) -> bytes:
    files = dict(plan.files)
    parts = []
    for name, value in fields:
        head = [b'Content-Disposition: form-data; name="' + name + b'"']
        if name in files:
            head[0] += b'; filename="' + files[name] + b'"'
        head += [line for field_name, line in plan.part_headers if field_name == name]
        if name in files and not any(line.lower().startswith(b"content-type:") for line in head):
            head.append(b"Content-Type: application/octet-stream")
        parts.append(b"\r\n".join(head) + b"\r\n\r\n" + _value_bytes(value))
    delimiter = b"--" + plan.boundary
    body = plan.preamble + b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in (*parts, *plan.extra_parts))
    if plan.cut == "middle":
        return body[: len(body) // 2]
    if plan.cut == "close":
        return body
    return body + delimiter + b"--\r\n" + plan.preamble


def _json(plan: Plan, fields) -> bytes:
    document = {_as_text(name): value.value if isinstance(value, JsonValue) else _as_text(value)
                for name, value in fields}
    # ensure_ascii: a lone surrogate travels as the escape "\udce0", as a bot's JSON library writes it.
    return json.dumps(document).encode("ascii")


def _text_plain(plan: Plan, fields) -> bytes:
    """What a browser sends for a form with enctype="text/plain"."""
    return b"".join(name + b"=" + _value_bytes(value) + b"\r\n" for name, value in fields)


def _xml(plan: Plan, fields) -> bytes:
    items = "".join(f'<field name="{xml_escape(_as_text(name))}">{xml_escape(_as_text(_value_bytes(value)))}</field>'
                    for name, value in fields)
    return f'<?xml version="1.0" encoding="UTF-8"?><form>{items}</form>'.encode("utf-8", "surrogatepass")


ENCODERS = {"urlencoded": _urlencoded, "multipart": _multipart, "json": _json, "text": _text_plain, "xml": _xml}


# A request on the wire, and its answer.


@dataclass(frozen=True)
class RawRequest:
    """An HTTP/1.1 request as bytes; ``fields`` is what its body says, for reading back what was stored."""

    method: str
    target: bytes
    headers: tuple
    body: bytes = b""
    fields: tuple = ()

    def to_bytes(self) -> bytes:
        lines = [self.method.encode() + b" " + self.target + b" HTTP/1.1",
                 *(name + b": " + value for name, value in self.headers), b"Connection: close"]
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body

    def environ(self) -> dict:
        """The WSGI environ gunicorn builds from these bytes (gunicorn.http.wsgi): the path unquoted to
        Latin-1, the query string and header values as their bytes read as Latin-1, repeated headers joined."""
        path, _, query = self.target.partition(b"?")
        environ = {
            "REQUEST_METHOD": self.method, "SCRIPT_NAME": "", "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"), "RAW_URI": self.target.decode("latin-1"),
            "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(self.body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        for name, value in self.headers:
            key = name.decode("latin-1").upper().replace("-", "_")
            key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
            text = value.decode("latin-1").strip(" \t")
            environ[key] = f"{environ[key]},{text}" if key in environ else text
        return environ

    def __repr__(self):
        head = b"\r\n".join(self.to_bytes().split(b"\r\n\r\n", 1)[0].split(b"\r\n"))
        body = repr(self.body[:600]) + (f" …({len(self.body)} bytes)" if len(self.body) > 600 else "")
        return "\n".join(repr(line)[2:-1] for line in head.split(b"\r\n")) + "\n\n" + body


@dataclass(frozen=True)
class Answer:
    """A response's status, headers (names lowercased) and body."""

    status: int
    headers: tuple
    body: bytes

    @classmethod
    def of(cls, response) -> "Answer":
        """From a Flask test client response."""
        return cls(response.status_code, tuple((name.lower(), value) for name, value in response.headers.items()),
                   response.get_data())

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def cookie(self, name: str) -> bytes | None:
        """The value this answer sets for cookie ``name``, as ``name=value`` bytes."""
        for key, value in self.headers:
            if key == "set-cookie" and value.startswith(name + "="):
                return value.split(";", 1)[0].encode("latin-1")
        return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def is_from_app(self) -> bool:
        """Whether the app answered (every answer of its has this header), not gunicorn refusing on its own."""
        return self.header("content-security-policy") is not None

    def __repr__(self):
        title = re.search(r"<title>(.*?)</title>", self.text, re.S)
        message = re.search(r'<p class="error-code">.*?</h1>\s*(?:<p>(.*?)</p>)?', self.text, re.S)
        summary = title.group(1).strip() if title else self.text[:300]
        if message and message.group(1):
            summary += f" — {message.group(1).strip()}"
        return f"{self.status} {self.header('content-type')!r}: {summary!r}"


def exchange(address: tuple[str, int], request: RawRequest, timeout=10) -> Answer:
    """Send the bytes over a new connection and read the answer, even one sent before the body was read."""
    with socket.create_connection(address, timeout=timeout) as connection:
        try:
            connection.sendall(request.to_bytes())
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = http.client.HTTPResponse(connection)
        response.begin()
        with response:
            return Answer(response.status, tuple((name.lower(), value) for name, value in response.getheaders()),
                          response.read())


CSRF_TOKEN = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')
FORM_STAMP = re.compile(r'<input[^>]*\bname="issued"[^>]*\bvalue="([^"]+)"')


def hidden_fields(page: Answer) -> dict[str, str]:
    """The CSRF token and form stamp of the form on a page."""
    token, stamp = CSRF_TOKEN.search(page.text), FORM_STAMP.search(page.text)
    assert token, f"no CSRF token on the page: {page!r}"
    return {"csrf_token": token.group(1), "issued": stamp.group(1) if stamp else ""}


def get(path: bytes, cookie: bytes | None = None) -> RawRequest:
    headers = [(b"Host", b"localhost")] + ([(b"Cookie", cookie)] if cookie else [])
    return RawRequest("GET", path, tuple(headers))


def form_post(path: bytes, fields: dict, cookie: bytes | None = None) -> RawRequest:
    body = b"&".join(_percent(name.encode()) + b"=" + _percent(value.encode()) for name, value in fields.items())
    headers = [(b"Host", b"localhost"), (b"Content-Type", URLENCODED), (b"Content-Length", str(len(body)).encode())]
    return RawRequest("POST", path, tuple(headers + ([(b"Cookie", cookie)] if cookie else [])), body)


@dataclass
class Session:
    """A browser's session cookie and the hidden fields of its form."""

    cookie: bytes | None
    secrets: dict


def reader_session(send, page: bytes) -> Session:
    """A reader who has read ``page``: its session cookie (none on a post page, which is the same for
    every reader without one), CSRF token and form stamp."""
    answer = send(get(page))
    assert answer.status == 200, f"the page {page!r} answered {answer!r}"
    return Session(answer.cookie("session"), hidden_fields(answer))


def route_session(send, route: Route, post_page: bytes) -> Session:
    """A reader ready to send ``route``'s form: the sign-in page's session and token for signing in; for
    anything else the post page's token, bound to that post (read again when the post is made anew)."""
    return reader_session(send, b"/admin/login" if route is SIGN_IN else post_page)


def admin_session(send, username="boss", password=PASSWORD) -> Session:
    """An admin signed in through the sign-in form, with the CSRF token of the moderation queue."""
    login = send(get(b"/admin/login"))
    cookie = login.cookie("session")
    signed_in = send(form_post(b"/admin/login", {"username": username, "password": password,
                                                 **hidden_fields(login)}, cookie))
    assert signed_in.status == 303, f"signing in answered {signed_in!r}"
    cookie = signed_in.cookie("session") or cookie
    queue = send(get(b"/admin/comments", cookie))
    assert queue.status == 200, f"the queue answered {queue!r}"
    return Session(queue.cookie("session") or cookie, {"csrf_token": hidden_fields(queue)["csrf_token"]})


# What the contract says of an answer.


def snapshot(connection) -> dict[str, dict]:
    """Every row of every table, by primary key: to tell whether a request changed anything."""
    rows = {}
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        rows[table.name] = {tuple(row[column.name] for column in keys): dict(row)
                            for row in connection.execute(select(table)).mappings()}
    return rows


def changes(before: dict, after: dict, ignored=()) -> list[str]:
    """What differs between two snapshots, table by table, in a line each."""
    found = []
    for table in before:
        if table in ignored or before[table] == after[table]:
            continue
        added = [after[table][key] for key in after[table].keys() - before[table].keys()]
        removed = sorted(before[table].keys() - after[table].keys())
        changed = [key for key in before[table].keys() & after[table].keys() if before[table][key] != after[table][key]]
        found.append(f"{table}: added {_short(added, 300)}, removed {removed}, changed {sorted(changed)}")
    return found


def typed(value: str) -> str:
    """What a comment form stores of a value: trimmed, then composed (NFC), as in tests/test_properties.py."""
    return unicodedata.normalize("NFC", value.strip())


def expected_statuses(plan: Plan, request: RawRequest) -> frozenset | None:
    """The answers the contract allows; None: any but a 5xx."""
    if plan.refusals:
        is_path = {label.startswith("path") for label in plan.refusals}
        statuses = {404} if is_path == {True} else {400, 415} | ({404} if True in is_path else set())
        return frozenset(statuses | ({413} if len(request.body) > MAX_CONTENT_LENGTH else set()))
    if plan.doubts:
        return None
    statuses = plan.route.accepted | (frozenset() if plan.is_filled_in else plan.route.refused_form)
    return statuses | ({413} if len(request.body) > MAX_CONTENT_LENGTH else set())


def sent_texts(request: RawRequest, name: str) -> set[str]:
    """The texts a request's body gives field ``name`` (more than one if it was repeated)."""
    return {_value_bytes(value).decode("utf-8") for field_name, value in request.fields if field_name == name.encode()}


def check_answer(plan: Plan, request: RawRequest, answer: Answer, before: dict, after: dict, values: dict, log=""):
    """Never a 5xx; the answers the contract allows; a refused request writes nothing and gets a page in
    the reader's language; a taken one stores what was sent. ``log``: what the server logged meanwhile."""
    context = f"\n\n{plan!r}\n\n--- the request ---\n{request!r}\n\n--- the answer ---\n{answer!r}"
    if log:
        context += f"\n\n--- logged ---\n{log[-3000:]}"
    assert answer.status < 500, f"a {answer.status} for {', '.join(plan.labels)}{context}"
    allowed = expected_statuses(plan, request)
    assert allowed is None or answer.status in allowed, (
        f"{answer.status} where the contract allows {sorted(allowed)} for {', '.join(plan.labels)}{context}")
    if answer.status >= 400:
        ignored = ("failed_login",) if answer.status in plan.route.writes_when else ()
        changed = changes(before, after, ignored)
        assert not changed, f"a refused request ({answer.status}) changed the database: {changed}{context}"
        if answer.is_from_app:
            assert (answer.header("content-type") or "").startswith("text/html"), f"not an HTML page{context}"
            if plan.page_language:
                assert f'<html lang="{plan.page_language}"' in answer.text, (
                    f"the page is not in the reader's language ({plan.page_language}){context}")
        return
    if plan.route.method == "POST" and plan.route.single_line and not plan.refusals:
        for name in plan.route.single_line:
            broken = {text for text in sent_texts(request, name) if re.search("[\n\r]", typed(text))}
            assert not broken, f"{name} {broken!r} holds a line break, yet the form was taken{context}"
    if answer.status == 303 and plan.route.stores:
        check_stored(plan, request, before, after, values, context)


def check_stored(plan, request, before, after, values, context):
    """What a taken form wrote reads back as its request sent it, whichever encoding carried it."""
    def new_rows(table):
        return [row for key, row in after[table].items() if key not in before[table]]

    def same(row, column, name, transform=typed):
        sent = {transform(text) for text in sent_texts(request, name)} or {""}
        assert row[column] in sent, f"{column} stored as {row[column]!r}, sent as {sent!r}{context}"

    stores = plan.route.stores
    if stores == "comment":
        rows = new_rows("comment")
        assert len(rows) == 1, f"{len(rows)} comments stored{context}"
        for column in ("author", "url"):
            same(rows[0], column, column)
        same(rows[0], "email", "email", lambda text: typed(text).lower())
        same(rows[0], "body_raw", "comment")
    elif stores == "edit":
        row = after["comment"][(values["approved"],)]
        for column in ("author", "url"):
            same(row, column, column)
        same(row, "email", "email", lambda text: typed(text).lower())
        same(row, "body_raw", "comment")
    elif stores == "reply":
        rows = new_rows("comment")
        assert len(rows) == 1, f"{len(rows)} replies stored{context}"
        same(rows[0], "body_raw", "comment")
    elif stores == "post":
        rows = new_rows("post") or [row for key, row in after["post"].items() if row != before["post"].get(key)]
        assert len(rows) == 1, f"{len(rows)} posts written{context}"
        same(rows[0], "title", "title", str.strip)
        same(rows[0], "body_source", "body", lambda text: text)


# Hypothesis strategies: requests of every kind, mostly one or two things wrong with each.

# Bytes no text holds: broken UTF-8, lone surrogates (as the UTF-8 they would be), NUL and C0 controls.
BAD_TEXT = [
    ("invalid UTF-8 \\xff", b"\xff"), ("truncated UTF-8", b"\xc3"), ("overlong UTF-8", b"\xc0\xaf"),
    ("surrogate U+D800", b"\xed\xa0\x80"), ("surrogate U+DCE0", b"\xed\xb3\xa0"),
    ("beyond U+10FFFF", b"\xf4\x90\x80\x80"),
    ("latin-1 é", b"\xe9"), ("NUL", b"\x00"), ("control U+0001", b"\x01"), ("backspace", b"\x08"),
    ("vertical tab", b"\x0b"), ("form feed", b"\x0c"), ("escape", b"\x1b"), ("control U+001F", b"\x1f"),
]
# Characters a browser's text may hold (C0 controls aside from tab, line feed and carriage return).
C0_CONTROLS = "".join(chr(code) for code in range(32) if chr(code) not in "\t\n\r")
browser_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters=C0_CONTROLS), max_size=30),
    st.sampled_from(["", " ", "Rene\u0301e", "Ann\nReader", "Ann\tReader", "  padded  \r\n", "\u202eevil", "\x7f",
                     "\u0085", "\ufeffBOM", "😀" * 3, "<b>bold</b> & more", "https://ann.example/é", "ＡＮＮ"]),
)
NOT_FORMS = [  # (label, Content-Type, how the fields are written)
    ("JSON", b"application/json", "json"), ("JSON in UTF-8", b"application/json; charset=utf-8", "json"),
    ("JSON, vendor type", b"application/vnd.api+json", "json"), ("text/plain form", b"text/plain", "text"),
    ("text/plain in UTF-8", b"text/plain; charset=UTF-8", "text"), ("XML", b"application/xml", "xml"),
    ("XML as text", b"text/xml; charset=utf-8", "xml"), ("octet-stream", b"application/octet-stream", "urlencoded"),
    ("no Content-Type", None, "urlencoded"), ("empty Content-Type", b"", "urlencoded"),
    ("garbage Content-Type", b"foo", "urlencoded"), ("wildcard Content-Type", b"*/*", "urlencoded"),
    ("look-alike type", b"application/x-www-form-urlencoded-x", "urlencoded"),
    ("two types", b"application/x-www-form-urlencoded, text/plain", "urlencoded"),
    ("parameters without a type", b"; charset=utf-8", "urlencoded"),
    ("latin-1 byte in the type", URLENCODED + b"\xe9", "urlencoded"),
    ("multipart/mixed", b"multipart/mixed; boundary=" + CHROME_BOUNDARY, "multipart"),
    ("form-data without multipart/", b"form-data; boundary=" + CHROME_BOUNDARY, "multipart"),
]
OTHER_CHARSETS = [b"latin-1", b"ISO-8859-1", b"windows-1252", b"utf-16", b"UTF-16LE", b"utf-7", b"shift_jis",
                  b"klingon", b""]
CLEAN_QUERIES = [b"", b"utm_source=feed", b"a=%C3%A9&b=+x", b"replytocom=1", b"next=%2Fadmin%2Fcomments", b"q=",
                 b"x", b"a=1&a=2", b"%20=%20"]
USER_AGENTS = [None, b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
               "Bot é 😀".encode(), b""]
REFERERS = [None, b"http://localhost/hello/", "https://example.org/é?q=ü".encode()]
CLEAN_COOKIES = [b"", b"theme=dark", b"_ga=GA1.2.345.678", b"comment_author=not-a-token; comments_held=nor-this"]
EXTRA_FIELDS = [(b"submit", b"Post Comment"), ("é".encode(), "ü".encode()), (b"x[]", b"1")]


def _text_fields(plan: Plan) -> list[int]:
    """The indexes of the fields a person types or picks (not the session's hidden ones)."""
    return [index for index, (_, value) in enumerate(plan.fields) if not isinstance(value, Slot)]


@st.composite
def _browser_request(draw, route: Route, over_the_wire: bool) -> Plan:
    """A request as one browser or another sends the form: either encoding, any languages and agents, other
    cookies and query strings, sometimes other field values (those may be refused by the form, not the gate)."""
    plan = Plan.of(route)
    if route.method == "POST":
        if draw(st.booleans()):
            plan = replace(plan, content_type=draw(st.sampled_from([
                URLENCODED, URLENCODED + b"; charset=utf-8", URLENCODED + b"; charset=UTF-8",
                URLENCODED + b";charset=Utf-8"])))
        else:
            boundary = draw(st.sampled_from([
                b"----WebKitFormBoundary" + draw(st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789",
                                                         min_size=16, max_size=16)).encode(),
                b"-" * 27 + str(draw(st.integers(10**9, 10**12))).encode(), b"boundary'()+_,-./:=?"]))
            plan = replace(plan, boundary=boundary).as_multipart()
        if draw(st.booleans()) and plan.fields:
            plan = replace(plan, fields=tuple(draw(st.permutations(plan.fields))))
        if draw(st.integers(0, 3)) == 0:
            plan = replace(plan, fields=(*plan.fields, draw(st.sampled_from(EXTRA_FIELDS))))
        editable = _text_fields(plan)
        for index in draw(st.lists(st.sampled_from(editable), max_size=2, unique=True)) if editable else []:
            values = [browser_text.map(str.encode)]
            name = plan.fields[index][0]
            if name in (b"comment", b"body") and not over_the_wire:
                values.append(st.builds(lambda character, size: (character * size).encode(),
                                        st.sampled_from(["x", "é", "😀"]),
                                        st.sampled_from([65_525, 65_526, 1_100_000])))
            plan = replace(plan.with_field(index, value=draw(st.one_of(values))), is_filled_in=False)
    plan = replace(plan, query=draw(st.sampled_from(CLEAN_QUERIES)), cookies=draw(st.sampled_from(CLEAN_COOKIES)))
    for name, choices in ((b"Accept-Language", list(ACCEPT_LANGUAGES)), (b"User-Agent", USER_AGENTS),
                          (b"Referer", REFERERS)):
        plan = plan.with_header(name, draw(st.sampled_from(choices)))
    return plan


def _refused(plan: Plan, label: str) -> Plan:
    return replace(plan, refusals=plan.refusals | {label})


def _doubtful(plan: Plan, label: str) -> Plan:
    return replace(plan, doubts=plan.doubts | {label})


def _not_a_form(draw, plan: Plan, over_the_wire: bool) -> Plan:
    """Another content type: JSON (Flask-WTF reads it as form data), text/plain, XML, garbage, none, a
    charset other than UTF-8; sometimes with the CSRF token in its header, so the token cannot refuse it."""
    if draw(st.integers(0, 3)) == 0:
        charset = draw(st.sampled_from(OTHER_CHARSETS))
        mimetype = draw(st.sampled_from([URLENCODED, MULTIPART + b"; boundary=" + quoted(plan.boundary)]))
        encoding = "multipart" if mimetype.startswith(MULTIPART) else "urlencoded"
        plan = replace(plan, encoding=encoding, content_type=mimetype + b"; charset=" + charset,
                       body_charset={b"latin-1": "latin-1", b"ISO-8859-1": "latin-1", b"windows-1252": "cp1252",
                                     b"utf-16": "utf-16", b"UTF-16LE": "utf-16-le"}.get(charset, "utf-8"))
        return _refused(plan, f"content type: {encoding} in charset {charset.decode()!r}")
    label, content_type, encoding = draw(st.sampled_from(NOT_FORMS))
    plan = replace(plan, encoding=encoding, content_type=content_type)
    label = f"content type: {label}"
    editable = _text_fields(plan)
    if encoding == "json" and editable and draw(st.booleans()):
        index = draw(st.sampled_from(editable))
        if draw(st.booleans()):
            surrogate = draw(st.sampled_from(["\udce0", "\ud800", "\udfff"]))
            plan = plan.with_field(index, value=f"Ann{surrogate}".encode("utf-8", "surrogatepass"))
            label += ", a lone surrogate escaped"
        else:
            plan = plan.with_field(index, value=JsonValue(draw(st.sampled_from([[1, 2], 7, None, True, {"a": "b"}]))))
            label += ", a value that is not a string"
    if encoding in ("json", "text", "xml", "urlencoded") and draw(st.booleans()):
        plan = plan.with_header(b"X-CSRFToken", CSRF)
        label += ", CSRF token in its header"
    if not content_type and not plan.fields:
        return _doubtful(plan, label + " and no body: an empty form, which the route's own checks answer")
    return _refused(plan, label)


def _broken_multipart(draw, plan: Plan, over_the_wire: bool) -> Plan:
    """Multipart as no browser form without a file input sends it."""
    plan = plan.as_multipart()
    editable = _text_fields(plan)
    kind = draw(st.sampled_from(["file part", "extra file part", "RFC 5987 file part", "no boundary",
                                 "empty boundary", "other boundary", "no closing delimiter", "cut in the middle",
                                 "part in latin-1", "part without a name", "part without Content-Disposition",
                                 "multipart in latin-1"]))
    if kind == "file part" and editable:
        name = plan.fields[draw(st.sampled_from(editable))][0]
        filename = draw(st.sampled_from([b"comment.txt", b"", b"C:\\fakepath\\a.txt", "é.txt".encode()]))
        plan = replace(plan, files=((name, filename),),
                       part_headers=tuple((name, line) for line in draw(st.sampled_from(
                           [[], [b"Content-Type: text/plain"], [b"Content-Type: application/octet-stream"]]))))
        return _refused(plan, f"multipart: {name.decode()} sent as a file part" + ("" if filename else " (empty)"))
    if kind in ("file part", "extra file part"):
        part = b'Content-Disposition: form-data; name="upload"; filename="shell.php"\r\nContent-Type: application/x-php'
        plan = replace(plan, extra_parts=(part + b'\r\n\r\n<?php system($_GET["c"]); ?>',))
        return _refused(plan, "multipart: an extra file part")
    if kind == "RFC 5987 file part":
        plan = replace(plan, extra_parts=(b"Content-Disposition: form-data; name=\"note\"; "
                                          b"filename*=UTF-8''%C3%A9.txt\r\n\r\nhello",))
    elif kind == "no boundary":
        plan = replace(plan, content_type=MULTIPART)
    elif kind == "empty boundary":
        plan = replace(plan, content_type=MULTIPART + b"; boundary=")
    elif kind == "other boundary":
        plan = replace(plan, content_type=MULTIPART + b"; boundary=" + draw(st.sampled_from(
            [b"something-else", plan.boundary[:-1], plan.boundary + b"x"])))
    elif kind == "no closing delimiter":
        plan = replace(plan, cut="close")
    elif kind == "cut in the middle":
        plan = replace(plan, cut="middle")
    elif kind == "part in latin-1" and editable:
        name = plan.fields[draw(st.sampled_from(editable))][0]
        plan = replace(plan, part_headers=((name, b"Content-Type: text/plain; charset=iso-8859-1"),))
    elif kind == "part in latin-1" or kind == "part without a name":
        plan = replace(plan, extra_parts=(b"Content-Disposition: form-data\r\n\r\nno name",))
        kind = "part without a name"
    elif kind == "part without Content-Disposition":
        plan = replace(plan, extra_parts=(b"Content-Type: text/plain\r\n\r\nwho am I",))
    elif kind == "multipart in latin-1":
        plan = replace(plan, content_type=plan.content_type + b"; charset=iso-8859-1")
    return _refused(plan, f"multipart: {kind}")


def _bytes_in_a_field(draw, plan: Plan, over_the_wire: bool) -> Plan:
    """Bytes that are not text, or a control character, in a field's value or name (or a new field's)."""
    label, bad = draw(st.sampled_from(BAD_TEXT))
    editable = _text_fields(plan)
    where = draw(st.sampled_from(["value", "name", "new field"] if editable else ["new field"]))
    if where == "new field":
        field = draw(st.sampled_from([(b"note" + bad, b"x"), (b"note", bad), (bad, b"")]))
        plan = replace(plan, fields=(*plan.fields, field))
    else:
        index = draw(st.sampled_from(editable))
        name, value = plan.fields[index]
        old = name if where == "name" else _value_bytes(value)
        at = draw(st.sampled_from([0, len(old) // 2, len(old)]))
        new = old[:at] + bad + old[at:]
        if plan.encoding == "urlencoded" and draw(st.integers(0, 3)) == 0:
            new, label = Raw(new), f"{label} unescaped"
        plan = plan.with_field(index, name=new) if where == "name" else plan.with_field(index, value=new)
    return _refused(plan, f"field {where}: {label}")


def _bytes_in_the_query(draw, plan: Plan, over_the_wire: bool) -> Plan:
    label, bad = draw(st.sampled_from(BAD_TEXT))
    escaped = quote_from_bytes(bad, safe="").encode() if draw(st.integers(0, 3)) else bad
    piece = draw(st.sampled_from([b"q=" + escaped, escaped + b"=1", escaped, b"next=/admin/" + escaped]))
    query = plan.query + b"&" + piece if plan.query else piece
    return _refused(replace(plan, query=query), f"query: {label}" + ("" if escaped != bad else " unescaped"))


def _bytes_in_a_header(draw, plan: Plan, over_the_wire: bool) -> Plan:
    name = draw(st.sampled_from([b"User-Agent", b"Referer", b"Accept-Language"]))
    label, bad = draw(st.sampled_from(BAD_TEXT))
    prefix = {b"User-Agent": b"Mozilla/5.0 ", b"Referer": b"http://localhost/", b"Accept-Language": b"nl"}[name]
    return _refused(plan.with_header(name, prefix + bad), f"header {name.decode()}: {label}")


def _bytes_in_a_cookie(draw, plan: Plan, over_the_wire: bool) -> Plan:
    label, bad = draw(st.sampled_from(BAD_TEXT))
    cookie = draw(st.sampled_from([b"theme=" + bad, b"th" + bad + b"eme=dark", b"comment_author=" + bad]))
    cookies = plan.cookies + b"; " + cookie if plan.cookies else cookie
    return _refused(replace(plan, cookies=cookies), f"cookie: {label}")


def _bytes_in_the_path(draw, plan: Plan, over_the_wire: bool) -> Plan:
    label, bad = draw(st.sampled_from(BAD_TEXT))
    plan = replace(plan, path_insert=quote_from_bytes(bad, safe="").encode(), path_at=draw(st.integers(0, 5)))
    return _refused(plan, f"path: {label}")


def _open_question(draw, plan: Plan, over_the_wire: bool) -> Plan:
    """Shapes the contract does not settle: any answer but a 5xx, and a taken form stores what it said."""
    editable = _text_fields(plan)
    kinds = ["octal escape in a cookie", "tab in a header"] + (["line feed in a header"] if not over_the_wire else [])
    if plan.route.method == "POST":
        kinds += ["charset quoted", "charset utf8", "charset us-ascii", "upper-case media type",
                  "unknown parameter", "space before a parameter", "multipart in UTF-8", "boundary over 70 characters",
                  "text/plain part in UTF-8", "part typed octet-stream, no filename", "preamble and epilogue",
                  "Content-Encoding: gzip on a plain body"] + (["repeated field"] if editable else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "octal escape in a cookie":
        plan = replace(plan, cookies=b'comment_author="\\000\\377"')
    elif kind == "tab in a header":
        plan = plan.with_header(b"User-Agent", b"Mozilla/5.0\t(tab)")
    elif kind == "line feed in a header":
        plan = plan.with_header(b"User-Agent", b"Mozilla/5.0\n(line feed)")
    elif kind.startswith("charset") or kind in ("upper-case media type", "unknown parameter",
                                                 "space before a parameter"):
        plan = replace(plan, encoding="urlencoded", content_type={
            "charset quoted": URLENCODED + b'; charset="utf-8"', "charset utf8": URLENCODED + b"; charset=utf8",
            "charset us-ascii": URLENCODED + b"; charset=us-ascii",
            "upper-case media type": b"Application/X-WWW-Form-URLEncoded",
            "unknown parameter": URLENCODED + b"; foo=bar",
            "space before a parameter": URLENCODED + b" ; charset=utf-8",
        }[kind])
    elif kind == "multipart in UTF-8":
        plan = plan.as_multipart()
        plan = replace(plan, content_type=plan.content_type + b"; charset=utf-8")
    elif kind == "boundary over 70 characters":
        plan = replace(plan, boundary=b"-" * 20 + b"x" * 60, encoding="urlencoded").as_multipart()
    elif kind in ("text/plain part in UTF-8", "part typed octet-stream, no filename") and editable:
        name = plan.fields[draw(st.sampled_from(editable))][0]
        line = b"Content-Type: text/plain; charset=UTF-8" if kind.startswith("text") else \
            b"Content-Type: application/octet-stream"
        plan = replace(plan.as_multipart(), part_headers=((name, line),))
    elif kind == "preamble and epilogue":
        plan = replace(plan.as_multipart(), preamble=b"This is a multi-part message in MIME format.\r\n")
    elif kind == "Content-Encoding: gzip on a plain body":
        plan = plan.with_header(b"Content-Encoding", b"gzip")
    elif kind == "repeated field":
        index = draw(st.sampled_from(editable))
        name, value = plan.fields[index]
        again = draw(st.sampled_from([value, b"another value", b""]))
        plan = replace(plan, fields=(*plan.fields, (name, again)))
    return _doubtful(plan, kind)


BODY_ASPECTS = {"content type": _not_a_form, "multipart": _broken_multipart, "field bytes": _bytes_in_a_field}
REQUEST_ASPECTS = {"query": _bytes_in_the_query, "header": _bytes_in_a_header, "cookie": _bytes_in_a_cookie,
                   "path": _bytes_in_the_path}


@st.composite
def _plans(draw, routes, over_the_wire):
    route = draw(st.sampled_from(routes))
    plan = draw(_browser_request(route, over_the_wire))
    aspects = {**(BODY_ASPECTS if route.method == "POST" else {}), **REQUEST_ASPECTS}
    count = draw(st.sampled_from([0, 0, 1, 1, 1, 2]))
    chosen = list(draw(st.permutations(sorted(aspects)))[:count])
    if "content type" in chosen and "multipart" in chosen:
        chosen.remove("multipart")
    # An open question first: a hostile part drawn after it is not undone by it.
    if draw(st.integers(0, 7)) == 0:
        plan = _open_question(draw, plan, over_the_wire)
    for aspect in chosen:
        plan = aspects[aspect](draw, plan, over_the_wire)
    return plan


def plans(routes, over_the_wire=False) -> st.SearchStrategy[Plan]:
    """Requests to ``routes``: about a third as browsers send them, most with one or two hostile parts
    (another content type, a broken multipart body, bytes that are not text in a field, the query, a header,
    a cookie or the path), some in shapes the contract leaves open. Over the wire: no body past 64 KB, and
    only what HTTP/1.1 can carry."""
    return _plans(tuple(routes), over_the_wire)


# Explicit requests: the comment form with Accept-Language: nl, each refused for one reason.


def _comment(**changes) -> Plan:
    return Plan.of(COMMENT, **{"headers": ((b"Accept-Language", b"nl"),), **changes})


def _comment_field(name: str, value, **changes) -> Plan:
    plan = _comment(**changes)
    index = [field_name for field_name, _ in plan.fields].index(name.encode())
    return plan.with_field(index, value=value)


def _multipart_comment(**changes) -> Plan:
    return replace(_comment().as_multipart(), **changes)


def _label(plan: Plan, label: str) -> Plan:
    return _refused(plan, label)


HOSTILE = {name: _label(plan, name) for name, plan in {
    "multipart: comment as a file part (issue 12)": _multipart_comment(files=((b"comment", b"comment.txt"),)),
    "content type: JSON with a lone surrogate (issue 12)": _comment_field(
        "author", "\udce0".encode("utf-8", "surrogatepass"), encoding="json", content_type=b"application/json"),
    "content type: JSON with the CSRF token in its header": _comment(
        encoding="json", content_type=b"application/json",
        headers=((b"Accept-Language", b"nl"), (b"X-CSRFToken", CSRF))),
    "content type: JSON with a list for the author": _comment_field(
        "author", JsonValue(["Ann", "Bob"]), encoding="json", content_type=b"application/json",
        headers=((b"Accept-Language", b"nl"), (b"X-CSRFToken", CSRF))),
    "content type: text/plain form": _comment(encoding="text", content_type=b"text/plain",
                                              headers=((b"Accept-Language", b"nl"), (b"X-CSRFToken", CSRF))),
    "content type: XML": _comment(encoding="xml", content_type=b"application/xml"),
    "content type: octet-stream": _comment(content_type=b"application/octet-stream"),
    "content type: none": _comment(content_type=None),
    "content type: garbage": _comment(content_type=b"foo"),
    "content type: urlencoded in latin-1": _comment_field(
        "author", "Zoë".encode(), content_type=URLENCODED + b"; charset=latin-1", body_charset="latin-1"),
    "content type: urlencoded in UTF-16": _comment(content_type=URLENCODED + b"; charset=utf-16",
                                                   body_charset="utf-16"),
    "content type: urlencoded in an unknown charset": _comment(content_type=URLENCODED + b"; charset=klingon"),
    "content type: urlencoded with an empty charset": _comment(content_type=URLENCODED + b"; charset="),
    "multipart: no boundary": _multipart_comment(content_type=MULTIPART),
    "multipart: other boundary": _multipart_comment(content_type=MULTIPART + b"; boundary=something-else"),
    "multipart: no closing delimiter": _multipart_comment(cut="close"),
    "multipart: cut in the middle": _multipart_comment(cut="middle"),
    "multipart: an extra file part": _multipart_comment(extra_parts=(
        b'Content-Disposition: form-data; name="upload"; filename="shell.php"\r\n\r\n<?php ?>',)),
    "multipart: an empty file input": _multipart_comment(extra_parts=(
        b'Content-Disposition: form-data; name="upload"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n",)),
    "multipart: a part in latin-1": _multipart_comment(
        part_headers=((b"comment", b"Content-Type: text/plain; charset=iso-8859-1"),)),
    "multipart: a part without a name": _multipart_comment(extra_parts=(b"Content-Disposition: form-data\r\n\r\nx",)),
    "field value: %FF in the comment": _comment_field("comment", b"A thought \xff."),
    "field value: a surrogate's bytes %ED%A0%80 in the author": _comment_field("author", b"Ann \xed\xa0\x80"),
    "field value: NUL in the comment": _comment_field("comment", b"A\x00thought."),
    "field value: a control character in the url": _comment_field("url", b"https://ann.example/\x1b[31m"),
    "field value: an unescaped \\xff byte": _comment_field("comment", Raw(b"A thought \xff.")),
    "field name: \\xff in a field's name": _comment(fields=(*Plan.of(COMMENT).fields, (b"not\xffe", b"x"))),
    "field value: \\xff in a multipart part": replace(_comment_field("comment", b"A thought \xff."),
                                                      encoding="multipart",
                                                      content_type=MULTIPART + b"; boundary=" + CHROME_BOUNDARY),
    "field value: NUL in a multipart part": replace(_comment_field("author", b"Ann\x00"), encoding="multipart",
                                                    content_type=MULTIPART + b"; boundary=" + CHROME_BOUNDARY),
    "field name: a surrogate's bytes in a part's name": _multipart_comment(
        fields=(*Plan.of(COMMENT).fields, (b"n\xed\xb3\xa0me", b"x"))),
    "query: %FF": _comment(query=b"q=%FF"),
    "query: NUL": _comment(query=b"q=%00"),
    "query: a surrogate's bytes": _comment(query=b"%ED%A0%80=1"),
    "header User-Agent: latin-1 é": _comment(headers=((b"Accept-Language", b"nl"), (b"User-Agent", b"Mozilla \xe9"))),
    "header User-Agent: a control character": _comment(
        headers=((b"Accept-Language", b"nl"), (b"User-Agent", b"Mozilla\x01"))),
    "header Referer: invalid UTF-8": _comment(headers=((b"Accept-Language", b"nl"), (b"Referer", b"http://x/\xff"))),
    "header Accept-Language: latin-1 bytes": _comment(headers=((b"Accept-Language", b"nl\xe9"),)),
    "cookie: latin-1 é": _comment(cookies=b"theme=caf\xe9"),
    "path: NUL": _comment(path_insert=b"%00", path_at=0),
    "path: %FF": _comment(path_insert=b"%FF", path_at=0),
    "path: a surrogate's bytes": _comment(path_insert=b"%ED%A0%80", path_at=1),
}.items()}

# A comment as browsers send it, in each accepted encoding: padded, decomposed (NFD), with line breaks,
# non-ASCII and markup, so that "reads back as sent" means something.
BROWSER_COMMENT = {"author": "  Rene\u0301e Zoë ".encode(), "email": " Rene@Example.org ".encode(),
                   "url": "https://ann.example/é".encode(),
                   "comment": "Line one — 😀\r\nLine two <b>bold</b> & e\u0301\r\n".encode()}


def _browser_comment(content_type: bytes, **changes) -> Plan:
    plan = Plan.of(COMMENT, content_type=content_type,
                   headers=((b"Accept-Language", b"nl"), (b"User-Agent", "Mozilla/5.0 (é)".encode())), **changes)
    return replace(plan, fields=tuple((name, BROWSER_COMMENT.get(name.decode(), value)) for name, value in plan.fields))


BROWSER_FORMS = {
    "urlencoded": _browser_comment(URLENCODED),
    "urlencoded; charset=UTF-8": _browser_comment(URLENCODED + b"; charset=UTF-8"),
    "multipart (Chrome)": _browser_comment(MULTIPART + b"; boundary=" + CHROME_BOUNDARY, encoding="multipart"),
    "multipart (Firefox)": _browser_comment(MULTIPART + b"; boundary=" + FIREFOX_BOUNDARY, encoding="multipart",
                                            boundary=FIREFOX_BOUNDARY),
    "multipart, quoted boundary": _browser_comment(MULTIPART + b'; boundary="a b=c"', encoding="multipart",
                                                   boundary=b"a b=c"),
    # A browser writes a field's name in UTF-8 (HTML's multipart/form-data encoding algorithm).
    "multipart, a field named in UTF-8": replace(
        _browser_comment(MULTIPART + b"; boundary=" + CHROME_BOUNDARY, encoding="multipart"),
        fields=(*_browser_comment(URLENCODED).fields, ("é".encode(), "ü".encode()))),
}
