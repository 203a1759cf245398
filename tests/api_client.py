"""A page (of our own origin or another) using the comments' JSON API. Every answer is checked against its
JSON Schema (blog/comments/schemas/), for what every API answer promises (nosniff, no cookie, no wildcard
origin, no credentials), for any trace of the privacy tests' canary email, and for avatars that another
origin can load and that give no email away; every body sent through ``post`` and ``edit`` is checked
against the request's schema."""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import blog.comments
from tests.comments.test_privacy import assert_no_email

SCHEMA_FOLDER = Path(blog.comments.__file__).parent / "schemas"
SCHEMAS = {path.stem: json.loads(path.read_text()) for path in SCHEMA_FOLDER.glob("*.json")}
REGISTRY = Registry().with_resources((schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values())
STATIC_ORIGIN = "https://static.example.org"
# The settings of a blog that the static site may embed, an origin it does not list, and the CORS headers.
EMBEDDING = {"COMMENTS_EMBED_ORIGINS": [STATIC_ORIGIN]}
OTHER_ORIGIN = "https://evil.example"
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                "Access-Control-Max-Age", "Access-Control-Expose-Headers")
EDIT_TOKEN_HEADER = "X-Comments-Edit-Token"
COMMENT_PATH = re.compile(r"/api/v1/comments/[^/]+")


def check_schema(name: str, instance):
    """Fail with every way ``instance`` breaks the schema ``name``."""
    validator = Draft202012Validator(SCHEMAS[name], registry=REGISTRY)
    problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                for error in validator.iter_errors(instance)]
    assert not problems, f"{name}: {problems}"


def schema_of(method: str, path: str, status: int) -> str | None:
    """The schema an answer's body follows; None for one without a body (204, 304)."""
    if status in (204, 304):
        return None
    if status >= 400:
        return "errors-response"
    path = path.partition("?")[0]
    if method == "PUT" and COMMENT_PATH.fullmatch(path):
        return "comment-edited-response"
    return {("GET", "/api/v1/token"): "token-response", ("GET", "/api/v1/threads/comments"): "thread-response",
            ("GET", "/api/v1/counts"): "counts-response",
            ("POST", "/api/v1/threads/comments"): "comment-posted-response",
            ("POST", "/api/v1/preview"): "preview-response"}[method, path]


class ApiClient:
    """The API as a script on a page of ``origin`` calls it (None: a client that sends no Origin, as a
    same-origin GET does), with ``fetch(…, {credentials: "omit"})``."""

    def __init__(self, client, origin: str | None = None, language: str | None = None):
        self.client = client
        self.origin = origin
        self.language = language
        self.avatars_checked = set()

    def request(self, method: str, path: str, headers=None, **options):
        sent = {**({"Origin": self.origin} if self.origin else {}),
                **({"Accept-Language": self.language} if self.language else {}), **(headers or {})}
        with self.client.open(path, method=method, headers=sent, **options) as response:
            response.get_data()
        check_answer(method, path, response)
        self.check_avatars(response)
        return response

    def check_avatars(self, response):
        """Each avatar an answer names is an absolute URL of this site's, whose SVG loads (from any origin:
        an image needs no CORS) and, like its URL, holds no trace of the email (checked once per URL)."""
        if response.mimetype != "application/json" or response.status_code >= 300:
            return
        for url in set(avatars_in(response.get_json())) - self.avatars_checked:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.netloc, url
            with self.client.get(parts.path, headers={"Origin": self.origin} if self.origin else {}) as image:
                assert image.status_code == 200 and image.mimetype == "image/svg+xml", url
                assert_no_email(image, f"the avatar {url}")
            self.avatars_checked.add(url)

    def token(self) -> dict:
        response = self.request("GET", "/api/v1/token")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def thread(self, uri="/hello/", page=None, headers=None):
        query = {"uri": uri, **({"page": page} if page is not None else {})}
        return self.request("GET", "/api/v1/threads/comments", headers=headers, query_string=query)

    def counts(self, *uris):
        return self.request("GET", "/api/v1/counts", query_string=[("uri", uri) for uri in uris])

    def post(self, uri="/hello/", headers=None, **fields):
        """Post a comment with a fresh token and stamp and sensible fields; a field given as None is left out."""
        body = {"author": "Ann Reader", "email": "ann@example.org", "comment": "Thank you!", **self.token()}
        body.pop("expires_in")
        body.update(fields)
        body = {name: value for name, value in body.items() if value is not None}
        check_schema("comment-request", body)
        return self.post_raw(json.dumps(body), uri=uri, headers=headers)

    def post_raw(self, data, uri="/hello/", content_type="application/json", headers=None):
        """Post any body, as a bot would."""
        return self.request("POST", "/api/v1/threads/comments", headers=headers, query_string={"uri": uri},
                            data=data, content_type=content_type)

    def preview(self, text, **fields):
        """The preview of ``text``, with a fresh token unless ``fields`` give one."""
        body = {"comment": text, "token": self.token()["token"], **fields}
        check_schema("preview-request", body)
        return self.preview_raw(json.dumps(body))

    def preview_raw(self, data, content_type="application/json", headers=None):
        """POST any body to the preview, as a bot would."""
        return self.request("POST", "/api/v1/preview", data=data, content_type=content_type, headers=headers)

    def edit(self, comment_id, text, edit_token: str | None):
        """Change a comment's text with its edit token (None: no token header)."""
        body = {"comment": text}
        check_schema("comment-edit-request", body)
        return self.edit_raw(comment_id, json.dumps(body), edit_token)

    def edit_raw(self, comment_id, data, edit_token: str | None, content_type="application/json", headers=None):
        """PUT any body, as a bot would."""
        return self.request("PUT", f"/api/v1/comments/{comment_id}", data=data, content_type=content_type,
                            headers={**edit_token_header(edit_token), **(headers or {})})

    def delete(self, comment_id, edit_token: str | None):
        return self.request("DELETE", f"/api/v1/comments/{comment_id}", headers=edit_token_header(edit_token))


def edit_token_header(edit_token: str | None) -> dict:
    return {EDIT_TOKEN_HEADER: edit_token} if edit_token is not None else {}


def avatars_in(answer) -> list[str]:
    """The avatar of every comment an answer holds, replies included."""
    comments = answer.get("comments") or ([answer["comment"]] if "comment" in answer else [])
    found = []
    while comments:
        comment = comments.pop()
        found.append(comment["avatar"])
        comments.extend(comment["replies"])
    return found


def check_answer(method: str, path: str, response):
    """What every answer of the API promises, and its body's schema."""
    where = f"{method} {path} ({response.status_code})"
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert "Set-Cookie" not in response.headers, where
    assert response.headers.get("Access-Control-Allow-Origin") != "*", where
    assert "Access-Control-Allow-Credentials" not in response.headers, where
    assert "origin" in response.headers.get("Vary", "").lower(), where
    assert_no_email(response, where)
    schema = schema_of(method, path, response.status_code)
    if schema is None:
        assert response.get_data() == b"", where
        return
    assert response.mimetype == "application/json", where
    check_schema(schema, response.get_json())


def api(blog, origin=None, language=None) -> "ApiClient":
    """An API client on a test blog (tests.comments.conftest's make_blog), as a page of ``origin`` would call it."""
    return ApiClient(blog.app.test_client(), origin, language)
