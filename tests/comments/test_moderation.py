"""The moderation policy: COMMENTS_MODERATION, links, moderation and disallowed words (DESIGN.md section 3)."""

import pytest
from sqlalchemy import select

from blog.comments import Comment, CommentStatus
from blog.comments.moderation import ModerationPolicy
from blog.comments.spam import Verdict
from blog.extensions import db
from tests.factories import make_comment

EARLIER = {"author": "Ann Reader", "email": "ann@example.org"}


def last_comment(app) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()


def configure(app, **settings):
    app.config.update(settings)


@pytest.mark.parametrize(("mode", "has_earlier", "expected"), [
    ("first-time", False, CommentStatus.PENDING),
    ("first-time", True, CommentStatus.APPROVED),
    ("all", True, CommentStatus.PENDING),
    ("none", False, CommentStatus.APPROVED),
])
def test_moderation_modes(app, reader, post, mode, has_earlier, expected):
    configure(app, COMMENTS_MODERATION=mode)
    if has_earlier:
        with app.app_context():
            make_comment(post, **EARLIER)
    reader.post(**EARLIER)
    assert last_comment(app).status is expected


@pytest.mark.parametrize("earlier", [
    {"author": "Ann Reader", "email": "other@example.org"},
    {"author": "Someone Else", "email": "ann@example.org"},
    {**EARLIER, "status": CommentStatus.PENDING},
    {**EARLIER, "status": CommentStatus.SPAM},
])
def test_first_time_needs_the_same_name_and_email_approved(app, reader, post, earlier):
    with app.app_context():
        make_comment(post, **earlier)
    reader.post(**EARLIER)
    assert last_comment(app).status is CommentStatus.PENDING


def test_first_time_matches_email_whatever_its_case(app, reader, post):
    with app.app_context():
        make_comment(post, **EARLIER)
    reader.post(author="Ann Reader", email="ANN@Example.org")
    assert last_comment(app).status is CommentStatus.APPROVED


@pytest.mark.parametrize(("text", "expected"), [
    ("two links: https://a.example and https://b.example", CommentStatus.APPROVED),
    ("three: https://a.example https://b.example https://c.example", CommentStatus.PENDING),
    ('<a href="https://a.example">a</a> <a href="https://b.example">b</a> www.c.example', CommentStatus.PENDING),
    ('<a href="javascript:x()">a</a> <a href="/b">b</a> <a href="/c">c</a>', CommentStatus.APPROVED),
])
def test_more_links_than_the_limit_hold_the_comment(app, reader, post, text, expected):
    configure(app, COMMENTS_MODERATION="none")
    reader.post(comment=text)
    comment = last_comment(app)
    assert comment.status is expected
    if expected is CommentStatus.PENDING:
        assert comment.status_reason == "3 links"


@pytest.mark.parametrize("fields", [
    {"comment": "Buy CHEAP pills"},
    {"author": "cheap deals"},
    {"email": "cheap@example.org"},
    {"url": "https://cheap.example/"},
])
def test_moderation_words_hold_wherever_they_appear(app, reader, post, fields):
    configure(app, COMMENTS_MODERATION="none", COMMENTS_MODERATION_WORDS=["  cheap "])
    reader.post(**fields)
    comment = last_comment(app)
    assert comment.status is CommentStatus.PENDING
    assert comment.status_reason == "moderation word: cheap"


def test_disallowed_words_trash_and_win_over_everything(app, reader, post):
    configure(app, COMMENTS_MODERATION="none", COMMENTS_MODERATION_WORDS=["casino"],
              COMMENTS_DISALLOWED_WORDS=["", "Casino"])
    response = reader.post(comment="best casino in town")
    comment = last_comment(app)
    assert comment.status is CommentStatus.TRASH
    assert comment.status_reason == "disallowed word: Casino"
    # Answered like any held comment: the sender learns nothing.
    assert response.status_code == 303 and response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert "best casino" not in app.test_client().get("/hello/").get_data(as_text=True)


def test_words_match_the_ip_and_user_agent_too(app, reader, post):
    configure(app, COMMENTS_MODERATION="none", COMMENTS_DISALLOWED_WORDS=["werkzeug/"])
    reader.post()
    assert last_comment(app).status is CommentStatus.TRASH


def test_empty_word_lists_hold_nothing(app, reader, post):
    configure(app, COMMENTS_MODERATION="none", COMMENTS_MODERATION_WORDS=["", "  "])
    reader.post()
    assert last_comment(app).status is CommentStatus.APPROVED


def test_unknown_mode_is_a_clear_error(app):
    with pytest.raises(ValueError, match="COMMENTS_MODERATION must be one of"):
        ModerationPolicy({**app.config, "COMMENTS_MODERATION": "sometimes"})


def test_unknown_mode_fails_at_start_up(tmp_path):
    from tests.factories import make_app

    with pytest.raises(ValueError, match="COMMENTS_MODERATION"):
        make_app(tmp_path, COMMENTS_MODERATION="maybe")


def test_every_comment_is_decided_by_the_policy_built_at_start_up(app, reader, post):
    class HoldEverything(ModerationPolicy):
        def decide(self, comment, **form_traps):
            return Verdict(CommentStatus.PENDING, "the host holds everything")

    configure(app, COMMENTS_MODERATION="none")
    app.extensions["comments.policy"] = HoldEverything(app.config)
    reader.post()
    comment = last_comment(app)
    assert (comment.status, comment.status_reason) == (CommentStatus.PENDING, "the host holds everything")
