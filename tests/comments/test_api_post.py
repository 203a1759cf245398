"""POST /api/v1/threads/comments: every outcome of the contract, through the same form and posting flow as
the page's form, on every database; hostile bodies get a clear 4xx and change nothing. Every answer and
every body posted is checked against its schema (tests.api_client)."""

import json

import pytest
from sqlalchemy import func, select

from blog.comments import Comment, CommentStatus, comment_posted, comment_will_be_posted
from blog.comments.api_tokens import issue_api_token
from blog.comments.embedded_threads import EmbeddedThread, thread_key
from blog.comments.notifications import site_url
from blog.comments.timing import current_window, issue_window_stamp
from blog.extensions import db
from blog.posts.models import Post, PostStatus
from tests.api_client import EMBEDDING, STATIC_ORIGIN, ApiClient, api
from tests.comments.test_hostile_pages import assert_allowlisted, typed
from tests.comments.test_privacy import CANARY, CANARY_MIXED_CASE
from tests.data.hostile_inputs import HOSTILE_INPUTS
from tests.factories import make_admin
from tests.pages import parse_fragment
from tests.readers import AdminActions, Reader

FLOOD = "You are posting comments too quickly. Slow down."
DUPLICATE = "Duplicate comment detected; it looks as though you’ve already said that!"
EXPIRED = "This form has expired or did not come from this site. Nothing was posted; please send it again."


def errors(response) -> dict:
    return response.get_json()["errors"]


def count(blog) -> int:
    with blog.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comment))


def test_an_approved_comment_is_201_with_itself_and_its_place(matrix_blog):
    blog = matrix_blog
    posted = []
    with comment_posted.connected_to(lambda sender, comment, target: posted.append(comment.id), blog.app):
        response = api(blog).post(comment="Hello <em>there</em>", url="https://ann.example/", email=CANARY_MIXED_CASE,
                                  headers={"User-Agent": "Embed/1.0"})
    assert response.status_code == 201
    answer = response.get_json()
    comment = blog.comment(answer["comment"]["id"])
    assert answer["status"] == "approved" and posted == [comment.id]
    assert answer["comment"]["html"] == "<p>Hello <em>there</em></p>" and answer["comment"]["url"] == "https://ann.example/"
    assert response.headers["Location"] == f"http://localhost/hello/#comment-{comment.id}"
    assert (comment.status, comment.email, comment.user_agent, comment.ip) == (
        CommentStatus.APPROVED, CANARY, "Embed/1.0", "127.0.0.1")
    assert [node["id"] for node in api(blog).thread().get_json()["comments"]] == [comment.id]


def test_a_reply_nests_under_its_parent_and_a_parent_elsewhere_is_refused(matrix_blog):
    blog = matrix_blog
    parent = blog.add(body_raw="A question")
    elsewhere = blog.add(key=f"{blog.key}-not-this-one", body_raw="Elsewhere")
    reply = api(blog).post(parent=parent, comment="An answer")
    assert reply.status_code == 201 and reply.get_json()["comment"]["depth"] == 1
    assert [node["replies"][0]["id"] for node in api(blog).thread().get_json()["comments"]] == [
        reply.get_json()["comment"]["id"]]
    for bad_parent in (elsewhere, 2**31, 10**30, -1):
        response = api(blog).post(parent=bad_parent, comment=f"Lost {bad_parent}") if bad_parent >= 0 else \
            api(blog).post_raw(json.dumps({"parent": bad_parent, **fields_of(blog)}))
        assert response.status_code == 400 and list(errors(response)) == ["parent"], bad_parent


def fields_of(blog, origin=None) -> dict:
    token = api(blog, origin).token()
    return {"author": "Ann", "email": "ann@example.org", "comment": "Hi", "token": token["token"],
            "issued": token["issued"]}


def test_a_held_comment_is_202_with_the_moderation_notice(make_blog):
    blog = make_blog(COMMENTS_MODERATION="all")
    response = api(blog, language="nl").post(comment="Wait for me")
    assert response.status_code == 202
    assert response.get_json()["status"] == "held"
    assert response.get_json()["message"] == "Uw reactie is in afwachting van moderatie."
    assert "Location" not in response.headers
    assert blog.comments()[0].status is CommentStatus.PENDING


@pytest.mark.parametrize("language, messages", [
    (None, {"author": ["Please fill the required fields."], "email": ["Please enter a valid email address."],
            "comment": ["Please type your comment text."]}),
    ("nl", {"author": ["Vul alstublieft de vereiste velden in."],
            "email": ["Voer alstublieft een geldig e-mailadres in."], "comment": ["Typ alstublieft uw reactie."]}),
])
def test_field_errors_are_the_forms_in_the_readers_language(matrix_blog, language, messages):
    response = api(matrix_blog, language=language).post(author="  ", email="not an address", comment="")
    assert response.status_code == 400
    assert errors(response) == messages
    assert count(matrix_blog) == 0


def test_the_token_may_come_in_a_header(make_blog):
    blog = make_blog()
    client = api(blog)
    token = client.token()
    response = client.post(token=None, issued=token["issued"], headers={"X-Comments-Token": token["token"]})
    assert response.status_code == 201


@pytest.mark.parametrize("forgery", ["missing", "forged", "other origin", "expired", "from the form"])
def test_a_bad_token_is_refused_for_the_whole_form(make_blog, clock, forgery):
    blog = make_blog(**EMBEDDING)
    client = api(blog, STATIC_ORIGIN)
    token = client.token()["token"]
    if forgery == "missing":
        token = None
    elif forgery == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif forgery == "other origin":
        with blog.app.test_request_context():
            token = issue_api_token("http://localhost")
    elif forgery == "expired":
        clock.now += 24 * 3600 + 1
    else:
        token = Reader(blog.client).csrf_token()
    response = client.post(token=token)
    assert response.status_code == 400
    assert errors(response) == {"form": [EXPIRED]}
    assert count(blog) == 0


def test_a_signed_in_admin_has_no_authority_through_the_api(make_blog):
    """No cookie stands for a token: the admin's session neither replaces it nor lifts the flood limit."""
    blog = make_blog(COMMENTS_FLOOD_SECONDS=60)
    with blog.app.app_context():
        make_admin()
    AdminActions(blog.client).login()
    admin = ApiClient(blog.client)
    assert errors(admin.post(token="")) == {"form": [EXPIRED]}
    assert admin.post(comment="One").status_code == 201
    assert admin.post(comment="Two").status_code == 429


def test_a_duplicate_is_409_across_the_form_and_the_api(make_blog):
    blog = make_blog()
    assert Reader(blog.client).post(comment="Said once.").status_code == 303
    response = api(blog).post(comment="Said once.")
    assert response.status_code == 409 and errors(response) == {"form": [DUPLICATE]}
    assert api(blog).post(comment="Said through the API.").status_code == 201
    assert Reader(blog.app.test_client()).post(comment="Said through the API.").status_code == 409
    assert count(blog) == 2


def test_a_flood_is_429_with_retry_after_across_the_form_and_the_api(make_blog):
    blog = make_blog(COMMENTS_FLOOD_SECONDS=60)
    assert api(blog).post(comment="First, through the API.").status_code == 201
    form = Reader(blog.app.test_client()).post(comment="Then through the form.")
    assert form.status_code == 429
    other = api(blog).post(comment="And again.", email="someone@example.org")  # the same IP
    assert other.status_code == 429 and errors(other) == {"form": [FLOOD]}
    assert 0 < int(other.headers["Retry-After"]) <= 60
    assert count(blog) == 1


def test_a_comment_a_receiver_vetoes_is_403(make_blog):
    blog = make_blog()
    with comment_will_be_posted.connected_to(lambda sender, comment, target: "blocklisted", blog.app):
        response = api(blog).post()
    assert response.status_code == 403 and errors(response) == {"form": ["Your comment was rejected."]}
    assert count(blog) == 0


def test_closed_unpublished_and_unknown_pages_take_no_comment(make_blog):
    blog = make_blog(**EMBEDDING)
    with blog.app.app_context():
        db.session.scalar(select(Post).where(Post.slug == "other")).comments_open = False
        db.session.scalar(select(Post).where(Post.slug == "hello")).status = PostStatus.DRAFT
        db.session.commit()
    closed = api(blog, language="nl").post(uri="/other/")
    assert closed.status_code == 403 and errors(closed) == {"form": ["Reacties zijn gesloten."]}
    for uri, origin in (("/hello/", None), ("/no-such-post/", None), ("/static-page/", STATIC_ORIGIN)):
        response = api(blog, origin).post(uri=uri)
        assert response.status_code == 404 and list(errors(response)) == ["form"], uri
    assert count(blog) == 0


def test_a_page_of_an_origin_not_listed_may_not_post(make_blog):
    blog = make_blog(**EMBEDDING)
    body = fields_of(blog)
    response = ApiClient(blog.client, "https://evil.example").post_raw(json.dumps(body))
    assert response.status_code == 403 and list(errors(response)) == ["origin"]
    assert "Access-Control-Allow-Origin" not in response.headers
    assert count(blog) == 0


def test_a_filled_honeypot_is_answered_as_held_and_stored_as_spam(make_blog):
    blog = make_blog()
    response = api(blog).post(homepage="http://spam.example/")
    assert response.status_code == 202 and response.get_json()["status"] == "held"
    spam = blog.comments()[0]
    assert (spam.status, spam.status_reason) == (CommentStatus.SPAM, "honeypot field filled")


def test_a_comment_sent_sooner_than_a_person_could_is_answered_as_held_and_stored_as_spam(make_blog, clock):
    blog = make_blog(COMMENTS_MIN_FILL_SECONDS=3)
    client = api(blog)
    assert client.post(comment="At once").status_code == 202
    assert blog.comments()[0].status is CommentStatus.SPAM
    token = client.token()
    clock.now += 4
    taken = client.post(comment="After a while", token=token["token"], issued=token["issued"])
    assert taken.status_code == 201


def test_a_stamp_that_cannot_tell_is_sent_again(make_blog, clock):
    blog = make_blog(COMMENTS_MIN_FILL_SECONDS=3)
    with blog.app.test_request_context():
        window_stamp = issue_window_stamp(current_window())
    clock.now += 30
    response = api(blog).post(issued=window_stamp)
    assert response.status_code == 400
    assert errors(response) == {"form": ["Please check your comment and send it again."]}
    assert count(blog) == 0


def test_a_listed_origin_makes_a_thread_of_its_own_with_its_first_comment(matrix_blog):
    blog = matrix_blog
    blog.app.config["COMMENTS_EMBED_AUTO_THREADS"] = True
    static = api(blog, STATIC_ORIGIN)
    assert static.post(uri="/notes/a/", homepage="bot").status_code == 202  # spam makes no thread
    first = static.post(uri="/notes/a/", comment="First on a static page")
    assert first.status_code == 201
    assert first.headers["Location"] == f"{STATIC_ORIGIN}/notes/a/#comment-{first.get_json()['comment']['id']}"
    assert static.post(uri="/notes/a/", comment="Second", author="Bob", email="bob@example.org").status_code == 201
    with blog.app.test_request_context():
        threads = db.session.scalars(select(EmbeddedThread)).all()
        assert [(thread.key, thread.origin, thread.uri) for thread in threads] == [
            (f"embed:{STATIC_ORIGIN}/notes/a/", STATIC_ORIGIN, "/notes/a/")]
        target = blog.app.extensions["comments"].resolve_targets({threads[0].key, blog.key})[threads[0].key]
        assert (target.title, target.url) == ("/notes/a/", f"{STATIC_ORIGIN}/notes/a/")
    thread = static.thread("/notes/a/").get_json()
    assert (thread["total"], thread["title"], thread["open"]) == (2, "/notes/a/", True)
    assert static.counts("/notes/a/", "/hello/").get_json() == {"counts": {"/notes/a/": 2, "/hello/": 0}}
    # The site's own pages see no such thread: it belongs to the origin that made it.
    assert api(blog).thread("/notes/a/").get_json()["total"] == 0
    blog.app.config["COMMENTS_EMBED_AUTO_THREADS"] = False
    assert static.post(uri="/notes/a/", comment="Still open", author="Cy", email="cy@example.org").status_code == 201
    assert static.post(uri="/notes/b/").status_code == 404


def test_a_long_uri_makes_a_key_that_fits_and_stays_its_own():
    long_one, long_two = "/" + "a" * 199, "/" + "a" * 198 + "b"
    keys = {thread_key(STATIC_ORIGIN, uri) for uri in (long_one, long_two)}
    assert len(keys) == 2 and all(len(key) <= 200 for key in keys)
    assert thread_key(STATIC_ORIGIN, "/a/") == f"embed:{STATIC_ORIGIN}/a/"


def test_the_moderation_queue_names_the_page_of_a_thread_of_its_own(make_blog):
    blog = make_blog(COMMENTS_MODERATION="all", COMMENTS_EMBED_AUTO_THREADS=True, **EMBEDDING)
    assert api(blog, STATIC_ORIGIN).post(uri="/notes/held/").status_code == 202
    with blog.app.app_context():
        make_admin()
    admin = AdminActions(blog.client)
    admin.login()
    with blog.client.get("/admin/comments?status=pending") as response:
        assert f'href="{STATIC_ORIGIN}/notes/held/#comment-' in response.get_data(as_text=True)


@pytest.mark.parametrize("content_type, data, encoding", [
    ("application/x-www-form-urlencoded", "author=Ann", None),
    ("text/plain", "{}", None),
    ("application/json; charset=latin-1", "{}", None),
    ("application/json", "{}", "gzip"),
    (None, "", None),
])
def test_a_body_that_is_not_json_in_utf8_is_415(make_blog, content_type, data, encoding):
    blog = make_blog()
    headers = {"Content-Encoding": encoding} if encoding else {}
    response = api(blog).post_raw(data, content_type=content_type, headers=headers)
    assert response.status_code == 415 and list(errors(response)) == ["body"]


def test_a_json_body_to_a_path_that_is_not_there_is_404(make_blog):
    blog = make_blog()
    response = api(blog).request("POST", "/api/v1/threads", data="{}", content_type="application/json")
    assert response.status_code == 404 and list(errors(response)) == ["request"]


def test_a_body_past_the_limit_is_413(make_blog):
    blog = make_blog(MAX_CONTENT_LENGTH=1000)
    response = api(blog).post(comment="x" * 2000)
    assert response.status_code == 413 and list(errors(response)) == ["body"]


@pytest.mark.parametrize("body", [
    b"[]", b'"a comment"', b"1", b"null", b"{", b'{"author": "Ann",}', b"\xff\xfe{}", '{"a": 1}'.encode("utf-16"),
    b'{"author": "\xc3"}', b'{"author": "\\ud800"}', b'{"\\udfff": 1}', b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, b'{"parent": ' + b"9" * 5000 + b"}",
])
def test_a_body_that_is_no_json_object_is_400(make_blog, body):
    blog = make_blog()
    response = api(blog).post_raw(body)
    assert response.status_code == 400 and list(errors(response)) == ["body"]
    assert count(blog) == 0


@pytest.mark.parametrize("field, value", [
    ("author", 1), ("email", ["ann@example.org"]), ("comment", {"text": "Hi"}), ("url", False), ("homepage", 0),
    ("issued", 1.5), ("token", 7), ("parent", "1"), ("parent", True), ("parent", 1.0), ("parent", 1e400),
    ("notify", "yes"), ("notify", 1),
])
def test_a_field_of_the_wrong_json_type_is_400_on_that_field(make_blog, field, value):
    blog = make_blog()
    body = {**fields_of(blog), field: value}
    response = api(blog).post_raw(json.dumps(body))
    assert response.status_code == 400 and list(errors(response)) == [field]
    assert count(blog) == 0


def test_notify_true_asks_for_reply_notices(make_blog):
    blog = make_blog()
    assert api(blog).post(notify=True).status_code == 201
    assert api(blog).post(notify=False, comment="Without").status_code == 201
    assert [comment.wants_reply_notice for comment in blog.comments()] == [True, False]


@pytest.mark.parametrize("field", ["comment", "author"])
def test_hostile_texts_are_stored_as_typed_and_answered_as_sanitized_html(make_blog, field):
    blog = make_blog(COMMENTS_MAX_LINKS=10_000, COMMENTS_PER_PAGE=10_000)
    client = api(blog)
    posted = {}
    for index, payload in enumerate(HOSTILE_INPUTS):
        value = payload[:245] if field == "author" else payload
        response = client.post(**{field: value, "comment": payload if field == "comment" else f"Text {index}"})
        if response.status_code == 400:  # a character the field does not take, or empty after trimming
            assert list(errors(response)) == [field], index
            continue
        assert response.status_code == 201, (index, response.get_json())
        answer = response.get_json()["comment"]
        assert_allowlisted(parse_fragment(answer["html"]), f"HOSTILE_INPUTS[{index}]")
        posted[answer["id"]] = typed(value)
    assert len(posted) > len(HOSTILE_INPUTS) // 2
    stored = {comment.id: comment for comment in blog.comments()}
    for comment_id, text in posted.items():
        assert (stored[comment_id].body_raw if field == "comment" else stored[comment_id].author) == text
    for comment in client.thread().get_json()["comments"]:
        assert_allowlisted(parse_fragment(comment["html"]), f"comment {comment['id']} in the thread")


def test_links_in_mail_to_a_page_of_another_origin_stay_on_that_origin(make_blog):
    blog = make_blog(COMMENTS_SITE_URL="https://blog.example.org")
    with blog.app.app_context():
        assert site_url("/hello/") == "https://blog.example.org/hello/"
        assert site_url(f"{STATIC_ORIGIN}/notes/a/") == f"{STATIC_ORIGIN}/notes/a/"
