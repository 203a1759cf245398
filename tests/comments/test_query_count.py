"""The post page runs the same few queries whatever the size of its thread: no query per comment."""

import pytest
from sqlalchemy import event

from blog.extensions import db
from tests.factories import make_app, make_comment, make_post


def queries_for_page(app, path) -> int:
    count = 0

    def counted(*_):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        with app.test_client().get(path) as response:
            assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


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
