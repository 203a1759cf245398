"""The post page runs the same few queries whatever the size of its thread: no query per comment."""

import pytest

from blog.extensions import db
from tests.factories import make_app, make_comment, make_post
from tests.statements import recorded_statements


def statements_for_page(app, path) -> list[str]:
    with recorded_statements(app) as statements, app.test_client().get(path) as response:
        assert response.status_code == 200
    return statements


def queries_for_page(app, path) -> int:
    return len(statements_for_page(app, path))


@pytest.fixture
def thread_of_size(tmp_path):
    def build(top_level: int, replies_each: int):
        folder = tmp_path / f"{top_level}-{replies_each}"
        folder.mkdir()
        app = make_app(folder)
        with app.app_context():
            db.create_all()
            key = f"post-{make_post(slug='hello').id}"
            for number in range(top_level):
                parent = make_comment(key, body_raw=f"Comment {number}")
                for reply in range(replies_each):
                    parent = make_comment(key, parent=parent, body_raw=f"Reply {number}.{reply}")
        return app

    return build


@pytest.mark.parametrize("cached", [False, True])
def test_post_page_queries_do_not_grow_with_the_thread(thread_of_size, cached):
    small, large = thread_of_size(2, 1), thread_of_size(60, 3)
    if cached:  # the second view of a page is served from the rendered-thread cache
        queries_for_page(small, "/hello/")
        queries_for_page(large, "/hello/")
    assert queries_for_page(small, "/hello/") == queries_for_page(large, "/hello/")
    assert queries_for_page(large, "/hello/?comments_page=2") <= 10


@pytest.mark.parametrize("path", ["/hello/", "/hello/?comments_page=2"])
def test_a_page_counts_its_thread_once(thread_of_size, path):
    """The byline's count, the thread's heading and its page links come from one count of the thread,
    which reads no comment's row (blog.comments.counts): it runs again after every new comment."""
    statements = statements_for_page(thread_of_size(60, 1), path)
    counts = [statement for statement in statements if "count(" in statement.lower()]
    assert len(counts) == 1, counts
