"""A comment POST holds SQLite's write lock only while it writes: checking the form and answering
after the commit run beside another worker's writing, and the write itself waits its turn."""

import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from blog.comments import Comment, comment_posted
from blog.extensions import begin_reading, db
from tests.factories import make_app, make_comment, make_post
from tests.readers import Reader


@pytest.fixture
def blog(tmp_path):
    app = make_app(tmp_path, COMMENTS_MODERATION="none")
    with app.app_context():
        db.create_all()
        key = f"post-{make_post(slug='hello', title='Hello').id}"
    app.database_file = str(tmp_path / "blog.sqlite3")
    app.thread_key = key
    return app


def another_worker(app) -> sqlite3.Connection:
    """A connection of its own to the app's database, as another gunicorn worker has."""
    return sqlite3.connect(app.database_file, isolation_level=None, timeout=0)


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comment))


def in_background(function):
    """Run ``function`` on a thread; the returned dict gets its result under "value"."""
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(value=function()), daemon=True)
    thread.start()
    return thread, outcome


@contextmanager
def write_lock_held_by_another_worker(app):
    """The database's write lock taken by another connection for the block; yields that connection."""
    writer = another_worker(app)
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield writer
    finally:
        writer.execute("ROLLBACK")


def ready_reader(app) -> Reader:
    """A reader who has the form (its token and stamp) before the lock is taken."""
    reader = Reader(app.test_client())
    reader.hidden_fields()
    return reader


def test_a_form_with_errors_is_answered_while_another_worker_writes(blog):
    reader = ready_reader(blog)
    with write_lock_held_by_another_worker(blog):
        thread, outcome = in_background(lambda: reader.post(comment="").status_code)
        thread.join(timeout=10)
        assert not thread.is_alive(), "checking a form waited for another worker's write lock"
        assert outcome["value"] == 400


def test_a_valid_comment_waits_for_the_write_lock_and_is_stored(blog):
    reader = ready_reader(blog)
    with write_lock_held_by_another_worker(blog) as writer:
        thread, outcome = in_background(lambda: reader.post(comment="Waits its turn.").status_code)
        thread.join(timeout=1)
        assert thread.is_alive()  # it cannot write while the lock is taken
        assert writer.execute("SELECT count(*) FROM comment").fetchone() == (0,)
    thread.join(timeout=30)
    assert outcome["value"] == 303 and stored(blog) == 1


def test_what_runs_after_the_commit_holds_no_write_lock(blog):
    reader = Reader(blog.test_client())
    seen = {}

    def after_posting(app, comment, target):
        db.session.get(Comment, comment.id)  # a read after the commit opens a transaction
        try:
            another_worker(blog).execute("BEGIN IMMEDIATE").execute("ROLLBACK")
            seen["lock"] = "free"
        except sqlite3.OperationalError:
            seen["lock"] = "held"

    with comment_posted.connected_to(after_posting, blog):
        assert reader.post(comment="Then the mail is decided.").status_code == 303
    assert seen == {"lock": "free"}


def test_a_parent_removed_while_the_reply_was_checked_is_refused_and_nothing_stored(blog):
    with blog.app_context():
        parent_id = make_comment(blog.thread_key, author="Mia").id
    reader = ready_reader(blog)

    def remove_parent(session):
        """Another worker's moderator trashes the parent just as the reply's reading ends."""
        another_worker(blog).execute("UPDATE comment SET status = 'trash' WHERE id = ?", (parent_id,))

    event.listen(Session, "after_rollback", remove_parent)
    try:
        response = reader.post(comment="A reply to a comment that goes away.", parent=str(parent_id))
    finally:
        event.remove(Session, "after_rollback", remove_parent)
    assert response.status_code == 409
    assert "The comment you are replying to is not available." in response.get_data(as_text=True)
    assert stored(blog) == 1  # the parent alone


def begun_transactions(app) -> list:
    """The database transactions the app's engine begins from now on (the list grows as they begin)."""
    begun = []
    event.listen(db.engine, "begin", begun.append)
    return begun


def test_a_reading_stretch_that_reads_nothing_begins_no_transaction(blog):
    with blog.test_request_context("/hello/comments", method="POST"):
        begun = begun_transactions(blog)
        begin_reading()
        db.session.rollback()
        assert begun == []


@pytest.mark.parametrize("has_read", [True, False])
def test_the_transaction_after_a_reading_stretch_takes_the_write_lock(blog, has_read):
    with blog.test_request_context("/hello/comments", method="POST"):
        begin_reading()
        if has_read:
            assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
        db.session.rollback()
        db.session.connection()  # the writing transaction begins
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            another_worker(blog).execute("BEGIN IMMEDIATE")
        db.session.rollback()


def test_a_reading_stretch_reads_while_another_worker_writes(blog):
    with write_lock_held_by_another_worker(blog), blog.test_request_context("/hello/comments", method="POST"):
        begin_reading()
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
        db.session.rollback()
