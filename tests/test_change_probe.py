"""blog.database.data_version: SQLite's change counter, read on a connection of each process's own."""

import os
import sqlite3

from blog.database import ChangeProbe, data_version
from blog.extensions import db
from tests.factories import make_app


def commit_elsewhere(path):
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
        other.execute("INSERT INTO scratch VALUES (1)")


def test_it_changes_with_every_commit_by_any_connection_and_only_then(tmp_path):
    path = str(tmp_path / "probe.sqlite3")
    commit_elsewhere(path)
    probe = ChangeProbe(path)
    before = probe.read()
    assert probe.read() == before  # nothing committed: the same
    commit_elsewhere(path)
    after = probe.read()
    assert after != before and probe.read() == after


def test_a_forked_worker_opens_its_own_connection(tmp_path):
    path = str(tmp_path / "probe.sqlite3")
    commit_elsewhere(path)
    probe = ChangeProbe(path)
    parent = probe.read()
    child = os.fork()
    if child == 0:  # the worker: its value is its own, and it still sees commits
        try:
            first = probe.read()
            commit_elsewhere(path)
            os._exit(0 if first[0] == os.getpid() and probe.read() != first else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert probe.read()[0] == parent[0] == os.getpid()


def test_only_a_sqlite_file_has_one(tmp_path):
    on_file = make_app(tmp_path)
    in_memory = make_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://")
    with on_file.app_context():
        db.create_all()
        assert isinstance(data_version(), tuple)
    with in_memory.app_context():
        assert data_version() is None
