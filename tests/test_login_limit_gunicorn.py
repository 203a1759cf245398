"""The failed-sign-in limit through real gunicorn with several workers: failures are counted in the
database, so guesses spread over workers (and, behind a trusted proxy, over client addresses) add up."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

from tests.readers import CSRF_TOKEN
from tests.servers import blog_environment, flask_command, gunicorn

PASSWORD = "correct horse battery staple"
TIMEOUT = 10


def send(opener, url, data=None, headers=None) -> tuple[int, dict, str, str]:
    """One request on a new connection (urllib keeps none open), redirects followed: status, headers,
    body and the final URL, for errors too."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), response.read().decode(), response.url
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode(), error.url


def test_five_failures_across_workers_refuse_the_sixth_sign_in(tmp_path):
    # One trusted proxy, so each X-Forwarded-For below is a different client: only the per-name count can refuse.
    environment = blog_environment(tmp_path / "instance", FLASK_PROXY_FIX_X_FOR="1")
    flask_command(environment, "db", "upgrade")
    created = flask_command(environment, "blog", "create-admin", "boss", "--password", PASSWORD)
    assert created.stdout == "Created admin boss.\n"

    with gunicorn(environment, workers=4) as base_url:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = base_url + "/admin/login"
        status, _, page, _ = send(opener, login)
        assert status == 200
        token = CSRF_TOKEN.search(page).group(1)

        statuses = []
        for number in range(1, 6):
            guess = {"username": "boss", "password": f"wrong guess {number}", "csrf_token": token}
            status, _, page, _ = send(opener, login, guess, {"X-Forwarded-For": f"192.0.2.{number}"})
            statuses.append(status)
            assert "The username or password is not right." in page
        assert statuses == [401] * 5

        for number in range(6, 10):
            right = {"username": "boss", "password": PASSWORD, "csrf_token": token}
            status, headers, page, _ = send(opener, login, right, {"X-Forwarded-For": f"192.0.2.{number}"})
            assert status == 429
            assert 1 <= int(headers["Retry-After"]) <= 901
            assert "Too many failed sign-ins" in page

        # The name is what is refused, not the proxy's own address: another name is still answered.
        other = {"username": "someone-else", "password": "a guess", "csrf_token": token}
        status, _, _, _ = send(opener, login, other, {"X-Forwarded-For": "198.51.100.1"})
        assert status == 401

        # Nobody was signed in: the dashboard still sends this browser to the sign-in page.
        status, _, _, final_url = send(opener, base_url + "/admin/")
        assert status == 200 and urllib.parse.urlsplit(final_url).path == "/admin/login"
