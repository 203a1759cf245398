"""The JSON API's read side (README "JSON API"): a page's thread and counts as the post page shows them,
the token, CORS and preflight, errors as JSON; every answer checked against its schema (tests.api_client)."""

import re

import pytest
from sqlalchemy import event

from blog.comments import CommentStatus
from blog.extensions import db
from blog.posts.models import Post, PostStatus
from blog.sanitize import COMMENT_TAGS
from tests.api_client import CORS_HEADERS, EMBEDDING, OTHER_ORIGIN, STATIC_ORIGIN, ApiClient, api, check_schema
from tests.comments.test_hostile_pages import assert_allowlisted
from tests.comments.test_privacy import AVATAR, CANARY, CANARY_MIXED_CASE
from tests.data.hostile_inputs import HOSTILE_INPUTS
from tests.factories import make_admin
from tests.pages import descendants, parse_fragment
from tests.readers import AdminActions


def ids(comments) -> list:
    """The ids of a thread's comments, each followed by the ids of its replies."""
    return [(comment["id"], ids(comment["replies"])) for comment in comments]


def test_a_thread_is_the_approved_tree_as_the_page_shows_it(matrix_blog):
    blog = matrix_blog
    first = blog.add(author="Ann", body_raw="First <b>bold</b>", email=CANARY_MIXED_CASE, url="https://ann.example/")
    reply = blog.add(parent=first, author="Bob", body_raw="A reply", ip="203.0.113.9", user_agent="Probe/1")
    blog.add(parent=reply, author="Cy", body_raw="Deeper")
    blog.add(parent=first, status=CommentStatus.PENDING, body_raw="Held")
    blog.add(status=CommentStatus.SPAM, body_raw="Spam")
    second = blog.add(author="Dee", body_raw="Second")
    blog.add(key=f"{blog.key}-other", body_raw="Another thread")

    response = api(blog).thread("/hello/")
    assert response.status_code == 200
    thread = response.get_json()
    assert {name: thread[name] for name in ("uri", "title", "open", "total", "page", "pages")} == {
        "uri": "/hello/", "title": "Hello world", "open": True, "total": 4, "page": 1, "pages": 1}
    assert ids(thread["comments"]) == [(first, [(reply, [(reply + 1, [])])]), (second, [])]
    top = thread["comments"][0]
    assert {name: top[name] for name in ("id", "parent", "author", "url", "html", "depth")} == {
        "id": first, "parent": None, "author": "Ann", "url": "https://ann.example/",
        "html": "<p>First <b>bold</b></p>", "depth": 0}
    assert top["created"].endswith("Z")
    assert top["replies"][0]["parent"] == first and top["replies"][0]["depth"] == 1
    assert top["replies"][0]["url"] is None
    text = response.get_data(as_text=True)
    assert "203.0.113.9" not in text and "Probe/1" not in text and "Held" not in text and "Spam" not in text


def test_each_comment_has_the_pages_avatar_as_an_absolute_url_another_origin_can_load(make_blog):
    """The URL names the identicon by its keyed hash, never a hash of the email (and, for every answer of
    these tests, the SVG loads and holds no trace of the email either: ApiClient.check_avatars)."""
    blog = make_blog(**EMBEDDING)
    first = blog.add(email=CANARY_MIXED_CASE, body_raw="Top")
    blog.add(parent=first, email=CANARY, body_raw="The same commenter, typed otherwise")
    blog.add(email="someone.else@example.org", body_raw="Another commenter")
    comments = api(blog, STATIC_ORIGIN).thread("/hello/").get_json()["comments"]
    [own_avatar, other_avatar] = [comment["avatar"] for comment in comments]
    assert comments[0]["replies"][0]["avatar"] == own_avatar != other_avatar
    assert re.fullmatch(r"http://localhost/comments/avatar/[0-9a-f]{32}\.svg", own_avatar)
    page_avatars = AVATAR.findall(blog.get("/hello/").get_data(as_text=True))
    assert {f"http://localhost{path}" for path in page_avatars} == {own_avatar, other_avatar}

    blog.app.config["COMMENTS_SITE_URL"] = "https://blog.example.org"
    posted = api(blog, STATIC_ORIGIN).post(email=CANARY).get_json()["comment"]
    assert posted["avatar"] == own_avatar.replace("http://localhost", "https://blog.example.org")


def test_a_thread_is_paginated_like_the_page(make_blog):
    blog = make_blog(COMMENTS_PER_PAGE=2)
    top = [blog.add(body_raw=f"Comment {number}") for number in range(5)]
    reply = blog.add(parent=top[2], body_raw="A reply on page two")
    client = api(blog)
    pages = {page: client.thread("/hello/", page).get_json() for page in ("1", "2", "3")}
    assert [ids(pages[page]["comments"]) for page in pages] == [
        [(top[0], []), (top[1], [])], [(top[2], [(reply, [])]), (top[3], [])], [(top[4], [])]]
    assert {(thread["page"], thread["pages"], thread["total"]) for thread in pages.values()} == {
        (1, 3, 6), (2, 3, 6), (3, 3, 6)}
    for nonsense in ("0", "-1", "x", "1.5", "99999999999999999999", ""):
        assert client.thread("/hello/", nonsense).get_json()["page"] == 1, nonsense
    past = client.thread("/hello/", "4")
    assert past.status_code == 404 and list(past.get_json()["errors"]) == ["page"]


@pytest.mark.parametrize("origin, settings, is_open", [
    (None, {"COMMENTS_EMBED_AUTO_THREADS": True}, False),
    (STATIC_ORIGIN, {}, False),
    (STATIC_ORIGIN, {"COMMENTS_EMBED_AUTO_THREADS": True}, True),
    (OTHER_ORIGIN, {"COMMENTS_EMBED_AUTO_THREADS": True}, False),
])
def test_an_unknown_page_is_an_empty_thread_open_only_where_a_comment_would_be_taken(make_blog, origin, settings,
                                                                                       is_open):
    blog = make_blog(**EMBEDDING, **settings)
    thread = api(blog, origin).thread("/no-such-page/").get_json()
    assert (thread["total"], thread["comments"], thread["pages"], thread["open"]) == (0, [], 1, is_open)


def test_an_unpublished_or_closed_post_shows_as_such(make_blog):
    blog = make_blog()
    blog.add(body_raw="Before it was unpublished")
    with blog.app.app_context():
        post = db.session.scalar(db.select(Post).where(Post.slug == "other"))
        post.comments_open = False
        hello = db.session.scalar(db.select(Post).where(Post.slug == "hello"))
        hello.status = PostStatus.DRAFT
        db.session.commit()
    client = api(blog)
    assert client.thread("/other/").get_json()["open"] is False
    hidden = client.thread("/hello/").get_json()
    assert (hidden["total"], hidden["comments"], hidden["open"]) == (0, [], False)


@pytest.mark.parametrize("uri", [None, "", "hello/", "//evil.example/", "/\\evil.example/", "/a page/", "/a\tb/",
                                 "/\x7f/", "/\u0085/", "/" + "a" * 200])
def test_a_uri_that_is_no_page_path_is_refused(blog, uri):
    client = api(blog)
    query = {} if uri is None else {"uri": uri}
    thread = client.request("GET", "/api/v1/threads/comments", query_string=query)
    counts = client.request("GET", "/api/v1/counts", query_string=query)
    for response in (thread, counts):
        assert response.status_code == 400
        assert list(response.get_json()["errors"]) == ["uri"]


def test_a_thread_has_a_strong_etag_and_304_until_it_changes(blog):
    blog.add(body_raw="One")
    client = api(blog)
    first = client.thread("/hello/")
    assert first.headers["ETag"].startswith('"')  # strong: no W/
    assert {"public", "max-age=60", "stale-while-revalidate=60"} <= {
        part.strip() for part in first.headers["Cache-Control"].split(",")}
    again = client.thread("/hello/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    blog.add(body_raw="Two")
    changed = client.thread("/hello/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["total"] == 2


def test_counts_answer_every_page_asked_for_in_one_count_query(blog):
    blog.add(body_raw="One")
    held = blog.add(body_raw="Two")
    blog.add(parent=held, body_raw="A reply")
    blog.add(status=CommentStatus.PENDING, body_raw="Held")
    client = api(blog)
    statements = []

    def count_statement(connection, cursor, statement, *args):
        statements.append(statement)

    with blog.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        response = client.counts("/hello/", "/other/", "/unknown/", "/hello/")
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert response.get_json() == {"counts": {"/hello/": 3, "/other/": 0, "/unknown/": 0}}
    assert sum("count(" in statement.lower() for statement in statements) == 1
    assert "public" in response.headers["Cache-Control"] and response.headers["ETag"]
    assert client.counts(*(f"/p{number}/" for number in range(100))).status_code == 200
    too_many = client.counts(*(f"/p{number}/" for number in range(101)))
    assert too_many.status_code == 400 and list(too_many.get_json()["errors"]) == ["uri"]


def test_the_token_is_never_stored_and_names_its_lifetime(embedding_blog):
    response = api(embedding_blog, STATIC_ORIGIN).request("GET", "/api/v1/token")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["expires_in"] == 24 * 3600
    assert response.headers["Access-Control-Allow-Origin"] == STATIC_ORIGIN


@pytest.mark.parametrize("origin", [OTHER_ORIGIN, "null", "http://static.example.org", "https://static.example.org:8443",
                                    "https://static.example.org.evil.example", "file://"])
def test_an_origin_not_listed_gets_no_cors_headers_and_no_token(embedding_blog, origin):
    client = api(embedding_blog, origin)
    token = client.request("GET", "/api/v1/token")
    assert token.status_code == 403 and list(token.get_json()["errors"]) == ["origin"]
    thread = client.thread("/hello/")
    assert thread.status_code == 200  # reading is public; only the browser is not told it may share it
    preflight = client.request("OPTIONS", "/api/v1/threads/comments")
    assert preflight.status_code == 403
    for response in (token, thread, preflight):
        assert not [name for name in CORS_HEADERS if name in response.headers], origin


def test_a_listed_origin_is_named_back_matched_without_case(make_blog):
    blog = make_blog(COMMENTS_EMBED_ORIGINS=["HTTPS://Static.Example.ORG", "*", "https://other.example/path"])
    listed = api(blog, STATIC_ORIGIN).thread("/hello/")
    assert listed.headers["Access-Control-Allow-Origin"] == STATIC_ORIGIN
    assert "Origin" in listed.headers["Vary"]
    # "*" and an origin with a path are no origins: they allow nobody, and never every origin.
    for origin in ("https://anything.example", "https://other.example"):
        assert "Access-Control-Allow-Origin" not in api(blog, origin).thread("/hello/").headers


def test_own_origin_needs_no_listing_and_no_cors_headers(blog):
    client = api(blog, "http://localhost")
    assert client.request("GET", "/api/v1/token").status_code == 200
    preflight = client.request("OPTIONS", "/api/v1/threads/comments")
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert api(blog).request("GET", "/api/v1/token").status_code == 200  # no Origin: our own


@pytest.mark.parametrize("path", ["/api/v1/threads/comments", "/api/v1/token", "/api/v1/comments/7"])
def test_a_preflight_from_a_listed_origin_says_what_may_be_sent(embedding_blog, path):
    response = api(embedding_blog, STATIC_ORIGIN).request("OPTIONS", path, headers={
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert {name: response.headers.get(name) for name in CORS_HEADERS[:4]} == {
        "Access-Control-Allow-Origin": STATIC_ORIGIN,
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
        "Access-Control-Allow-Headers": "Content-Type, X-Comments-Token, X-Comments-Edit-Token",
        "Access-Control-Max-Age": "600"}


@pytest.mark.parametrize("method, path, status, allow", [
    ("GET", "/api/v1/nothing-here", 404, None),
    ("POST", "/api/v1/nothing-here", 404, None),
    ("DELETE", "/api/v1/token", 405, {"GET", "OPTIONS"}),
    ("PUT", "/api/v1/threads/comments", 405, {"GET", "POST", "OPTIONS"}),
    ("POST", "/api/v1/counts", 405, {"GET", "OPTIONS"}),
])
def test_errors_outside_the_endpoints_are_json_too(blog, method, path, status, allow):
    response = api(blog).request(method, path)
    assert response.status_code == status
    assert list(response.get_json()["errors"]) == ["request"]
    if allow:
        assert {method.strip() for method in response.headers["Allow"].split(",")} == allow


def test_no_cookie_is_read_or_set_by_the_api(blog):
    """A signed-in admin's session and a held-comment cookie change nothing: the API answers them what it
    answers everyone, and sets no cookie (check_answer)."""
    held = blog.add(status=CommentStatus.PENDING, body_raw="Held for its author")
    stranger = api(blog)
    with blog.app.app_context():
        make_admin()
    assert AdminActions(blog.client).login().status_code in (302, 303)
    blog.client.set_cookie("comments_held", str(held))
    signed_in = ApiClient(blog.client)
    for ask in (lambda client: client.thread("/hello/"), lambda client: client.counts("/hello/")):
        assert ask(signed_in).get_data() == ask(stranger).get_data()
    assert signed_in.thread("/hello/").get_json()["comments"] == []


def test_every_hostile_text_is_served_as_sanitized_html_only(make_blog):
    blog = make_blog(COMMENTS_PER_PAGE=len(HOSTILE_INPUTS))
    for payload in HOSTILE_INPUTS:
        blog.add(body_raw=payload, author=payload[:245] or "x")
    thread = api(blog).thread("/hello/")
    assert thread.headers["Content-Type"] == "application/json"
    comments = thread.get_json()["comments"]
    assert len(comments) == len(HOSTILE_INPUTS)
    for index, comment in enumerate(comments):
        context = f"HOSTILE_INPUTS[{index}]"
        fragment = parse_fragment(comment["html"])
        assert_allowlisted(fragment, context)
        assert {element.tag for element in descendants(fragment)} <= set(COMMENT_TAGS), context
        assert comment["author"] == (HOSTILE_INPUTS[index][:245] or "x"), context  # text, for the embed to show as text


def test_the_schemas_themselves_are_valid_draft_2020_12():
    from jsonschema import Draft202012Validator

    from tests.api_client import SCHEMAS

    assert len(SCHEMAS) >= 9
    for name, schema in SCHEMAS.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        Draft202012Validator.check_schema(schema)
    check_schema("counts-request", {"uri": ["/a/", "/b/"]})
    check_schema("thread-request", {"uri": "/a/", "page": "2"})


def test_the_apis_own_messages_are_dutch_for_a_dutch_reader(embedding_blog):
    dutch = api(embedding_blog, "https://evil.example", language="nl")
    assert dutch.request("GET", "/api/v1/token").get_json() == {"errors": {"origin": [
        "Pagina’s van deze oorsprong mogen de reacties van deze site niet gebruiken."]}}
    assert dutch.thread("//x").get_json()["errors"]["uri"][0].startswith("Geef het pad van de pagina op")
    assert dutch.request("GET", "/api/v1/nothing").get_json() == {"errors": {"request": [
        "Op dit adres is niets te vinden."]}}
