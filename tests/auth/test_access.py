"""Every /admin page and action is for signed-in admins only: taken from the app's own URL map, so
a page added later is checked without anyone remembering to."""

from urllib.parse import urlsplit

import pytest
from flask import url_for

from blog import create_app
from blog.comments import CommentStatus
from blog.extensions import URL_ID, db
from blog.posts.models import PostStatus
from tests.factories import make_comment, make_post
from tests.readers import CSRF_TOKEN

PUBLIC = {"/admin/login"}
METHODS = ("GET", "POST")

# What only an admin may see: a held comment's email, IP, name and text, and a draft's title and text.
SECRETS = {
    "email": "private.person@example.org",
    "ip": "203.0.113.77",
    "author": "Pat Pending-Person",
    "text": "Held words nobody may read yet",
    "draft title": "Unpublished plans for the blog",
    "draft text": "Draft body nobody may read yet",
}


def admin_routes() -> list[tuple[str, str, str]]:
    """(rule, endpoint, method) for every /admin rule but the sign-in page, from a fresh app."""
    app = create_app({"TESTING": True, "SECRET_KEY": "routes", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     instance_path="/nonexistent/instance")
    routes = [(rule.rule, rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/admin") and rule.rule not in PUBLIC
              for method in METHODS if method in rule.methods]
    return sorted(routes)


ROUTES = admin_routes()
GET_ROUTES = [route for route in ROUTES if route[2] == "GET"]
ADMIN_ACTIONS = [route for route in ROUTES if route[2] == "POST" and route[1] != "auth.logout"]


def route_id(route) -> str:
    return f"{route[2]} {route[0]}"


@pytest.fixture
def site(app):
    """A published post with a held comment, and a draft: what the admin pages show."""
    with app.app_context():
        post = make_post(slug="hello", title="Hello world")
        draft = make_post(slug="plans", title=SECRETS["draft title"], source=SECRETS["draft text"],
                          status=PostStatus.DRAFT)
        comment = make_comment(f"post-{post.id}", email=SECRETS["email"], ip=SECRETS["ip"],
                               author=SECRETS["author"], body_raw=SECRETS["text"], status=CommentStatus.PENDING)
        return {"post_id": draft.id, "comment_id": comment.id, "action": "approve"}


def url_of(app, endpoint, values) -> str:
    with app.test_request_context():
        (rule,) = app.url_map.iter_rules(endpoint)
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def form_data(token, values) -> dict:
    """One body that every admin form would accept: each view takes the fields it knows."""
    return {"csrf_token": token, "action": "approve", "ids": [str(values["comment_id"])],
            "author": "Changed Name", "email": SECRETS["email"], "url": "", "comment": "Changed text",
            "title": "Changed title", "body": "Changed body", "is_published": "y", "comments_open": "y",
            "save": "Save", "erase": "Erase", "confirm_erase": "Yes, erase"}


def token_from(client, page) -> str:
    with client.get(page) as response:
        return CSRF_TOKEN.search(response.get_data(as_text=True)).group(1)


def snapshot(app) -> dict:
    """Every row of every table."""
    with app.app_context():
        return {table.name: sorted((tuple(row) for row in db.session.execute(table.select())), key=repr)
                for table in db.metadata.sorted_tables}


def send(client, method, url, data):
    """The request, read and closed."""
    with client.open(url, method=method, data=data if method == "POST" else None) as response:
        response.get_data()
    return response


def test_every_admin_page_is_checked():
    """The URL map still holds the pages this file was written against (and the checks cover them)."""
    assert {rule for rule, _, _ in ROUTES} >= {
        "/admin/", "/admin/logout", "/admin/posts", "/admin/posts/new", f"/admin/posts/<{URL_ID}:post_id>/edit",
        "/admin/comments", f"/admin/comments/<{URL_ID}:comment_id>/<action>", "/admin/comments/bulk",
        f"/admin/comments/<{URL_ID}:comment_id>/edit", f"/admin/comments/<{URL_ID}:comment_id>/reply",
        "/admin/comments/undo",
    }


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_anonymous_visitor_is_sent_to_sign_in_and_changes_nothing(app, client, site, route):
    """Even with a valid CSRF token from the sign-in page, a visitor who is not signed in is sent to
    sign in, sees none of the admin's data, and changes nothing."""
    _, endpoint, method = route
    token = token_from(client, "/admin/login")
    before = snapshot(app)
    response = send(client, method, url_of(app, endpoint, site), form_data(token, site))
    if response.status_code in (302, 303):
        assert urlsplit(response.headers["Location"]).path == "/admin/login"
    else:
        assert response.status_code in (401, 403)
    body = response.get_data(as_text=True) + str(response.headers)
    assert [name for name, secret in SECRETS.items() if secret in body] == []
    assert snapshot(app) == before


@pytest.mark.parametrize("route", ADMIN_ACTIONS, ids=route_id)
def test_the_same_request_from_an_admin_does_change_something(app, admin, site, route):
    """The control for the test above: the body it sends is one the view acts on."""
    _, endpoint, _ = route
    assert admin.login().status_code == 303
    token = token_from(admin.client, "/admin/posts/new")
    data = form_data(token, site)
    if endpoint == "comments_admin.undo":  # Undo has something to change once an action was taken
        send(admin.client, "POST", url_of(app, "comments_admin.moderate", site), data)
        with admin.client.session_transaction() as session:
            data["token"] = session["comments_undo"]["token"]
    before = snapshot(app)
    response = send(admin.client, "POST", url_of(app, endpoint, site), data)
    assert response.status_code in (302, 303)
    assert snapshot(app) != before


@pytest.mark.parametrize("route", GET_ROUTES, ids=route_id)
def test_signed_in_admin_gets_every_page(app, admin, site, route):
    _, endpoint, _ = route
    assert admin.login().status_code == 303
    response = send(admin.client, "GET", url_of(app, endpoint, site), None)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"


def test_signed_in_admin_sees_the_held_comment_and_the_draft(admin, site):
    """The data the anonymous checks look for is really on the admin pages."""
    assert admin.login().status_code == 303
    queue = send(admin.client, "GET", "/admin/comments?status=pending", None).get_data(as_text=True)
    posts = send(admin.client, "GET", "/admin/posts", None).get_data(as_text=True)
    for name in ("email", "ip", "author", "text"):
        assert SECRETS[name] in queue, name
    assert SECRETS["draft title"] in posts
