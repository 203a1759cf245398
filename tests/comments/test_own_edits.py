"""A commenter's own edit and delete window (COMMENTS_EDIT_WINDOW_SECONDS, blog.comments.own_edits) on our
pages: the comments_own cookie the poster gets, their Edit and Delete in the section, and
/comments/<id>/own-edit and own-delete, which take nothing without that browser's token, from this site,
within the window; an edit goes through the sanitizer and the moderation rules, and is logged."""

import re

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.models import ModerationAction, ModerationLogEntry
from blog.extensions import db
from tests.factories import make_admin
from tests.pages import by_id, folded_text
from tests.readers import AdminActions, Reader

PENDING, APPROVED, SPAM, TRASH = CommentStatus
TOKEN = re.compile(r'name="token" value="([^"]*)"')
OWN_BOX = "You can edit or delete your comment until"
TIME_OVER = "The time to edit this comment is over."
NOT_YOURS = "This comment cannot be changed from here."


# --- helpers ---------------------------------------------------------------------------------------------------

def post_comment(blog, text="A first thought.", reader=None, **fields) -> int:
    """Post through the real form in ``reader``'s browser (the blog's own unless given); the new comment's id."""
    response = (reader or blog.reader).post(comment=text, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return blog.comments()[-1].id


def get(client, path, **headers):
    with client.get(path, headers=headers) as response:
        response.get_data()
    return response


def send(client, path, headers=None, **data):
    with client.post(path, data=data, headers=headers or {}) as response:
        response.get_data()
    return response


def token_of(client, comment_id) -> str:
    """The token the browser's own edit page carries (its cookie's, for this comment)."""
    page = get(client, f"/comments/{comment_id}/own-edit")
    assert page.status_code == 200, page.status_code
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def edit(client, comment_id, text, token=None, headers=None):
    """POST the own-edit form, with the page's token unless another is given."""
    token = token_of(client, comment_id) if token is None else token
    return send(client, f"/comments/{comment_id}/own-edit", headers, token=token, comment=text)


def delete(client, comment_id, token=None, headers=None):
    token = token_of(client, comment_id) if token is None else token
    return send(client, f"/comments/{comment_id}/own-delete", headers, token=token)


def anonymous_page(blog) -> str:
    """The post page as a reader without any cookie of ours reads it."""
    return get(blog.app.test_client(), "/hello/").get_data(as_text=True)


def log_of(blog, comment_id) -> list[tuple]:
    with blog.app.app_context():
        return [(entry.moderator, entry.action, entry.old_status, entry.new_status)
                for entry in db.session.scalars(select(ModerationLogEntry).where(
                    ModerationLogEntry.comment_id == comment_id).order_by(ModerationLogEntry.id))]


def queue(blog, status) -> str:
    with blog.app.app_context():
        make_admin()
    admin = AdminActions(blog.app.test_client())
    admin.login()
    return get(admin.client, f"/admin/comments?status={status}").get_data(as_text=True)


def assert_refused(response, message=NOT_YOURS):
    assert response.status_code == 403, response.status_code
    assert message in response.get_data(as_text=True)


# --- the cookie and the controls -------------------------------------------------------------------------------

def test_the_poster_gets_a_signed_cookie_for_the_window_and_their_edit_and_delete(blog):
    comment_id = post_comment(blog)
    cookie = blog.client.get_cookie("comments_own")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax" and cookie.max_age == 900

    page = blog.page()
    box = by_id(page, f"own-comment-{comment_id}")
    assert OWN_BOX in folded_text(box)
    # Beside the thread, not in the comment's rendering (which every reader's page shares).
    assert all(element is not box for element in by_id(page, f"comment-{comment_id}").iter())
    links = {element.get("href") for element in box.iter("a")}
    assert f"/comments/{comment_id}/own-edit" in links
    assert box.find(".//form").get("action") == f"/comments/{comment_id}/own-delete"
    assert OWN_BOX not in anonymous_page(blog)


def test_the_posters_page_is_their_own_and_never_shared(blog):
    post_comment(blog)
    own = blog.get()
    assert OWN_BOX in own.get_data(as_text=True)
    assert {"private", "no-store"} <= set(own.headers["Cache-Control"].replace(" ", "").split(","))
    assert "ETag" not in own.headers
    shared = blog.app.test_client().get("/hello/")
    assert "public" in shared.headers["Cache-Control"] and OWN_BOX not in shared.get_data(as_text=True)
    assert get(blog.client, f"/comments/{blog.comments()[-1].id}/own-edit").headers["Cache-Control"] in {
        "private, no-store", "no-store, private"}


def test_only_the_latest_few_comments_are_kept_in_the_cookie(blog):
    ids = [post_comment(blog, f"Thought number {number}.") for number in range(7)]
    page = blog.page()
    shown = [comment_id for comment_id in ids if by_id(page, f"own-comment-{comment_id}") is not None]
    assert shown == ids[-5:]
    assert_refused(get(blog.client, f"/comments/{ids[0]}/own-edit"))


def test_no_window_no_cookie_no_controls_and_no_edit(make_blog):
    blog = make_blog(COMMENTS_EDIT_WINDOW_SECONDS=0)
    comment_id = post_comment(blog)
    assert blog.client.get_cookie("comments_own") is None
    assert OWN_BOX not in blog.get().get_data(as_text=True)
    assert_refused(get(blog.client, f"/comments/{comment_id}/own-edit"))


def test_a_window_turned_off_later_refuses_the_token_already_given(blog):
    comment_id = post_comment(blog)
    token = token_of(blog.client, comment_id)
    blog.app.config["COMMENTS_EDIT_WINDOW_SECONDS"] = 0
    assert OWN_BOX not in blog.get().get_data(as_text=True)
    assert_refused(edit(blog.client, comment_id, "Changed after all.", token), TIME_OVER)
    assert blog.comment(comment_id).body_raw == "A first thought."


@pytest.mark.parametrize("window", [-1, "900", 1.5, True])
def test_a_window_that_is_no_number_of_seconds_fails_at_start_up(make_blog, window):
    with pytest.raises(ValueError, match="COMMENTS_EDIT_WINDOW_SECONDS"):
        make_blog(COMMENTS_EDIT_WINDOW_SECONDS=window)


# --- edits and deletes, on every database ----------------------------------------------------------------------

def test_an_edit_within_the_window_changes_the_page_sanitized_and_is_logged(make_blog, database_url):
    blog = make_blog(database_url)
    comment_id = post_comment(blog)
    before = anonymous_page(blog)  # kept by the worker, as is its feed
    get(blog.app.test_client(), "/hello/feed/")
    assert "A first thought." in before

    answer = edit(blog.client, comment_id, "Second <b>thoughts</b><script>alert(1)</script>")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/hello/#comment-{comment_id}"
    page = anonymous_page(blog)
    assert "Second <b>thoughts</b>" in page and "A first thought." not in page
    assert "<script>alert" not in page
    feed = get(blog.app.test_client(), "/hello/feed/").get_data(as_text=True)
    assert "thoughts" in feed and "A first thought." not in feed

    assert edit(blog.client, comment_id, "Third thoughts.").status_code == 303
    assert blog.comment(comment_id).status is APPROVED
    assert log_of(blog, comment_id) == [("commenter", ModerationAction.AUTHOR_EDIT, "approved", "approved")] * 2


def test_an_edit_past_the_link_limit_is_held_again(make_blog, database_url):
    blog = make_blog(database_url, COMMENTS_MAX_LINKS=2)
    comment_id = post_comment(blog, "No links at all.")
    links = " ".join(f"https://example.org/{number}" for number in range(3))
    answer = edit(blog.client, comment_id, f"Now with links: {links}")
    assert answer.status_code == 303
    comment = blog.comment(comment_id)
    assert comment.status is PENDING and comment.status_reason == "3 links"
    assert "example.org/2" not in anonymous_page(blog)
    own = blog.get().get_data(as_text=True)  # the poster still sees it, as waiting
    assert "example.org/2" in own and "Your comment is awaiting moderation." in own
    assert "example.org/2" in queue(blog, "pending")
    assert log_of(blog, comment_id) == [("commenter", ModerationAction.AUTHOR_EDIT, "approved", "pending")]


def test_a_delete_trashes_the_comment_and_is_logged(make_blog, database_url):
    blog = make_blog(database_url)
    comment_id = post_comment(blog, "Something I regret.")
    answer = delete(blog.client, comment_id)
    assert answer.status_code == 303 and answer.headers["Location"] == "/hello/"
    assert blog.comment(comment_id).status is TRASH
    assert "Something I regret." not in anonymous_page(blog)
    own = blog.get().get_data(as_text=True)
    assert "Something I regret." not in own and OWN_BOX not in own
    assert "Something I regret." in queue(blog, "trash")
    assert log_of(blog, comment_id) == [("commenter", ModerationAction.AUTHOR_DELETE, "approved", "trash")]
    assert_refused(get(blog.client, f"/comments/{comment_id}/own-edit"))


def test_a_held_comment_can_be_deleted_and_is_no_longer_shown_to_its_poster(make_blog):
    blog = make_blog(COMMENTS_MODERATION="all")
    comment_id = post_comment(blog, "Waiting and then gone.")
    assert "Waiting and then gone." in blog.get().get_data(as_text=True)
    assert delete(blog.client, comment_id).status_code == 303
    assert "Waiting and then gone." not in blog.get().get_data(as_text=True)


def test_a_disallowed_word_in_an_edit_trashes_the_comment(make_blog):
    blog = make_blog(COMMENTS_DISALLOWED_WORDS=["casino"])
    comment_id = post_comment(blog)
    assert edit(blog.client, comment_id, "Visit my casino.").status_code == 303
    assert blog.comment(comment_id).status is TRASH
    assert "casino" not in anonymous_page(blog)


def test_an_edit_keeps_a_held_comment_held(make_blog):
    blog = make_blog(COMMENTS_MODERATION="first-time")
    comment_id = post_comment(blog)
    assert blog.comment(comment_id).status is PENDING
    assert edit(blog.client, comment_id, "Reworded, still waiting.").status_code == 303
    assert blog.comment(comment_id).status is PENDING


def test_a_comment_a_moderator_put_in_spam_cannot_be_edited(blog):
    comment_id = post_comment(blog)
    token = token_of(blog.client, comment_id)
    with blog.app.app_context():
        db.session.get(Comment, comment_id).status = SPAM
        db.session.commit()
    assert_refused(edit(blog.client, comment_id, "Out of spam, please.", token))
    assert blog.comment(comment_id).status is SPAM


# --- refusals: nothing changes ---------------------------------------------------------------------------------

def test_a_forged_token_is_refused(blog):
    comment_id = post_comment(blog)
    assert_refused(edit(blog.client, comment_id, "Forged.", token="x" * 43))
    assert_refused(delete(blog.client, comment_id, token=""))
    assert blog.comment(comment_id).body_raw == "A first thought." and blog.comment(comment_id).status is APPROVED


def test_another_comments_token_is_refused(blog):
    first, second = post_comment(blog, "The first."), post_comment(blog, "The second.")
    assert_refused(edit(blog.client, first, "Changed with the other token.", token_of(blog.client, second)))
    assert_refused(delete(blog.client, first, token_of(blog.client, second)))
    assert blog.comment(first).body_raw == "The first." and blog.comment(first).status is APPROVED


def test_another_browser_without_the_cookie_is_refused_even_with_the_token(blog):
    comment_id = post_comment(blog)
    token = token_of(blog.client, comment_id)
    stranger = blog.app.test_client()
    assert_refused(get(stranger, f"/comments/{comment_id}/own-edit"))
    assert_refused(edit(stranger, comment_id, "Not mine to change.", token))
    assert_refused(delete(stranger, comment_id, token))
    # Nor does its own cookie, for a comment of its own, prove anyone else's.
    post_comment(blog, "The stranger's own.", reader=Reader(stranger))
    assert_refused(edit(stranger, comment_id, "Not mine to change.", token))
    assert blog.comment(comment_id).body_raw == "A first thought." and blog.comment(comment_id).status is APPROVED


def test_a_cookie_not_signed_by_the_site_is_refused(blog):
    comment_id = post_comment(blog)
    token = token_of(blog.client, comment_id)
    stranger = blog.app.test_client()
    stranger.set_cookie("comments_own", f'[[{comment_id},"{token}"]]')
    assert_refused(edit(stranger, comment_id, "Forged cookie.", token))
    assert blog.comment(comment_id).body_raw == "A first thought."


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://elsewhere.example"},
    {"Origin": "null"},
])
def test_a_post_from_another_site_is_refused(blog, headers):
    comment_id = post_comment(blog)
    token = token_of(blog.client, comment_id)
    assert_refused(edit(blog.client, comment_id, "Cross-site change.", token, headers))
    assert_refused(delete(blog.client, comment_id, token, headers))
    assert blog.comment(comment_id).body_raw == "A first thought." and blog.comment(comment_id).status is APPROVED


def test_after_the_window_the_edit_and_delete_are_refused(blog, clock):
    comment_id = post_comment(blog)
    posted = blog.comment(comment_id).created_at.timestamp()
    clock.now = posted + 899
    token = token_of(blog.client, comment_id)
    assert OWN_BOX in blog.get().get_data(as_text=True)
    assert get(blog.client, f"/comments/{comment_id}/own-edit").status_code == 200

    clock.now = posted + 900
    assert OWN_BOX not in blog.get().get_data(as_text=True)
    assert_refused(get(blog.client, f"/comments/{comment_id}/own-edit"), TIME_OVER)
    assert_refused(edit(blog.client, comment_id, "Too late.", token), TIME_OVER)
    assert_refused(delete(blog.client, comment_id, token), TIME_OVER)
    assert blog.comment(comment_id).body_raw == "A first thought." and blog.comment(comment_id).status is APPROVED


# --- hostile input: 4xx, never 500 -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "error"), [
    ("", "Please type your comment text."),
    ("   \n ", "Please type your comment text."),
    ("x" * 65_526, "Your comment is too long."),
    ("Delete \x7f and C1 \x85", "This field contains characters that are not allowed."),
    ("Broken \ufffd and \uffff", "This field contains characters that are not allowed."),
])
def test_a_text_the_form_refuses_is_shown_again_with_its_error(blog, text, error):
    comment_id = post_comment(blog)
    answer = edit(blog.client, comment_id, text)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert f'<span class="field-error" id="comment-error">{error}</span>' in page
    assert 'aria-invalid="true"' in page and TOKEN.search(page).group(1) == token_of(blog.client, comment_id)
    assert blog.comment(comment_id).body_raw == "A first thought."
    assert log_of(blog, comment_id) == []


@pytest.mark.parametrize("text", ["Null \x00 byte", "Bell \x07", "Escape \x1b[31m red"])
def test_a_text_that_is_not_text_is_refused_before_the_form(blog, text):
    comment_id = post_comment(blog)
    assert edit(blog.client, comment_id, text).status_code == 400
    assert blog.comment(comment_id).body_raw == "A first thought."


def test_a_body_past_the_limit_is_413(blog):
    comment_id = post_comment(blog)
    assert edit(blog.client, comment_id, "x" * (1024 * 1024 + 1)).status_code == 413
    assert blog.comment(comment_id).body_raw == "A first thought."


@pytest.mark.parametrize("path", ["/comments/abc/own-edit", "/comments/0/own-edit", "/comments/-1/own-edit",
                                  "/comments/99999999999999999999/own-edit", "/comments/1.5/own-delete",
                                  "/comments/%00/own-delete"])
def test_an_id_that_is_no_id_is_404(blog, path):
    post_comment(blog)
    assert get(blog.client, path).status_code == 404
    assert send(blog.client, path, token="x", comment="y").status_code == 404


def test_an_unknown_comment_is_refused(blog):
    post_comment(blog)
    assert_refused(get(blog.client, "/comments/2147483647/own-edit"))
    assert_refused(send(blog.client, "/comments/2147483647/own-delete", token="x"))


@pytest.mark.parametrize("cookie", ["", "garbage", "W10.bad", "a" * 4000, "\u00e9t\u00e9"])
def test_a_mangled_cookie_is_refused(blog, cookie):
    comment_id = post_comment(blog)
    blog.client.set_cookie("comments_own", cookie)
    assert_refused(get(blog.client, f"/comments/{comment_id}/own-edit"))
    assert blog.page() is not None  # the page itself still serves


def test_a_token_field_sent_twice_or_not_at_all_is_refused(blog):
    comment_id = post_comment(blog)
    token = token_of(blog.client, comment_id)
    with blog.client.post(f"/comments/{comment_id}/own-edit", data={"comment": "Changed."}) as answer:
        assert answer.status_code == 403
    with blog.client.post(f"/comments/{comment_id}/own-edit",
                          data={"token": ["wrong", token], "comment": "Changed."}) as answer:
        assert answer.status_code == 403
    assert blog.comment(comment_id).body_raw == "A first thought."


# --- both languages --------------------------------------------------------------------------------------------

def test_the_edit_page_its_errors_and_refusals_speak_dutch(blog):
    comment_id = post_comment(blog)
    page = get(blog.client, f"/comments/{comment_id}/own-edit", **{"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Uw reactie bewerken" in page and "U kunt uw reactie bewerken of verwijderen tot" in page
    assert OWN_BOX not in page
    section = blog.get(language="nl").get_data(as_text=True)
    assert "U kunt uw reactie bewerken of verwijderen tot" in section
    token = token_of(blog.client, comment_id)
    error = edit(blog.client, comment_id, "", token, {"Accept-Language": "nl"}).get_data(as_text=True)
    assert "Typ alstublieft uw reactie." in error
    refused = edit(blog.client, comment_id, "x", "forged", {"Accept-Language": "nl"})
    assert refused.status_code == 403 and NOT_YOURS not in refused.get_data(as_text=True)
    blog.app.config["COMMENTS_EDIT_WINDOW_SECONDS"] = 0
    over = edit(blog.client, comment_id, "x", token, {"Accept-Language": "nl"}).get_data(as_text=True)
    assert "De tijd om deze reactie te bewerken is voorbij." in over
