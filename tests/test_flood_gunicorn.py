"""The comment flood limit through real gunicorn with four workers: the limit lives in the database, so
posts spread over workers and connections, each with a new email and a new (forged) X-Forwarded-For, are
all refused after the first."""

import http.cookiejar
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing

import pytest

from tests.readers import CSRF_TOKEN, FORM_STAMP
from tests.servers import blog_environment, flask_command, gunicorn

pytestmark = pytest.mark.processes

TIMEOUT = 10
PAGE = "/how-ketamine-works/"
FLOOD_SECONDS = 30
FLOOD = "You are posting comments too quickly. Slow down."


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand back a redirect as it came, so its status and Location can be checked."""

    def redirect_request(self, *args, **kwargs):
        return None


def send(opener, url, data=None, headers=None) -> tuple[int, dict, str]:
    """One request on a new connection (urllib keeps none open): status, headers, body; errors too."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


def stored_comments(database) -> list[tuple]:
    with closing(sqlite3.connect(database, timeout=TIMEOUT)) as connection:
        return connection.execute("SELECT author, email, ip FROM comment ORDER BY id").fetchall()


def test_flood_limit_holds_across_four_workers_and_forged_forwarded_addresses(tmp_path):
    instance = tmp_path / "instance"
    environment = blog_environment(instance, FLASK_COMMENTS_FLOOD_SECONDS=str(FLOOD_SECONDS),
                                   FLASK_COMMENTS_MIN_FILL_SECONDS="0")
    flask_command(environment, "db", "upgrade")
    flask_command(environment, "blog", "seed")

    with gunicorn(environment, workers=4) as base_url:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                              NoRedirects)
        status, _, page = send(browser, base_url + PAGE)
        assert status == 200
        hidden = {"csrf_token": CSRF_TOKEN.search(page).group(1), "issued": FORM_STAMP.search(page).group(1)}
        action = base_url + PAGE + "comments"

        first = {"author": "Ann", "email": "ann@example.org", "comment": "The first comment.", "parent": "0",
                 **hidden}
        status, headers, _ = send(browser, action, first, {"X-Forwarded-For": "203.0.113.1"})
        assert status == 303
        assert urllib.parse.urlsplit(headers["Location"]).path == PAGE

        for number in range(2, 10):
            again = {**first, "author": f"Sock puppet {number}", "email": f"puppet{number}@example.org",
                     "comment": f"Comment number {number}."}
            status, headers, page = send(browser, action, again, {"X-Forwarded-For": f"203.0.113.{number}"})
            assert status == 429, number
            assert 1 <= int(headers["Retry-After"]) <= FLOOD_SECONDS
            assert FLOOD in page
            assert f"Comment number {number}." in page

    assert stored_comments(instance / "blog.sqlite3") == [("Ann", "ann@example.org", "127.0.0.1")]
