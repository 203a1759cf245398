"""Who may send the comment form (blog.comments.forgery): a reader without a session posts with the
shared page's token, bound to the post and its window; a reader with a session, with that session's;
and no browser posts it from another site's page, whichever token it carries."""

import pytest
from sqlalchemy import select

from blog.comments import Comment
from blog.comments.forgery import _signed_token, is_genuine_post_token, post_token
from blog.comments.timing import current_window
from blog.extensions import db
from tests.factories import make_post
from tests.readers import CSRF_TOKEN, Reader

KEPT = "Words I do not want to lose."


def stored_texts(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(Comment.body_raw)).all()


def refused(response) -> bool:
    page = response.get_data(as_text=True)
    return (response.status_code == 400 and "This form has expired or did not come from this site." in page
            and KEPT in page)


def test_a_reader_without_cookies_posts_and_is_given_no_session(app, post):
    client = app.test_client(use_cookies=False)
    reader = Reader(client)
    response = reader.post(comment="No cookie needed.")
    assert response.status_code == 303
    assert not any(value.startswith("session=") for value in response.headers.getlist("Set-Cookie"))
    assert stored_texts(app) == ["No cookie needed."]


def test_a_token_is_good_for_its_own_post_only(app, post):
    with app.app_context():
        other = f"post-{make_post(slug='other', title='Other').id}"
    with app.test_request_context():
        token = post_token(other, current_window())
    assert refused(Reader(app.test_client()).post(csrf_token=token, comment=KEPT))
    assert stored_texts(app) == []


@pytest.mark.parametrize("age", ["too old", "from the future"])
def test_a_token_from_a_window_out_of_its_lifetime_is_refused(app, post, age):
    with app.test_request_context():
        start = current_window() + (-app.config["COMMENTS_FORM_MAX_AGE"] - 120 if age == "too old" else 3600)
        token = post_token(post, start)
    assert refused(Reader(app.test_client()).post(csrf_token=token, comment=KEPT))
    assert stored_texts(app) == []


def test_the_tokens_kept_per_worker_stay_few_whatever_starts_a_bot_sends(app, post):
    with app.test_request_context():
        _signed_token.cache_clear()
        now = current_window()
        assert not any(is_genuine_post_token(f"{now - age}.forged", post) for age in range(1000))
        assert _signed_token.cache_info().currsize <= 256
        assert is_genuine_post_token(post_token(post, now), post)


@pytest.mark.parametrize("token", ["1800000000.forged", "1800000000", ".", "99999999999999999999.x", "٣٣٣.x"])
def test_a_forged_token_is_refused(app, post, token):
    assert refused(Reader(app.test_client()).post(csrf_token=token, comment=KEPT))
    assert stored_texts(app) == []


def test_another_sessions_token_is_refused(app, post):
    mine, theirs = Reader(app.test_client()), Reader(app.test_client())
    for reader in (mine, theirs):
        reader.get("/admin/login")  # each browser gets a session of its own
    assert mine.csrf_token() != theirs.csrf_token()
    assert refused(mine.post(csrf_token=theirs.csrf_token(), comment=KEPT))
    assert mine.post(comment="With my own.").status_code == 303
    assert stored_texts(app) == ["With my own."]


def test_a_shared_pages_token_does_not_serve_a_browser_with_a_session(app, post):
    shared = Reader(app.test_client()).csrf_token()
    reader = Reader(app.test_client())
    reader.get("/admin/login")
    assert refused(reader.post(csrf_token=shared, comment=KEPT))


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "http://localhost.evil.example"},
    {"Origin": "null"},
    {"Origin": "javascript://localhost"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
])
@pytest.mark.parametrize("with_session", [False, True], ids=["no session", "session"])
def test_a_post_from_another_sites_page_is_refused_whatever_its_token(app, post, headers, with_session):
    reader = Reader(app.test_client())
    if with_session:
        reader.get("/admin/login")
    data = {"author": "Ann", "email": "ann@example.org", "comment": KEPT, "parent": "0", **reader.hidden_fields()}
    with reader.client.post("/hello/comments", data=data, headers=headers) as response:
        assert refused(response)
    assert stored_texts(app) == []


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"},
                                     {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}])
def test_a_post_from_this_sites_page_is_taken(app, post, headers):
    reader = Reader(app.test_client())
    data = {"author": "Ann", "email": "ann@example.org", "comment": "From our own page.", "parent": "0",
            **reader.hidden_fields()}
    with reader.client.post("/hello/comments", data=data, headers=headers) as response:
        assert response.status_code == 303
    assert stored_texts(app) == ["From our own page."]


def test_an_admin_posts_with_the_token_of_the_signed_in_session(app, admin, post):
    admin.login()
    reader = Reader(admin.client)
    assert reader.csrf_token() != Reader(app.test_client()).csrf_token()
    assert reader.post(comment="The author answers.").status_code == 303
    assert CSRF_TOKEN.search(admin.client.get("/hello/").get_data(as_text=True))
