"""Headers and cookies on every response (DESIGN.md section 8b, issue 5): a Content-Security-Policy that
runs no inline script, no sniffing, a referrer policy, no framing, HSTS over HTTPS only; pages that need
nothing inline; the Host header checked against TRUSTED_HOSTS; session cookies that scripts cannot read."""

import pytest
from flask import abort
from werkzeug.security import generate_password_hash

from blog.auth.models import Admin
from blog.comments.models import CommentStatus
from blog.extensions import db
from tests.factories import make_app, make_comment, make_post
from tests.pages import elements, parse_page
from tests.readers import CSRF_TOKEN

PASSWORD = "correct horse battery staple"
MAX_BODY = 10_000
# Markup a reader might type into a comment, and an admin into a post: none of it may come out active.
HOSTILE_MARKUP = ('<b style="color:red" onclick="alert(1)">bold</b> <script>alert(2)</script> '
                  '<img src="x" onerror="alert(3)"> <a href="javascript:alert(4)" onmouseover="alert(5)">x</a>')
# Each keeps the referrer from other sites while still sending this site's own origin, which Flask-WTF's
# CSRF check over HTTPS requires (a browser told "no-referrer" would fail every form there).
REFERRER_POLICIES = {"same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def quick_admin():
    """An admin "boss" whose password hash is quick to check (the tests sign in often), committed."""
    db.session.add(Admin(username="boss", password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")))
    db.session.commit()


@pytest.fixture
def site(tmp_path):
    """The blog with a post holding hostile markup, comments (one of them hostile, one held), an admin,
    and a route that fails as a bug would."""
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=MAX_BODY, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    @app.get("/forbidden")
    def forbidden():
        abort(403)

    with app.app_context():
        db.create_all()
        post = make_post(slug="hello", title="Hello world",
                         source="| a | b |\n|:--|--:|\n| 1 | 2 |\n\n" + HOSTILE_MARKUP)
        key = f"post-{post.id}"
        first = make_comment(key, body_raw=HOSTILE_MARKUP)
        make_comment(key, body_raw="A reply.", parent=first)
        make_comment(key, body_raw="Held " + HOSTILE_MARKUP, status=CommentStatus.PENDING)
        quick_admin()
        app.post_id, app.comment_id = post.id, first.id
    yield app
    with app.app_context():
        db.engine.dispose()


def sign_in(client, base_url):
    """Sign in as a browser does: over HTTPS it sends this site's page as the Referer."""
    with client.get("/admin/login", base_url=base_url) as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    with client.post("/admin/login", base_url=base_url, headers={"Referer": base_url + "/admin/login"},
                     data={"username": "boss", "password": PASSWORD, "csrf_token": token}) as response:
        assert response.status_code == 303
        return response.headers.getlist("Set-Cookie")


def fetch(app, kind, scheme="http"):
    """One response of each kind the site gives, read and closed."""
    base_url = f"{scheme}://localhost"
    client = app.test_client()
    requests = {
        "home page": ("GET", "/", {}),
        "post page": ("GET", "/hello/", {}),
        "404": ("GET", "/no-such-page/", {}),
        "403": ("GET", "/forbidden", {}),
        "405": ("DELETE", "/", {}),
        "413": ("POST", "/hello/comments", {"data": {"comment": "x" * (MAX_BODY + 1)}}),
        "400": ("POST", "/hello/comments", {"data": {"comment": "no token"}}),
        "500": ("GET", "/boom", {}),
        "redirect": ("GET", "/admin/", {}),
        "healthz": ("GET", "/healthz", {}),
        "static file": ("GET", "/static/css/site.css", {}),
        "plugin's static file": ("GET", "/comments/static/reply.js", {}),
        "admin page": ("GET", "/admin/comments", {}),
    }
    method, path, options = requests[kind]
    if kind == "admin page":
        sign_in(client, base_url)
    with client.open(path, method=method, base_url=base_url, **options) as response:
        response.get_data()
    return response


KINDS = ["home page", "post page", "404", "403", "405", "413", "400", "500", "redirect", "healthz",
         "static file", "plugin's static file", "admin page"]
EXPECTED_STATUS = {"home page": 200, "post page": 200, "404": 404, "403": 403, "405": 405, "413": 413,
                   "400": 400, "500": 500, "redirect": 302, "healthz": 200, "static file": 200,
                   "plugin's static file": 200, "admin page": 200}


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive name → sources."""
    directives = {}
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        if name:
            directives[name.lower()] = sources
    return directives


@pytest.mark.parametrize("kind", KINDS)
def test_every_response_carries_the_security_headers(site, kind):
    response = fetch(site, kind)
    assert response.status_code == EXPECTED_STATUS[kind]
    csp = policy(response)
    assert "script-src" in csp or "default-src" in csp
    for directive in ("script-src", "default-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(csp.get(directive, []))
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp.get("object-src") == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in REFERRER_POLICIES
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("kind", KINDS)
def test_hsts_only_over_https(site, kind):
    response = fetch(site, kind, scheme="https")
    assert response.status_code == EXPECTED_STATUS[kind]
    hsts = response.headers["Strict-Transport-Security"]
    max_age = dict(part.strip().partition("=")[::2] for part in hsts.split(";"))["max-age"]
    assert int(max_age) >= 180 * 24 * 3600
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_no_hsts_over_plain_http_even_behind_an_untrusted_proxy_header(site):
    """X-Forwarded-Proto is not believed unless PROXY_FIX_X_PROTO says a proxy is there."""
    with site.test_client().get("/", headers={"X-Forwarded-Proto": "https"}) as response:
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_behind_a_trusted_proxy_that_says_https(tmp_path):
    app = make_app(tmp_path, PROXY_FIX_X_PROTO=1)
    with app.app_context():
        db.create_all()
    with app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"}) as response:
        assert "Strict-Transport-Security" in response.headers


def page_paths(app) -> list[str]:
    return ["/", "/hello/", f"/hello/?replytocom={app.comment_id}", "/no-such-page/", "/boom", "/admin/login"]


ADMIN_PATHS = ["/admin/", "/admin/comments", "/admin/comments?status=approved", "/admin/comments?status=spam",
               "/admin/posts", "/admin/posts/new"]


def inline_code(markup: str) -> list[str]:
    """What a CSP without 'unsafe-inline' would block: inline scripts (JSON-LD data aside), event-handler
    attributes, style attributes and style elements, javascript: links."""
    found = []
    for element in elements(parse_page(markup)):
        if element.tag == "script" and not element.get("src") and element.get("type") != "application/ld+json":
            found.append(f"<script> {(element.text or '')[:40]!r}")
        if element.tag == "style":
            found.append("<style>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() == "style":
                found.append(f"<{element.tag} {name}>")
            if name in ("href", "src", "action") and value.strip().lower().startswith("javascript:"):
                found.append(f"<{element.tag} {name}={value}>")
    return found


def test_public_pages_need_nothing_inline(site):
    client = site.test_client()
    for path in page_paths(site):
        with client.get(path) as response:
            assert inline_code(response.get_data(as_text=True)) == [], path
    # The page again with the form's errors, and the comment a reader's own browser sees while it is held.
    with client.get("/hello/") as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    for data in ({"csrf_token": token, "comment": HOSTILE_MARKUP},
                 {"csrf_token": token, "comment": HOSTILE_MARKUP, "author": "A", "email": "a@example.org"}):
        with client.post("/hello/comments", data=data, follow_redirects=True) as response:
            assert inline_code(response.get_data(as_text=True)) == []


def test_admin_pages_need_nothing_inline(site):
    client = site.test_client()
    sign_in(client, "http://localhost")
    paths = [*ADMIN_PATHS, f"/admin/posts/{site.post_id}/edit", f"/admin/comments/{site.comment_id}/edit"]
    for path in paths:
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert inline_code(response.get_data(as_text=True)) == [], path
    # The post preview renders the admin's Markdown.
    with client.get("/admin/posts/new") as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    with client.post("/admin/posts/new", data={"csrf_token": token, "title": "T", "body": HOSTILE_MARKUP,
                                               "preview": "Preview"}) as response:
        assert response.status_code == 200
        assert inline_code(response.get_data(as_text=True)) == []


def test_admin_pages_and_the_privacy_export_are_never_stored(site):
    """They show commenters' addresses and IPs: no browser or proxy may keep a copy (issue 18, point 7)."""
    client = site.test_client()
    with client.get("/admin/login") as page:
        assert page.cache_control.no_store
    sign_in(client, "http://localhost")
    paths = [*ADMIN_PATHS, f"/admin/posts/{site.post_id}/edit", f"/admin/comments/{site.comment_id}/edit",
             "/admin/comments/privacy"]
    for path in paths:
        with client.get(path) as response:
            assert response.status_code == 200, path
            assert response.cache_control.no_store, path
    with client.get("/admin/comments/privacy") as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    with client.post("/admin/comments/privacy", data={"csrf_token": token, "email": "reader@example.org",
                                                      "export": "Export"}) as export:
        assert export.mimetype == "application/json" and "reader@example.org" in export.get_data(as_text=True)
        assert export.cache_control.no_store


def test_host_header_from_the_trusted_list_is_served(tmp_path):
    app = make_app(tmp_path, TRUSTED_HOSTS=["blog.example.org"])
    with app.app_context():
        db.create_all()
    with app.test_client().get("/", headers={"Host": "blog.example.org"}) as response:
        assert response.status_code == 200


def test_host_header_outside_the_trusted_list_is_400(tmp_path):
    app = make_app(tmp_path, TRUSTED_HOSTS=["blog.example.org"], PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        db.create_all()
    with app.test_client().get("/", headers={"Host": "evil.example"}) as response:
        assert response.status_code == 400
        assert "evil.example" not in response.get_data(as_text=True)
        assert response.headers["X-Frame-Options"] == "DENY"


def cookie_attributes(header: str) -> tuple[str, set[str]]:
    """A Set-Cookie header's name and its attributes (lower case, values dropped)."""
    name = header.split("=", 1)[0]
    attributes = {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}
    samesite = next((part.strip().split("=", 1)[1] for part in header.split(";")[1:]
                     if part.strip().lower().startswith("samesite=")), None)
    return name, attributes | ({f"samesite={samesite.lower()}"} if samesite else set())


def cookies_set_by_a_visit(app, scheme) -> dict[str, set[str]]:
    """Every cookie the site sets while a reader reads a post, posts a held comment asking to be
    remembered, and an admin signs in."""
    base_url = f"{scheme}://localhost"
    client = app.test_client()
    cookies = {}
    with client.get("/hello/", base_url=base_url) as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
        headers = page.headers.getlist("Set-Cookie")
    data = {"csrf_token": token, "author": "A", "email": "a@example.org", "comment": "Held, and remember me.",
            "remember": "y", "parent": "0"}
    with client.post("/hello/comments", base_url=base_url, headers={"Referer": base_url + "/hello/"},
                     data=data) as response:
        assert response.status_code == 303
        headers += response.headers.getlist("Set-Cookie")
    headers += sign_in(app.test_client(), base_url)
    for header in headers:
        name, attributes = cookie_attributes(header)
        cookies.setdefault(name, set()).update(attributes)
    return cookies


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(site):
    cookies = cookies_set_by_a_visit(site, "http")
    assert {"httponly", "samesite=lax"} <= cookies["session"]
    assert "secure" not in cookies["session"]


def test_session_cookie_is_secure_over_https(site):
    cookies = cookies_set_by_a_visit(site, "https")
    assert {"httponly", "samesite=lax", "secure"} <= cookies["session"]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_cookie_is_httponly_and_lax_and_secure_exactly_over_https(site, scheme):
    cookies = cookies_set_by_a_visit(site, scheme)
    assert {"session", "comments_held", "comment_author"} <= set(cookies)
    for name, attributes in cookies.items():
        assert {"httponly", "samesite=lax"} <= attributes, name
        assert ("secure" in attributes) == (scheme == "https"), name


def test_post_page_scripts_come_from_this_site(site):
    with site.test_client().get("/hello/") as response:
        tree = parse_page(response.get_data(as_text=True))
    sources = [element.get("src") for element in elements(tree) if element.tag == "script" and element.get("src")]
    assert sources and all(source.startswith("/") and not source.startswith("//") for source in sources)
