"""With REDIS_URL (issue 16): flood marks, failed sign-ins and threads' versions live in Redis, so two apps
that share it, each on a database of its own, enforce one limit; a thread's version reaches Redis only
once its change is committed, and readers keep nothing under a number newer than what they read."""

import time

import pytest
import redis
from sqlalchemy import func, select

from blog.auth.models import FailedLogin
from blog.comments import comment_will_be_posted, touch_thread
from blog.comments.models import Comment, FloodMark, ThreadVersion
from blog.comments.thread_cache import VERSION_STEP, VERSION_TTL_SECONDS
from blog.extensions import db
from tests.factories import make_admin, make_app, make_post
from tests.readers import CSRF_TOKEN, Reader
from tests.redis_servers import key_prefix, redis_url_or_skip

FLOOD = "You are posting comments too quickly. Slow down."
PASSWORD = "correct horse battery staple"


@pytest.fixture
def redis_url():
    return redis_url_or_skip()


@pytest.fixture
def prefix(redis_url):
    with key_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def store(redis_url):
    """A client of the tests' own on the same Redis, to look at what the apps keep there."""
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        yield client


@pytest.fixture
def make_site(tmp_path, redis_url, prefix):
    """``make_site(name, **settings)``: the blog with a post at /hello/ and an admin, on a SQLite file of
    its own unless told, with the test's Redis keys; every site made is closed afterwards."""
    made = []

    def make_site(name, **settings):
        settings = {"REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, "COMMENTS_MODERATION": "none",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / (name + '.sqlite3')}", **settings}
        app = make_app(tmp_path / name, **settings)
        with app.app_context():
            if not db.inspect(db.engine).has_table("post"):
                db.create_all()
                make_post(slug="hello", title="Hello")
                make_admin()
        made.append(app)
        return app

    yield make_site
    for app in made:
        with app.app_context():
            db.engine.dispose()


def reader(app, ip="192.0.2.1") -> Reader:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return Reader(client)


def count(app, column) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(column)))


def test_a_flood_mark_made_by_one_app_refuses_the_next_comment_in_the_other(make_site, store, prefix):
    first, second = make_site("a", COMMENTS_FLOOD_SECONDS=30), make_site("b", COMMENTS_FLOOD_SECONDS=30)
    assert reader(first).post(email="ann@example.org").status_code == 303

    refused = reader(second).post(email="bob@example.org", comment="Again, from the other app.")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert FLOOD in refused.get_data(as_text=True)
    assert 0 < store.ttl(f"{prefix}flood:ip:192.0.2.1") <= 30
    assert 0 < store.ttl(f"{prefix}flood:email:ann@example.org") <= 30
    # Redis held the marks, not the databases; and the refused comment was not stored.
    assert count(first, FloodMark.key) == count(second, FloodMark.key) == 0
    assert count(second, Comment.id) == 0


def test_a_refused_claim_leaves_no_mark_of_its_own(make_site, store, prefix):
    first, second = make_site("a", COMMENTS_FLOOD_SECONDS=30), make_site("b", COMMENTS_FLOOD_SECONDS=30)
    assert reader(first, ip="192.0.2.1").post(email="ann@example.org").status_code == 303
    # The IP is busy, so the new address is not marked either: Bob may post from elsewhere at once.
    assert reader(second, ip="192.0.2.1").post(email="bob@example.org").status_code == 429
    assert not store.exists(f"{prefix}flood:email:bob@example.org")
    assert reader(second, ip="192.0.2.2").post(email="bob@example.org").status_code == 303


def test_a_comment_refused_after_its_claim_takes_its_marks_back(make_site, store, prefix):
    app = make_site("a", COMMENTS_FLOOD_SECONDS=30)
    with comment_will_be_posted.connected_to(lambda sender, comment, target: "not today", app):
        assert reader(app).post().status_code == 403
    assert store.keys(f"{prefix}flood:*") == []
    assert reader(app).post().status_code == 303


def test_flood_marks_in_redis_expire(make_site):
    first, second = make_site("a", COMMENTS_FLOOD_SECONDS=1), make_site("b", COMMENTS_FLOOD_SECONDS=1)
    assert reader(first).post().status_code == 303
    statuses = []
    for _ in range(100):  # the mark frees within a second or two; a bounded wait for it
        statuses.append(reader(second).post(comment=f"Try {len(statuses)}.").status_code)
        if statuses[-1] != 429:
            break
        time.sleep(0.05)
    assert statuses[0] == 429 and statuses[-1] == 303


def sign_in(app, password, ip="192.0.2.1", username="boss"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    with client.get("/admin/login") as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    with client.post("/admin/login", data={"username": username, "password": password,
                                           "csrf_token": token}) as response:
        response.get_data()
    return response


def test_failed_sign_ins_spread_over_two_apps_lock_the_pair_in_both(make_site, store, prefix):
    first, second = make_site("a"), make_site("b")
    statuses = [sign_in(app, f"wrong guess {number}").status_code
                for number, app in enumerate([first, second, first, second, first])]
    assert statuses == [401] * 5
    for app in (first, second):
        refused = sign_in(app, PASSWORD)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert 0 < store.ttl(f"{prefix}auth:ip:192.0.2.1") <= 15 * 60
    assert count(first, FailedLogin.id) == count(second, FailedLogin.id) == 0
    # The owner, from another address, signs in; and that clears only their own pair's failures.
    assert sign_in(second, PASSWORD, ip="198.51.100.1").status_code == 303
    assert sign_in(first, PASSWORD).status_code == 429


def test_a_right_password_takes_the_pairs_failures_off_the_ips_count(make_site, store, prefix):
    app = make_site("a", AUTH_MAX_FAILURES_PER_IP=6)
    assert [sign_in(app, "wrong").status_code for _ in range(3)] == [401] * 3
    assert sign_in(app, "a guess", username="someone").status_code == 401
    assert sign_in(app, PASSWORD).status_code == 303
    assert store.get(f"{prefix}auth:ip:192.0.2.1") == "1"
    assert not store.exists(f"{prefix}auth:pair:9:192.0.2.1:boss")


def version_in_database(app, key) -> int:
    with app.app_context():
        return db.session.scalar(select(ThreadVersion.version).where(ThreadVersion.target_key == key))


def test_a_comment_posted_through_one_app_shows_on_the_others_next_view(make_site, store, prefix, tmp_path):
    shared = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}"}
    first, second = make_site("a", **shared), make_site("b", **shared)
    assert "Before." not in reader(second).get("/hello/feed/").get_data(as_text=True)
    assert reader(first).post(comment="Before.").status_code == 303
    key = f"{prefix}thread:post-1"
    assert store.get(key) == str(version_in_database(first, "post-1"))
    assert 0 < store.ttl(key) <= VERSION_TTL_SECONDS
    for path in ("/hello/", "/hello/feed/"):
        assert "Before." in reader(second).get(path).get_data(as_text=True)


def test_the_version_reaches_redis_after_the_commit_and_never_on_a_rollback(make_site, store, prefix):
    app = make_site("a")
    key = f"{prefix}thread:post-1"
    with app.app_context():
        touch_thread("post-1")
        assert not store.exists(key)  # not before the commit
        db.session.rollback()
        assert not store.exists(key)
        touch_thread("post-1")
        db.session.commit()
    assert store.get(key) == str(VERSION_STEP) == str(version_in_database(app, "post-1"))


def test_a_copy_left_behind_expires_and_the_database_counts_again(make_site, store, prefix, tmp_path):
    shared = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}"}
    with_redis = make_site("a", **shared)
    # A host that cannot reach Redis: its comment moves the database's version, not Redis's copy.
    without_redis = make_site("b", **shared, REDIS_URL=None)
    assert reader(with_redis).post(comment="First.").status_code == 303
    assert "First." in reader(with_redis).get("/hello/feed/").get_data(as_text=True)
    assert reader(without_redis).post(comment="Second.").status_code == 303
    key = f"{prefix}thread:post-1"
    assert int(store.get(key)) < version_in_database(with_redis, "post-1")
    assert 0 < store.ttl(key) <= VERSION_TTL_SECONDS
    store.delete(key)  # as its expiry would
    assert "Second." in reader(with_redis).get("/hello/feed/").get_data(as_text=True)
    assert store.get(key) == str(version_in_database(with_redis, "post-1"))  # copied again by the reader


def test_a_reader_behind_redis_keeps_nothing_under_its_number(make_site, store, prefix):
    app = make_site("a")
    assert reader(app).post(comment="First.").status_code == 303
    key = f"{prefix}thread:post-1"
    store.set(key, 99)  # a number the reader's transaction has not reached (as a snapshot older than Redis)
    assert "First." in reader(app).get("/hello/feed/").get_data(as_text=True)
    # The copy only ever rises, so it stays at 99: a feed kept under 99 would now hide the new comment.
    assert reader(app).post(comment="Second.", email="bob@example.org").status_code == 303
    assert store.get(key) == "99"
    assert "Second." in reader(app).get("/hello/feed/").get_data(as_text=True)


def test_redis_beside_every_database(tmp_path, database_url, redis_url, prefix, store):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=redis_url, REDIS_KEY_PREFIX=prefix,
                   COMMENTS_MODERATION="none", COMMENTS_FLOOD_SECONDS=30)
    with app.app_context():
        db.create_all()
        key = f"post-{make_post(slug='hello', title='Hello').id}"
    assert reader(app).post(comment="On every database.").status_code == 303
    assert reader(app).post(comment="Too soon.", email="bob@example.org").status_code == 429
    assert store.get(f"{prefix}thread:{key}") == str(version_in_database(app, key))
    assert "On every database." in reader(app).get("/hello/feed/").get_data(as_text=True)
    assert count(app, FloodMark.key) == 0
    with app.app_context():
        db.engine.dispose()
