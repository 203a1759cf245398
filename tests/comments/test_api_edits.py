"""PUT and DELETE /api/v1/comments/<id>: a commenter's own edit and delete through the JSON API, proven by
the edit token the post's answer gave them (COMMENTS_EDIT_WINDOW_SECONDS, blog.comments.own_edits), on every
database: the same sanitizer, moderation rules and log as the form's own edit; without the proof, after the
window or from an origin that may not use the API, 403 and nothing changed; hostile bodies a clear 4xx.
Every answer is checked against its schema, for no cookie and for no trace of the email (tests.api_client)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import ModerationAction, ModerationLogEntry
from blog.comments.own_edits import edit_token
from blog.extensions import db
from tests.api_client import CORS_HEADERS, EMBEDDING, OTHER_ORIGIN, STATIC_ORIGIN, ApiClient, api
from tests.comments.test_hostile_pages import assert_allowlisted, typed
from tests.comments.test_privacy import CANARY_MIXED_CASE
from tests.data.hostile_inputs import HOSTILE_INPUTS
from tests.pages import parse_fragment

PENDING, APPROVED, SPAM, TRASH = CommentStatus
NOT_YOURS = "This comment cannot be changed from here."
TIME_OVER = "The time to edit this comment is over."
AWAITING = "Your comment is awaiting moderation."
FIRST_TEXT = "A first thought."


def posted(blog, text=FIRST_TEXT, origin=None, **fields) -> tuple[int, str]:
    """Post through the API; the new comment's id and the edit token its answer gives."""
    response = api(blog, origin).post(comment=text, **fields)
    assert response.status_code in (201, 202), response.get_json()
    answer = response.get_json()
    return answer["comment"]["id"], answer["edit_token"]


def errors(response) -> dict:
    return response.get_json()["errors"]


def assert_refused(response, message=NOT_YOURS):
    assert response.status_code == 403, response.get_json()
    assert errors(response) == {"form": [message]}


def assert_unchanged(blog, comment_id, text=FIRST_TEXT, status=APPROVED):
    comment = blog.comment(comment_id)
    assert (comment.body_raw, comment.status) == (text, status)
    assert log_of(blog, comment_id) == []


def log_of(blog, comment_id) -> list[tuple]:
    with blog.app.app_context():
        return [(entry.moderator, entry.action, entry.old_status, entry.new_status)
                for entry in db.session.scalars(select(ModerationLogEntry).where(
                    ModerationLogEntry.comment_id == comment_id).order_by(ModerationLogEntry.id))]


def thread_ids(blog) -> list[int]:
    return [comment["id"] for comment in api(blog).thread().get_json()["comments"]]


# --- the token in the post's answer ----------------------------------------------------------------------------

def test_the_post_answer_gives_the_poster_an_edit_token_and_the_end_of_the_window(make_blog, database_url):
    blog = make_blog(database_url=database_url, COMMENTS_EDIT_WINDOW_SECONDS=600)
    answer = api(blog).post().get_json()
    comment = blog.comment(answer["comment"]["id"])
    until = (comment.created_at + timedelta(seconds=600)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert answer["edit_until"] == until
    with blog.app.app_context():
        assert answer["edit_token"] == edit_token(db.session.get(Comment, comment.id))
    assert api(blog).post(comment="Another").get_json()["edit_token"] != answer["edit_token"]


def test_a_held_comment_and_a_bots_spam_get_one_too(make_blog):
    blog = make_blog(COMMENTS_MODERATION="all")
    held = api(blog).post(comment="Wait for me")
    spam = api(blog).post(comment="Buy now", homepage="http://spam.example/")
    assert held.status_code == spam.status_code == 202
    assert {"edit_token", "edit_until"} <= set(held.get_json()) and {"edit_token", "edit_until"} <= set(spam.get_json())
    spam_id, spam_token = spam.get_json()["comment"]["id"], spam.get_json()["edit_token"]
    assert_refused(api(blog).edit(spam_id, "Out of spam, please.", spam_token))  # a bot's token proves nothing
    assert blog.comment(spam_id).status is SPAM


def test_no_window_no_edit_token_and_no_edit(make_blog):
    blog = make_blog(COMMENTS_EDIT_WINDOW_SECONDS=0)
    answer = api(blog).post(comment=FIRST_TEXT).get_json()
    assert "edit_token" not in answer and "edit_until" not in answer
    comment_id = answer["comment"]["id"]
    with blog.app.app_context():
        token = edit_token(db.session.get(Comment, comment_id))  # what a token would have been
    assert_refused(api(blog).edit(comment_id, "Changed anyway.", token), TIME_OVER)
    assert_refused(api(blog).delete(comment_id, token), TIME_OVER)
    assert_unchanged(blog, comment_id)


# --- edits and deletes, on every database ----------------------------------------------------------------------

def test_an_edit_within_the_window_is_sanitized_shown_and_logged(matrix_blog):
    blog = matrix_blog
    comment_id, token = posted(blog, origin=STATIC_ORIGIN, email=CANARY_MIXED_CASE)
    before = api(blog).thread()
    assert before.get_json()["comments"][0]["html"] == f"<p>{FIRST_TEXT}</p>"

    text = "Second <b>thoughts</b><script>alert(1)</script>"
    response = api(blog, STATIC_ORIGIN).edit(comment_id, text, token)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["status"] == "approved" and "message" not in answer
    assert answer["comment"]["id"] == comment_id
    assert "<b>thoughts</b>" in answer["comment"]["html"] and "<script" not in answer["comment"]["html"]
    assert blog.comment(comment_id).body_raw == text  # kept as typed, cleaned on the way out

    after = api(blog).thread(headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert after.get_json()["comments"][0]["html"] == answer["comment"]["html"]

    assert api(blog, STATIC_ORIGIN).edit(comment_id, "Third thoughts.", token).status_code == 200
    # A NUL, which PostgreSQL would refuse outright, is the form's to refuse first.
    assert api(blog).edit(comment_id, "Null \x00 byte", token).status_code == 400
    assert blog.comment(comment_id).body_raw == "Third thoughts."
    assert log_of(blog, comment_id) == [("commenter", ModerationAction.AUTHOR_EDIT, "approved", "approved")] * 2


def test_an_edit_past_the_link_limit_is_held_and_leaves_the_thread(make_blog, database_url):
    blog = make_blog(database_url=database_url, COMMENTS_MAX_LINKS=2, **EMBEDDING)
    comment_id, token = posted(blog, "No links at all.")
    links = " ".join(f"https://example.org/{number}" for number in range(3))
    response = api(blog).edit(comment_id, f"Now with links: {links}", token)
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["status"], answer["message"]) == ("held", AWAITING)
    assert "example.org/2" in answer["comment"]["html"]  # its poster sees what they sent
    comment = blog.comment(comment_id)
    assert comment.status is PENDING and comment.status_reason == "3 links"
    thread = api(blog).thread().get_json()
    assert thread["comments"] == [] and thread["total"] == 0
    assert log_of(blog, comment_id) == [("commenter", ModerationAction.AUTHOR_EDIT, "approved", "pending")]
    # Still the poster's, within the window: a held comment may be changed again, or deleted.
    assert api(blog).edit(comment_id, "Fewer links now: https://example.org/1", token).get_json()["status"] == "held"
    assert api(blog).delete(comment_id, token).status_code == 204


def test_a_delete_trashes_the_comment_and_is_logged(matrix_blog):
    blog = matrix_blog
    comment_id, token = posted(blog, "Something I regret.", origin=STATIC_ORIGIN)
    kept_id, _kept_token = posted(blog, "Something I stand by.")
    response = api(blog, STATIC_ORIGIN).delete(comment_id, token)
    assert response.status_code == 204 and response.get_data() == b""
    assert blog.comment(comment_id).status is TRASH
    assert thread_ids(blog) == [kept_id]
    assert log_of(blog, comment_id) == [("commenter", ModerationAction.AUTHOR_DELETE, "approved", "trash")]
    # Gone to the trash, it is no longer the poster's to change.
    assert_refused(api(blog).delete(comment_id, token))
    assert_refused(api(blog).edit(comment_id, "Back again?", token))
    assert blog.comment(comment_id).status is TRASH


def test_a_disallowed_word_in_an_edit_trashes_the_comment_answered_as_held(make_blog):
    blog = make_blog(COMMENTS_DISALLOWED_WORDS=["casino"])
    comment_id, token = posted(blog)
    answer = api(blog).edit(comment_id, "Visit my casino.", token).get_json()
    assert answer["status"] == "held"
    assert blog.comment(comment_id).status is TRASH and thread_ids(blog) == []


def test_an_unchanged_text_changes_nothing_and_logs_nothing(blog):
    comment_id, token = posted(blog)
    assert api(blog).edit(comment_id, FIRST_TEXT, token).get_json()["status"] == "approved"
    assert_unchanged(blog, comment_id)


# --- refusals: nothing changes ---------------------------------------------------------------------------------

def test_a_forged_another_comments_or_missing_token_is_refused(matrix_blog):
    blog = matrix_blog
    comment_id, token = posted(blog)
    other_id, other_token = posted(blog, "The other one.")
    for forged in (other_token, None, "", "x" * 43, token[:-1], token + "x", token.upper(), " " + token,
                   "é" * 10, "x" * 8000):
        assert_refused(api(blog).edit(comment_id, "Changed without proof.", forged))
        assert_refused(api(blog).delete(comment_id, forged))
    assert_refused(api(blog).edit(other_id, "Changed with the wrong one.", token))
    assert_unchanged(blog, comment_id)
    assert_unchanged(blog, other_id, "The other one.")


def test_an_unknown_comment_is_refused_as_one_not_yours(blog):
    _comment_id, token = posted(blog)
    assert_refused(api(blog).edit(2147483647, "Nothing here.", token))
    assert_refused(api(blog).delete(2147483647, token))


def test_the_forms_cookie_proves_nothing_to_the_api(blog):
    """The API reads no cookie: the browser that posted through our form, cookie and all, still needs the token."""
    assert blog.reader.post(comment=FIRST_TEXT).status_code == 303
    comment_id = blog.comments()[-1].id
    assert blog.client.get_cookie("comments_own") is not None
    assert_refused(ApiClient(blog.client).edit(comment_id, "With the cookie alone.", None))
    assert_refused(ApiClient(blog.client).delete(comment_id, None))
    assert_unchanged(blog, comment_id)


def test_after_the_window_the_edit_and_delete_are_refused(matrix_blog, clock):
    blog = matrix_blog
    comment_id, token = posted(blog)
    created = blog.comment(comment_id).created_at.timestamp()
    clock.now = created + 899
    assert api(blog).edit(comment_id, "Just in time.", token).status_code == 200
    clock.now = created + 900
    assert_refused(api(blog).edit(comment_id, "Too late.", token), TIME_OVER)
    assert_refused(api(blog).delete(comment_id, token), TIME_OVER)
    assert blog.comment(comment_id).body_raw == "Just in time." and blog.comment(comment_id).status is APPROVED


def test_a_window_turned_off_later_refuses_the_token_already_given(blog):
    comment_id, token = posted(blog)
    blog.app.config["COMMENTS_EDIT_WINDOW_SECONDS"] = 0
    assert_refused(api(blog).edit(comment_id, "Changed after all.", token), TIME_OVER)
    assert_unchanged(blog, comment_id)


# --- origins ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", [OTHER_ORIGIN, "null", "https://static.example.org.evil.example",
                                    "http://static.example.org"])
def test_an_origin_not_listed_may_not_edit_even_with_the_token(embedding_blog, origin):
    blog = embedding_blog
    comment_id, token = posted(blog)
    client = api(blog, origin)
    for response in (client.edit(comment_id, "From elsewhere.", token), client.delete(comment_id, token)):
        assert response.status_code == 403 and list(errors(response)) == ["origin"]
        assert not any(header in response.headers for header in CORS_HEADERS)
    assert_unchanged(blog, comment_id)


def test_a_listed_origin_is_named_back_and_its_preflight_allows_the_edit(embedding_blog):
    blog = embedding_blog
    comment_id, token = posted(blog, origin=STATIC_ORIGIN)
    client = api(blog, STATIC_ORIGIN)
    preflight = client.request("OPTIONS", f"/api/v1/comments/{comment_id}", headers={
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type, x-comments-edit-token"})
    assert preflight.status_code == 204
    methods = {method.strip() for method in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"PUT", "DELETE"} <= methods
    assert "X-Comments-Edit-Token" in preflight.headers["Access-Control-Allow-Headers"]
    for response in (client.edit(comment_id, "From the static site.", token), client.edit(comment_id, "", token),
                     client.edit(comment_id, "x", "forged"), client.delete(comment_id, token)):
        assert response.headers["Access-Control-Allow-Origin"] == STATIC_ORIGIN, response.status_code
    assert blog.comment(comment_id).status is TRASH


def test_our_own_pages_need_no_listing_and_get_no_cors_headers(blog):
    comment_id, token = posted(blog)
    for client in (api(blog), api(blog, "http://localhost")):
        response = client.edit(comment_id, f"Edited from {client.origin}.", token)
        assert response.status_code == 200
        assert not any(header in response.headers for header in CORS_HEADERS)


# --- hostile input: 4xx, never 500 -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "error"), [
    ("", "Please type your comment text."),
    ("   \n ", "Please type your comment text."),
    (None, "Please type your comment text."),
    ("x" * 65_526, "Your comment is too long."),
    ("Delete \x7f and C1 \x85", "This field contains characters that are not allowed."),
    ("Broken \ufffd and \uffff", "This field contains characters that are not allowed."),
    ("Null \x00 byte", "This field contains characters that are not allowed."),
    ("Escape \x1b[31m red", "This field contains characters that are not allowed."),
])
def test_a_text_the_form_refuses_is_400_on_the_comment(blog, text, error):
    comment_id, token = posted(blog)
    response = api(blog).edit_raw(comment_id, json.dumps({"comment": text}), token)
    assert response.status_code == 400 and errors(response) == {"comment": [error]}
    assert_unchanged(blog, comment_id)


def test_a_missing_comment_field_is_an_empty_text(blog):
    comment_id, token = posted(blog)
    response = api(blog).edit_raw(comment_id, "{}", token)
    assert response.status_code == 400 and errors(response) == {"comment": ["Please type your comment text."]}


@pytest.mark.parametrize("value", [1, 1.5, True, ["Hi"], {"text": "Hi"}])
def test_a_comment_of_the_wrong_json_type_is_400_on_the_comment(blog, value):
    comment_id, token = posted(blog)
    response = api(blog).edit_raw(comment_id, json.dumps({"comment": value}), token)
    assert response.status_code == 400 and errors(response) == {"comment": ["This field must be text."]}
    assert_unchanged(blog, comment_id)


@pytest.mark.parametrize("content_type, data, encoding", [
    ("application/x-www-form-urlencoded", "comment=Hi", None),
    ("multipart/form-data; boundary=x", "--x--", None),
    ("text/plain", '{"comment": "Hi"}', None),
    ("application/json; charset=latin-1", '{"comment": "Hi"}', None),
    ("application/json", '{"comment": "Hi"}', "gzip"),
    (None, "", None),
])
def test_a_body_that_is_not_json_in_utf8_is_415(blog, content_type, data, encoding):
    comment_id, token = posted(blog)
    headers = {"Content-Encoding": encoding} if encoding else {}
    response = api(blog).edit_raw(comment_id, data, token, content_type=content_type, headers=headers)
    assert response.status_code == 415 and list(errors(response)) == ["body"]
    assert_unchanged(blog, comment_id)


@pytest.mark.parametrize("body", [
    b"[]", b'"a comment"', b"1", b"null", b"{", b'{"comment": "Hi",}', b"\xff\xfe{}",
    '{"comment": "Hi"}'.encode("utf-16"), b'{"comment": "\xc3"}', b'{"comment": "\\ud800"}',
    b"[" * 100_000 + b"]" * 100_000, b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
])
def test_a_body_that_is_no_json_object_is_400(blog, body):
    comment_id, token = posted(blog)
    response = api(blog).edit_raw(comment_id, body, token)
    assert response.status_code == 400 and list(errors(response)) == ["body"]
    assert_unchanged(blog, comment_id)


def test_a_body_past_the_limit_is_413(make_blog):
    blog = make_blog(MAX_CONTENT_LENGTH=1000)
    comment_id, token = posted(blog)
    response = api(blog).edit(comment_id, "x" * 2000, token)
    assert response.status_code == 413 and list(errors(response)) == ["body"]
    assert_unchanged(blog, comment_id)


@pytest.mark.parametrize("path", ["/api/v1/comments/abc", "/api/v1/comments/0", "/api/v1/comments/-1",
                                  "/api/v1/comments/99999999999999999999", "/api/v1/comments/1.5",
                                  "/api/v1/comments/%00", "/api/v1/comments/", "/api/v1/comments/1/x"])
def test_an_id_that_is_no_id_is_404(blog, path):
    _comment_id, token = posted(blog)
    for method in ("PUT", "DELETE"):
        response = api(blog).request(method, path, data='{"comment": "Hi"}', content_type="application/json",
                                     headers={"X-Comments-Edit-Token": token})
        assert response.status_code == 404 and list(errors(response)) == ["request"], (method, path)


def test_other_methods_on_a_comment_are_405_naming_put_and_delete(blog):
    comment_id, _token = posted(blog)
    for method in ("GET", "POST", "PATCH"):
        response = api(blog).request(method, f"/api/v1/comments/{comment_id}")
        assert response.status_code == 405, method
        assert {"PUT", "DELETE"} <= {name.strip() for name in response.headers["Allow"].split(",")}


def test_hostile_texts_are_stored_as_typed_and_answered_as_sanitized_html(make_blog):
    blog = make_blog(COMMENTS_MAX_LINKS=10_000)
    comment_id, token = posted(blog)
    client = api(blog)
    changed = 0
    for index, payload in enumerate(HOSTILE_INPUTS):
        response = client.edit(comment_id, payload, token)
        if response.status_code == 400:  # a character the field does not take, or empty after trimming
            assert list(errors(response)) == ["comment"], index
            continue
        assert response.status_code == 200, (index, response.get_json())
        assert_allowlisted(parse_fragment(response.get_json()["comment"]["html"]), f"HOSTILE_INPUTS[{index}]")
        assert blog.comment(comment_id).body_raw == typed(payload), index
        for comment in client.thread().get_json()["comments"]:
            assert_allowlisted(parse_fragment(comment["html"]), f"HOSTILE_INPUTS[{index}] in the thread")
        changed += 1
    assert changed > len(HOSTILE_INPUTS) // 2


# --- both languages --------------------------------------------------------------------------------------------

def test_refusals_and_the_held_notice_speak_dutch(make_blog):
    blog = make_blog(COMMENTS_MAX_LINKS=0)
    comment_id, token = posted(blog, "Geen links.")
    dutch = api(blog, language="nl")
    assert errors(dutch.edit(comment_id, "x", "forged")) == {"form": ["Deze reactie kan hier niet worden gewijzigd."]}
    assert errors(dutch.edit(comment_id, "", token)) == {"comment": ["Typ alstublieft uw reactie."]}
    assert errors(dutch.edit_raw(comment_id, '{"comment": 1}', token)) == {"comment": ["Dit veld moet tekst zijn."]}
    held = dutch.edit(comment_id, "Zie https://example.org/", token).get_json()
    assert (held["status"], held["message"]) == ("held", "Uw reactie is in afwachting van moderatie.")
    blog.app.config["COMMENTS_EDIT_WINDOW_SECONDS"] = 0
    assert errors(dutch.delete(comment_id, token)) == {"form": ["De tijd om deze reactie te bewerken is voorbij."]}

