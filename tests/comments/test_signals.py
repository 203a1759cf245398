"""Signals: comment_will_be_posted can veto or re-status a comment before it is stored; comment_posted
fires once per stored comment, and every other signal once per change, after the commit."""

import html
import logging

import pytest
from sqlalchemy import func, select

from blog.comments import (
    Comment,
    CommentStatus,
    comment_edited,
    comment_erased,
    comment_posted,
    comment_status_changed,
    comment_will_be_posted,
)
from blog.comments.models import FloodMark, ModerationAction
from blog.comments.moderation import apply_action
from blog.comments.signals import commit_and_send
from blog.extensions import db
from tests.factories import make_comment
from tests.readers import Reader

REJECTED = "Your comment was rejected."


def stored(app) -> list[Comment]:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def test_comment_posted_fires_once_with_comment_and_target(app, reader, post):
    received = []

    def record(sender, comment, target):
        received.append((sender, comment.id, comment.status, target.key, target.title))

    with comment_posted.connected_to(record):
        reader.post()
        reader.post(author="")  # refused: no signal
    assert received == [(app, 1, CommentStatus.PENDING, post, "Hello world")]


def test_a_receiver_that_gives_a_reason_refuses_the_comment_with_the_text_kept(app, reader, post, caplog):
    app.config["COMMENTS_FLOOD_SECONDS"] = 15
    posted = []

    def refuse(sender, comment, target):
        return "the host's blocklist"

    caplog.set_level(logging.INFO, logger=app.logger.name)
    with comment_will_be_posted.connected_to(refuse, app), comment_posted.connected_to(posted.append, app):
        response = reader.post(comment="Words I typed with care.")
    assert response.status_code == 403
    page = html.unescape(response.get_data(as_text=True))
    assert REJECTED in page and "Words I typed with care." in page
    assert stored(app) == [] and posted == []
    assert f"A comment on {post} was refused: the host's blocklist" in caplog.text
    with app.app_context():  # not even its flood marks are kept: the reader may post again at once
        assert db.session.scalar(select(func.count()).select_from(FloodMark)) == 0
    assert reader.post(comment="Words I typed with care.").status_code == 303


def test_the_refusal_is_said_in_dutch(app, reader):
    with comment_will_be_posted.connected_to(lambda sender, comment, target: "no", app):
        response = reader.post(language="nl")
    assert response.status_code == 403
    assert "Uw reactie is geweigerd." in response.get_data(as_text=True)


@pytest.mark.parametrize(("status", "cookie"), [
    (CommentStatus.SPAM, True),  # a first comment, held by the policy, marked spam instead (answered as held)
    (CommentStatus.APPROVED, False),  # ...or let through at once
])
def test_a_receiver_can_re_status_the_comment(app, reader, status, cookie):
    def re_status(sender, comment, target):
        comment.status, comment.status_reason = status, "the host's spam service"

    with comment_will_be_posted.connected_to(re_status, app):
        response = reader.post()
    assert response.status_code == 303 and response.headers["Location"] == "/hello/#comment-1"
    assert any(header.startswith("comments_held=") for header in response.headers.getlist("Set-Cookie")) is cookie
    [comment] = stored(app)
    assert (comment.status, comment.status_reason) == (status, "the host's spam service")
    assert (comment.approved_at is not None) is (status is CommentStatus.APPROVED)


def test_a_receivers_long_reason_is_kept_as_far_as_it_fits(matrix_comments_app):
    """PostgreSQL and MariaDB refuse a value longer than its column: the reason is cut, never a 500."""
    def re_status(sender, comment, target):
        comment.status, comment.status_reason = CommentStatus.SPAM, "a host's long reason " * 20

    reader = Reader(matrix_comments_app.test_client())
    with comment_will_be_posted.connected_to(re_status, matrix_comments_app):
        assert reader.post().status_code == 303
    [comment] = stored(matrix_comments_app)
    assert comment.status_reason == ("a host's long reason " * 20)[:100]


@pytest.mark.parametrize("has_receiver", [False, True])
def test_without_an_objection_the_policy_decides_alone(app, reader, has_receiver):
    def no_objection(sender, comment, target):
        return None

    if has_receiver:
        comment_will_be_posted.connect(no_objection, app)
    try:
        response = reader.post()
    finally:
        comment_will_be_posted.disconnect(no_objection, app)
    [comment] = stored(app)
    assert response.status_code == 303 and response.headers["Location"] == f"/hello/#comment-{comment.id}"
    assert (comment.status, comment.status_reason) == (CommentStatus.PENDING, "first comment by this author")


def test_it_fires_before_the_comment_is_stored_and_comment_posted_after_the_commit(app, reader, post):
    events = []

    def before(sender, comment, target):
        rows = db.session.scalar(select(func.count()).select_from(Comment))
        events.append(("will be posted", comment.id, rows, comment.status, comment.status_reason, target.key))

    def after(sender, comment, target):
        events.append(("posted", comment.id, db.session.scalar(select(func.count()).select_from(Comment))))

    with comment_will_be_posted.connected_to(before, app), comment_posted.connected_to(after, app):
        reader.post()
    assert events == [("will be posted", None, 0, CommentStatus.PENDING, "first comment by this author", post),
                      ("posted", 1, 1)]


# What moderators and the privacy tools do is told once it is committed.


def committed_status(comment_id) -> CommentStatus | None:
    """The comment's status as another connection (another worker) reads it now."""
    with db.engine.connect() as other:
        return other.scalar(select(Comment.status).where(Comment.id == comment_id))


def test_a_moderators_move_is_signalled_after_the_commit(app, admin, post):
    with app.app_context():
        comment_id = make_comment(post, status=CommentStatus.PENDING).id
    received = []

    def record(sender, comment, old_status, new_status, moderator):
        received.append((comment.id, old_status, new_status, moderator, committed_status(comment.id)))

    assert admin.login().status_code == 303
    with comment_status_changed.connected_to(record, app):
        assert admin.post(f"/admin/comments/{comment_id}/approve").status_code == 303
        assert admin.post(f"/admin/comments/{comment_id}/approve").status_code == 409  # not allowed: no signal
    assert received == [(comment_id, CommentStatus.PENDING, CommentStatus.APPROVED, "boss", CommentStatus.APPROVED)]


def test_an_edit_and_an_erasure_are_signalled_after_the_commit(app, admin, post):
    with app.app_context():
        comment_id = make_comment(post, author="Ann", email="ann@example.org").id
    received = []

    def edited(sender, comment, moderator):
        with db.engine.connect() as other:
            received.append(("edited", other.scalar(select(Comment.author).where(Comment.id == comment.id))))

    def erased(sender, email, count):
        with db.engine.connect() as other:
            received.append(("erased", email, count, other.scalar(select(func.count()).select_from(Comment)
                                                                   .where(Comment.email == email))))

    assert admin.login().status_code == 303
    edit = {"author": "Ann Edited", "email": "ann@example.org", "url": "", "comment": "A comment."}
    with comment_edited.connected_to(edited, app), comment_erased.connected_to(erased, app):
        assert admin.post(f"/admin/comments/{comment_id}/edit", **edit).status_code == 303
        result = app.test_cli_runner().invoke(args=["blog", "privacy", "erase", "ann@example.org"])
    assert result.exit_code == 0
    assert received == [("edited", "Ann Edited"), ("erased", "ann@example.org", 1, 0)]


def test_a_move_rolled_back_is_never_signalled(app, post):
    received = []
    with app.app_context():
        comment = make_comment(post, status=CommentStatus.PENDING)
        comment_id = comment.id
        with comment_status_changed.connected_to(lambda sender, **arguments: received.append(arguments), app):
            assert apply_action(ModerationAction.APPROVE, comment, "boss")
            db.session.rollback()
            commit_and_send()
        assert committed_status(comment_id) is CommentStatus.PENDING
    assert received == []
