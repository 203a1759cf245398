"""The form-time trap on the shared page (blog.comments.guard): its stamp names the window it was
rendered in, so a form sent sooner than COMMENTS_MIN_FILL_SECONDS after the window began is a bot's
for certain (spam, answered as held), one sent before the window could have ended plus that minimum
is shown again to be sent once more, and a stamp of the moment (a page of the reader's own, or
form-stamp.js asking /comments/form-stamp) is judged exactly as before."""

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.timing import STAMP_MAX, _signed_moment, issue_form_stamp, read_form_stamp
from blog.extensions import db
from tests.factories import make_app, make_post
from tests.readers import FORM_STAMP, Reader

TEXT = "A thought I took my time over."


@pytest.fixture
def blog(tmp_path):
    app = make_app(tmp_path, COMMENTS_MODERATION="none", COMMENTS_MIN_FILL_SECONDS=3)
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello")
    return app


def stored(app) -> list[Comment]:
    with app.app_context():
        return db.session.scalars(select(Comment)).all()


def test_a_form_sent_sooner_than_a_person_could_after_the_window_began_is_spam(blog, clock):
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    clock.now += 2
    response = reader.post(comment=TEXT)
    assert response.status_code == 303  # answered as held: the bot learns nothing
    [comment] = stored(blog)
    assert comment.status is CommentStatus.SPAM and "after it was served" in comment.status_reason


@pytest.mark.parametrize("language, message", [
    (None, "Please check your comment and send it again."),
    ("nl", "Controleer uw reactie en verstuur haar opnieuw."),
])
def test_a_form_the_window_cannot_tell_about_is_shown_again_with_a_stamp_of_the_moment(blog, clock, language,
                                                                                        message):
    clock.now += 30
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    clock.now += 10  # ten seconds with the form: 40 s after the window began, under 3 + 60
    response = reader.post(comment=TEXT, language=language)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and TEXT in page
    assert stored(blog) == []
    stamp = FORM_STAMP.search(page).group(1)
    with blog.test_request_context():
        assert read_form_stamp(stamp).window == 0  # this moment's, so the next send is judged exactly
    clock.now += 5
    assert reader.post(comment=TEXT, issued=stamp).status_code == 303
    assert [comment.status for comment in stored(blog)] == [CommentStatus.APPROVED]


def test_a_form_sent_after_the_window_and_the_minimum_is_taken_at_once(blog, clock):
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    clock.now += 60 + 3
    assert reader.post(comment=TEXT).status_code == 303
    assert [comment.status for comment in stored(blog)] == [CommentStatus.APPROVED]


def test_a_honeypot_bot_is_spam_even_where_the_window_cannot_tell(blog, clock):
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    clock.now += 30
    assert reader.post(comment=TEXT, homepage="http://spam.example").status_code == 303
    assert [comment.status for comment in stored(blog)] == [CommentStatus.SPAM]


def test_a_shared_pages_form_older_than_a_form_lives_is_refused_with_the_text_kept(blog, clock):
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    clock.now += blog.config["COMMENTS_FORM_MAX_AGE"] + 1
    page = reader.post(comment=TEXT).get_data(as_text=True)
    assert "This form has expired or did not come from this site." in page and TEXT in page
    assert stored(blog) == []


@pytest.mark.parametrize("seconds_with_the_form, status", [(1, CommentStatus.SPAM), (4, CommentStatus.APPROVED)])
def test_the_stamp_of_the_moment_from_form_stamp_is_judged_exactly(blog, clock, seconds_with_the_form, status):
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    clock.now += 20
    with blog.test_client().get("/comments/form-stamp") as fresh:
        assert fresh.status_code == 200 and fresh.mimetype == "text/plain"
        assert "no-store" in fresh.headers["Cache-Control"] and "Set-Cookie" not in fresh.headers
        stamp = fresh.get_data(as_text=True)
    clock.now += seconds_with_the_form
    assert reader.post(comment=TEXT, issued=stamp).status_code == 303
    assert [comment.status for comment in stored(blog)] == [status]


def test_without_a_minimum_the_window_asks_nothing(blog, clock):
    blog.config["COMMENTS_MIN_FILL_SECONDS"] = 0
    reader = Reader(blog.test_client())
    reader.hidden_fields()
    assert reader.post(comment=TEXT).status_code == 303
    assert [comment.status for comment in stored(blog)] == [CommentStatus.APPROVED]


def test_a_stamp_longer_than_any_the_site_signs_is_forged_and_never_kept(blog):
    with blog.test_request_context():
        genuine = issue_form_stamp()
        assert read_form_stamp(genuine) is not None and len(genuine) < STAMP_MAX
        _signed_moment.cache_clear()
        assert read_form_stamp(genuine + "x" * STAMP_MAX) is None
        assert _signed_moment.cache_info().currsize == 0
