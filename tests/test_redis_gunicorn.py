"""The comment flood limit in Redis through real gunicorn (issue 16): two servers of two workers each, every
one on a database of its own and all sharing one Redis, refuse as one the comments sent after the first,
whichever server and worker they reach, and no database holds a mark."""

import http.cookiejar
import sqlite3
import urllib.request
from contextlib import ExitStack, closing

import pytest

from tests.readers import CSRF_TOKEN, FORM_STAMP
from tests.redis_servers import key_prefix, redis_url_or_skip
from tests.servers import blog_environment, flask_command, gunicorn
from tests.test_flood_gunicorn import FLOOD, PAGE, TIMEOUT, NoRedirects, send

pytestmark = pytest.mark.processes

FLOOD_SECONDS = 30


def stored(database, table) -> list[tuple]:
    with closing(sqlite3.connect(database, timeout=TIMEOUT)) as connection:
        return connection.execute(f"SELECT * FROM {table}").fetchall()


def test_flood_limit_in_redis_holds_across_two_servers_and_their_workers(tmp_path):
    redis_url = redis_url_or_skip()
    with key_prefix(redis_url) as prefix, ExitStack() as servers:
        instances = [tmp_path / "a", tmp_path / "b"]
        base_urls = []
        for instance in instances:
            environment = blog_environment(instance, FLASK_REDIS_URL=redis_url, FLASK_REDIS_KEY_PREFIX=prefix,
                                           FLASK_COMMENTS_FLOOD_SECONDS=str(FLOOD_SECONDS),
                                           FLASK_COMMENTS_MIN_FILL_SECONDS="0")
            flask_command(environment, "db", "upgrade")
            flask_command(environment, "blog", "seed")
            base_urls.append(servers.enter_context(gunicorn(environment, workers=2)))

        forms = []
        for base_url in base_urls:  # a browser per server: its session, token and form stamp are that server's
            browser = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects)
            status, _, page = send(browser, base_url + PAGE)
            assert status == 200
            hidden = {"csrf_token": CSRF_TOKEN.search(page).group(1), "issued": FORM_STAMP.search(page).group(1)}
            forms.append((browser, base_url + PAGE + "comments", hidden))

        browser, action, hidden = forms[0]
        first = {"author": "Ann", "email": "ann@example.org", "comment": "The first comment.", "parent": "0"}
        status, _, _ = send(browser, action, {**first, **hidden})
        assert status == 303

        for number in range(2, 10):
            browser, action, hidden = forms[number % 2]
            again = {**first, "author": f"Sock puppet {number}", "email": f"puppet{number}@example.org",
                     "comment": f"Comment number {number}.", **hidden}
            status, headers, page = send(browser, action, again)
            assert status == 429, number
            assert 1 <= int(headers["Retry-After"]) <= FLOOD_SECONDS
            assert FLOOD in page

    comments = [stored(instance / "blog.sqlite3", "comment") for instance in instances]
    assert [len(rows) for rows in comments] == [1, 0]
    assert [stored(instance / "blog.sqlite3", "comment_flood_mark") for instance in instances] == [[], []]
