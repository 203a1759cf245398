"""Whole requests through real gunicorn (issue 12), on SQLite, PostgreSQL and MariaDB: Hypothesis draws
them as tests/test_request_properties.py does, and tests/wire.py sends their bytes over a socket, so that
nothing on the way normalizes them. Never a 5xx; a refused request writes no row; a taken comment reads
back as sent; and gunicorn's log stays quiet: no traceback, no ERROR line, whatever was sent."""

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from sqlalchemy import create_engine

from blog.config import normalize_database_url
from tests.servers import blog_environment, flask_command, gunicorn
from tests.wire import (
    BROWSER_FORMS,
    COMMENT,
    HOSTILE,
    PASSWORD,
    POST_PAGE,
    SIGN_IN,
    Answer,
    check_answer,
    exchange,
    plans,
    route_session,
    snapshot,
)

pytestmark = pytest.mark.processes

SLUG = "how-ketamine-works"  # the seed post's
# What a server that failed on a request writes to its log; a refused request is only an access-log line
# (or, for bytes HTTP forbids, one WARNING line from gunicorn itself).
LOUD = re.compile(r"Traceback|\[ERROR\]|\[CRITICAL\]| ERROR in ")


@dataclass
class Server:
    """gunicorn serving the blog, the database it writes to, and its two logs."""

    address: tuple[str, int]
    engine: object
    error_log: Path
    access_log: Path

    def send(self, request) -> Answer:
        return exchange(self.address, request)

    def snapshot(self) -> dict:
        with self.engine.connect() as connection:
            return snapshot(connection)

    def errors(self, start=0) -> str:
        """What the error log holds from byte ``start`` on (gunicorn's own lines and the app's)."""
        with self.error_log.open("rb") as log:
            log.seek(start)
            return log.read().decode("utf-8", "replace")

    def log_size(self) -> int:
        return self.error_log.stat().st_size


@pytest.fixture
def served(tmp_path, database_url):
    """The blog migrated, seeded and served by two gunicorn workers on a database of the matrix; comments
    approved at once, no flood limit or fill-time trap, no sign-in limit; both logs written to files."""
    error_log, access_log = tmp_path / "error.log", tmp_path / "access.log"
    environment = blog_environment(
        tmp_path / "instance", DATABASE_URL=database_url, FLASK_COMMENTS_MODERATION="none",
        FLASK_COMMENTS_MIN_FILL_SECONDS="0", FLASK_COMMENTS_FLOOD_SECONDS="0", FLASK_AUTH_MAX_FAILURES="1000000",
        FLASK_AUTH_MAX_FAILURES_PER_IP="1000000",
        # Over gunicorn.conf.py (tests/servers.py keeps stderr in a file of its own, out of reach): the error
        # log, the app's log and anything written to stderr in one file; the access log in another.
        GUNICORN_CMD_ARGS=f"--error-logfile {shlex.quote(str(error_log))} "
                          f"--access-logfile {shlex.quote(str(access_log))} --capture-output",
    )
    flask_command(environment, "db", "upgrade")
    flask_command(environment, "blog", "seed")
    flask_command(environment, "blog", "create-admin", "boss", "--password", PASSWORD)
    engine = create_engine(normalize_database_url(database_url))
    with gunicorn(environment, workers=2) as base_url:
        address = urlsplit(base_url)
        yield Server((address.hostname, address.port), engine, error_log, access_log)
    engine.dispose()


def test_gunicorn_answers_any_request_without_a_5xx_or_an_error_logged(served):
    readers = {route: route_session(served.send, route, f"/{SLUG}/".encode()) for route in (COMMENT, SIGN_IN)}
    values = {"slug": SLUG, "token": ""}
    numbers = iter(range(1_000_000))

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @example(plan=HOSTILE["multipart: comment as a file part (issue 12)"])
    @example(plan=HOSTILE["content type: JSON with a lone surrogate (issue 12)"])
    @example(plan=HOSTILE["content type: JSON with the CSRF token in its header"])
    @example(plan=HOSTILE["path: NUL"])
    @example(plan=HOSTILE["header User-Agent: latin-1 é"])
    @example(plan=HOSTILE["header User-Agent: a control character"])
    @example(plan=BROWSER_FORMS["urlencoded"])
    @example(plan=BROWSER_FORMS["multipart (Firefox)"])
    @given(plan=plans([COMMENT, POST_PAGE, SIGN_IN], over_the_wire=True))
    def send_one(plan):
        plan = plan.numbered(next(numbers))  # the same comment twice would be a 409 duplicate
        reader = readers.get(plan.route, readers[COMMENT])
        filled = {**values, **reader.secrets}
        request = plan.render(reader.cookie, filled)
        before, start = served.snapshot(), served.log_size()
        answer = served.send(request)
        after, logged = served.snapshot(), served.errors(start)
        event(f"{plan.verdict}: {answer.status}" + ("" if answer.is_from_app else " from gunicorn itself"))
        check_answer(plan, request, answer, before, after, filled, logged)
        assert not LOUD.search(logged), f"gunicorn logged an error for {', '.join(plan.labels)}:\n{logged[-3000:]}" \
                                        f"\n\n--- the request ---\n{request!r}\n\n--- the answer ---\n{answer!r}"

    send_one()
    logged = served.errors()
    assert not LOUD.search(logged), logged[-5000:]
    statuses = re.findall(r'" (\d{3}) ', served.access_log.read_text(errors="replace"))
    assert statuses and not [status for status in statuses if status.startswith("5")], statuses
