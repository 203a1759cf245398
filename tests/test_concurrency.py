"""Many readers at once through the real gunicorn: every acknowledged comment stored exactly once,
on every database, even while a worker is killed or the server reloads."""

import os
import signal
import subprocess
import threading
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

from tests.load import post_concurrently
from tests.servers import blog_environment, flask_command, gunicorn_process

pytestmark = pytest.mark.processes

PAGE = "/how-ketamine-works/"
CLIENTS = 32
TOTAL = 500


def serve_settings(tmp_path, database_url=None) -> dict:
    """Migrate and seed, with the limits that would refuse a load test's comments switched off."""
    variables = {"FLASK_COMMENTS_FLOOD_SECONDS": "0", "FLASK_COMMENTS_MIN_FILL_SECONDS": "0",
                 "FLASK_COMMENTS_MODERATION": '"none"'}
    if database_url:
        variables["DATABASE_URL"] = database_url
    environment = blog_environment(tmp_path / "instance", **variables)
    flask_command(environment, "db", "upgrade")
    flask_command(environment, "blog", "seed")
    return environment


def stored_texts(database_url: str) -> Counter:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return Counter(connection.execute(text("SELECT body_raw FROM comment")).scalars())
    finally:
        engine.dispose()


def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'instance' / 'blog.sqlite3'}"


def assert_sqlite_intact(tmp_path):
    engine = create_engine(sqlite_url(tmp_path))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        engine.dispose()


def test_concurrent_comments_are_all_stored_once(tmp_path, database_url):
    on_server = not database_url.startswith("sqlite")
    environment = serve_settings(tmp_path, database_url if on_server else None)
    with gunicorn_process(environment, workers=4) as (base_url, _master):
        outcomes = post_concurrently(base_url, PAGE, CLIENTS, TOTAL)
    assert Counter(outcomes.values()) == Counter({303: TOTAL})
    stored = stored_texts(database_url if on_server else sqlite_url(tmp_path))
    assert stored == Counter(outcomes.keys())
    if not on_server:
        assert_sqlite_intact(tmp_path)


def worker_pids(master_pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True, timeout=10)
    return [int(pid) for pid in result.stdout.split()]


@pytest.mark.parametrize("disruption", ["kill-a-worker", "reload"])
def test_acknowledged_comments_survive_a_killed_worker_or_a_reload(tmp_path, disruption):
    """SIGKILL may break the requests that worker was serving (never acknowledged, never half-written);
    a SIGHUP reload lets workers finish theirs and fails none."""
    environment = serve_settings(tmp_path)
    with gunicorn_process(environment, workers=4) as (base_url, master):
        disrupted = threading.Event()

        def disrupt(index):
            if index >= TOTAL // 3 and not disrupted.is_set():
                disrupted.set()
                if disruption == "reload":
                    master.send_signal(signal.SIGHUP)
                else:
                    os.kill(worker_pids(master.pid)[0], signal.SIGKILL)

        outcomes = post_concurrently(base_url, PAGE, CLIENTS, TOTAL, on_progress=disrupt)
        assert disrupted.is_set()
        assert master.poll() is None, "gunicorn's master died"
        assert len(worker_pids(master.pid)) == 4, "gunicorn did not replace the worker"

    acknowledged = [text_ for text_, status in outcomes.items() if status == 303]
    broken = [text_ for text_, status in outcomes.items() if status != 303]
    assert all(status in (303, None) for status in outcomes.values())
    if disruption == "reload":
        assert broken == []
    stored = stored_texts(sqlite_url(tmp_path))
    assert all(stored[text_] == 1 for text_ in acknowledged)
    assert all(stored[text_] <= 1 for text_ in broken)
    assert sum(stored.values()) == len(stored)
    assert_sqlite_intact(tmp_path)
