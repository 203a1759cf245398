"""Kept comment renderings (blog.comments.comment_cache): a thread rendered from them is, byte for
byte, the thread a worker that kept nothing renders, for every kind of comment and reader; a change
to a comment, whoever made it, shows in every worker; after a new comment only it and its parents
are rendered again; and a held comment is never kept."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.comments import Comment
from blog.comments.comment_cache import CommentRenderer
from blog.comments.cookies import HELD_COOKIE
from blog.comments.moderation import apply_action, edit_comment
from blog.comments.privacy import erase_person
from blog.comments.submission import reply_as_moderator
from blog.extensions import db, utcnow
from blog.posts.models import Post
from tests.factories import make_app, make_comment, make_post
from tests.pages import thread_of
from tests.readers import Reader


class Workers:
    """Workers on one database: one that keeps its renderings from view to view, as a long-running
    gunicorn worker does, and on demand a new one that has kept nothing."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
                         "COMMENTS_MODERATION": "none", "COMMENTS_MODERATION_WORDS": ["hold"]}
        self.apps = []
        self.warm = self.new()
        with self.warm.app_context():
            db.create_all()
            self.key = f"post-{make_post(slug='hello', title='Hello').id}"
        self.clock = utcnow() - timedelta(days=1)

    def new(self):
        app = make_app(self.tmp_path / f"worker-{len(self.apps)}", **self.settings)
        self.apps.append(app)
        return app

    def add(self, parent=None, **fields) -> int:
        """Store a comment a minute after the last one (approved unless ``status`` says otherwise)."""
        self.clock += timedelta(minutes=1)
        with self.warm.app_context():
            parent_comment = db.session.get(Comment, parent) if parent else None
            return make_comment(self.key, parent=parent_comment, created_at=self.clock, **fields).id

    def change(self, write):
        """Run a writer of comments in the warm worker and commit, as its view or command does."""
        with self.warm.app_context():
            write()
            db.session.commit()


def view(app, language="en", held=None) -> str:
    """The thread of the post page one reader is shown, with their held-comments cookie if any."""
    client = app.test_client()
    if held is not None:
        client.set_cookie(HELD_COOKIE, held)
    with client.get("/hello/", headers={"Accept-Language": language}) as response:
        assert response.status_code == 200
        return thread_of(response.get_data(as_text=True))


@pytest.fixture
def workers(tmp_path):
    yield (workers := Workers(tmp_path))
    for app in workers.apps:
        with app.app_context():
            db.engine.dispose()


def comment(comment_id) -> Comment:
    return db.session.get(Comment, comment_id)


def close_comments():
    db.session.execute(select(Post)).scalar_one().comments_open = False


def test_the_thread_from_kept_renderings_is_the_thread_of_a_worker_that_kept_nothing(workers):
    first = workers.add(author="Ann", url="https://ann.example/", body_raw="With a *link* to https://example.org")
    reply = workers.add(parent=first, author="Bob", body_raw="A reply.")
    workers.add(parent=reply, author="Cy", body_raw="A reply to the reply.")
    second = workers.add(author="Dee <b>", body_raw="Second, <em>marked</em> & more.")
    third = workers.add(author="Eve", body_raw="Third, with no reply yet.")
    author = Reader(workers.warm.test_client())
    readers = [{}, {"language": "nl"}]

    def check():
        """Every reader's thread as the warm worker shows it (twice: kept the second time) is the one a new
        worker shows, that reader's first."""
        for reader in readers:
            kept = view(workers.warm, **reader)
            assert view(workers.warm, **reader) == kept == view(workers.new(), **reader)

    check()
    workers.add(parent=third, author="Fay", body_raw="Now the third has a reply.")
    check()
    workers.change(lambda: reply_as_moderator(comment(second), "The site answers.", "Site Team"))
    check()
    workers.change(lambda: edit_comment(comment(reply), "Bob", "bob@example.org", "https://bob.example/",
                                        "Edited, with a link now.", "tester"))
    check()
    workers.change(lambda: apply_action("unapprove", comment(reply), "tester"))  # its reply moves up to Ann's
    check()
    assert author.post(comment="Please hold this one.", parent=str(first)).status_code == 303
    readers.append({"held": author.client.get_cookie(HELD_COOKIE).value})
    assert "Please hold this one." in view(workers.warm, **readers[-1])
    check()
    workers.change(lambda: erase_person("reader@example.org"))
    check()
    workers.change(close_comments)
    check()
    with workers.warm.app_context():
        held = db.session.scalar(select(Comment.id).where(Comment.body_raw == "Please hold this one."))
    workers.change(lambda: apply_action("approve", comment(held), "tester"))
    check()


def test_after_a_new_reply_only_it_and_its_parents_are_rendered_again(workers, monkeypatch):
    first = workers.add(author="Ann")
    reply = workers.add(parent=first, author="Bob")
    others = [workers.add(author=f"Reader {number}") for number in range(3)]
    view(workers.warm)
    rendered = []
    render = CommentRenderer._render
    monkeypatch.setattr(CommentRenderer, "_render", lambda self, node: rendered.append(node.row.id)
                        or render(self, node))
    answer = workers.add(parent=reply, author="Cy")
    view(workers.warm)
    assert rendered == [first, reply, answer]
    rendered.clear()
    workers.change(lambda: edit_comment(comment(others[1]), "Reader 1", "reader@example.org", "", "New.", "tester"))
    view(workers.warm)
    assert rendered == [others[1]]


def test_a_held_comment_and_its_parents_are_rendered_for_its_author_and_never_kept(workers, monkeypatch):
    first = workers.add(author="Ann", body_raw="Ann's words.")
    workers.add(author="Bob", body_raw="Bob's words.")
    stranger = view(workers.warm)
    kept = []
    cache = workers.warm.extensions["comments.rendered_comments"]
    put = cache.put
    monkeypatch.setattr(cache, "put", lambda key, version, html, size=None: kept.append(html)
                        or put(key, version, html, size))
    author = Reader(workers.warm.test_client())
    assert author.post(comment="Please hold my reply.", parent=str(first)).status_code == 303
    own = view(workers.warm, held=author.client.get_cookie(HELD_COOKIE).value)
    assert "Please hold my reply." in own and "Bob's words." in own
    assert kept == []  # Ann's, with the held reply in it, is the author's alone; Bob's was kept already
    assert view(workers.warm) == stranger


@pytest.mark.parametrize(("writer", "shown", "gone"), [
    ("edit", "Edited words.", "Old policy."),
    ("moderator reply", "The site answers.", None),
    ("erase", "Anonymous", "Original Author"),
    ("resanitize", "Original words.", "Old policy."),
    ("delete", "A reply moved up.", "Old policy."),
])
def test_a_change_by_any_writer_shows_in_every_worker_that_kept_the_comment(workers, writer, shown, gone):
    original = workers.add(author="Original Author", email="original@example.org", body_raw="Original words.")
    workers.add(parent=original, body_raw="A reply moved up.")
    workers.change(lambda: setattr(comment(original), "body_html", "<p>Old policy.</p>"))  # as stored long ago
    other = workers.new()
    for app in (workers.warm, other):
        assert "Old policy." in view(app)
    writers = {
        "edit": lambda: edit_comment(comment(original), "Original Author", "original@example.org", "",
                                     "Edited words.", "tester"),
        "moderator reply": lambda: reply_as_moderator(comment(original), "The site answers.", "Site Team"),
        "erase": lambda: erase_person("original@example.org"),
        "delete": lambda: apply_action("trash", comment(original), "tester")
        and apply_action("delete", comment(original), "tester"),
    }
    if writer == "resanitize":  # the command, which commits its own batches
        assert workers.warm.test_cli_runner().invoke(args=["blog", "resanitize"]).exit_code == 0
    else:
        workers.change(writers[writer])
    for app in (workers.warm, other):
        thread = view(app)
        assert shown in thread and (gone is None or gone not in thread)
