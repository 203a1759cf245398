"""Redis going away mid-traffic (issue 16): comments are still taken and shown, the flood limit holds from
the database's marks, the outage is logged once, and Redis is used again once it is back."""

import logging

import pytest
from sqlalchemy import select

from blog.comments.models import Comment, FloodMark
from blog.extensions import db
from tests.factories import make_app, make_post
from tests.readers import Reader
from tests.redis_servers import RedisServer

pytestmark = pytest.mark.processes

OUTAGE = "Redis does not answer"


@pytest.fixture
def server():
    server = RedisServer()
    server.start()
    yield server
    server.kill()


def reader(app, ip) -> Reader:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return Reader(client)


def test_an_outage_falls_back_to_the_database_and_ends_by_itself(tmp_path, server, caplog):
    # Tried again on the next request after a failure, so the test needs no wait for Redis's return.
    app = make_app(tmp_path, REDIS_URL=server.url, REDIS_RETRY_SECONDS=0, COMMENTS_MODERATION="none",
                   COMMENTS_FLOOD_SECONDS=30)
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello")
    redis = server.client()
    assert reader(app, "192.0.2.1").post(email="ann@example.org", comment="Before the outage.").status_code == 303
    assert redis.exists("blog:flood:email:ann@example.org")

    server.kill()
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        during = reader(app, "192.0.2.2")
        assert during.post(email="bob@example.org", comment="During the outage.").status_code == 303
        refused = during.post(email="carl@example.org", comment="Too soon, from the same address.")
        assert refused.status_code == 429  # the database's mark of Bob's comment
        assert 1 <= int(refused.headers["Retry-After"]) <= 30
        for path in ("/hello/", "/hello/feed/"):
            assert "During the outage." in during.get(path).get_data(as_text=True)
        outages = [record for record in caplog.records if OUTAGE in record.getMessage()]
        assert len(outages) == 1 and outages[0].levelno == logging.WARNING

        server.start()  # on the same port, empty
        after = reader(app, "192.0.2.3")
        assert after.post(email="dora@example.org", comment="After the outage.").status_code == 303
        assert redis.exists("blog:flood:email:dora@example.org")  # Redis holds the marks again
        assert "After the outage." in after.get("/hello/feed/").get_data(as_text=True)
        assert redis.get("blog:thread:post-1") is not None
    assert [record.getMessage() for record in caplog.records if "Redis" in record.getMessage()] == [
        outages[0].getMessage(), "Redis answers again: using it again"]
    with app.app_context():
        assert db.session.scalars(select(Comment.body_raw).order_by(Comment.id)).all() == [
            "Before the outage.", "During the outage.", "After the outage."]
        # Only the comment posted while Redis was down left a mark in the database.
        assert db.session.scalars(select(FloodMark.key).order_by(FloodMark.key)).all() == [
            "email:bob@example.org", "ip:192.0.2.2"]
    redis.close()
    with app.app_context():
        db.engine.dispose()


def test_while_redis_is_down_it_is_not_tried_again_until_the_retry_time(tmp_path, server, caplog):
    app = make_app(tmp_path, REDIS_URL=server.url, REDIS_RETRY_SECONDS=3600, COMMENTS_MODERATION="none")
    with app.app_context():
        db.create_all()
        make_post(slug="hello", title="Hello")
    server.kill()
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        assert reader(app, "192.0.2.1").post(comment="During the outage.").status_code == 303
        server.start()
        # Back, but an hour is not over: the app keeps to the database, and says nothing more.
        assert "During the outage." in reader(app, "192.0.2.2").get("/hello/feed/").get_data(as_text=True)
    assert server.client().keys("*") == []
    assert [record.getMessage() for record in caplog.records if "Redis" in record.getMessage()] == [
        next(record.getMessage() for record in caplog.records if OUTAGE in record.getMessage())]
    with app.app_context():
        db.engine.dispose()
