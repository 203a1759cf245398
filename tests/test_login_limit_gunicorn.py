"""The failed-sign-in limits through real gunicorn with several workers: failures are counted in the
database, so guesses spread over workers add up, per name and IP and per IP, and behind a trusted
proxy each client address is counted on its own, so a stranger's guesses do not lock the owner out."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.readers import CSRF_TOKEN
from tests.servers import blog_environment, flask_command, gunicorn

pytestmark = pytest.mark.processes

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


def sign_in(opener, login, token, username, password, client_ip) -> tuple[int, dict, str, str]:
    """Post the sign-in form as the client at ``client_ip``, behind the trusted proxy."""
    fields = {"username": username, "password": password, "csrf_token": token}
    return send(opener, login, fields, {"X-Forwarded-For": client_ip})


def assert_refused(response):
    status, headers, page, _ = response
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 901
    assert "Too many failed sign-ins" in page


def test_limits_across_workers_refuse_the_stranger_and_not_the_owner(tmp_path):
    # One trusted proxy, so each X-Forwarded-For below is a different client.
    environment = blog_environment(tmp_path / "instance", FLASK_PROXY_FIX_X_FOR="1")
    flask_command(environment, "db", "upgrade")
    created = flask_command(environment, "blog", "create-admin", "boss", "--password", PASSWORD)
    assert created.stdout == "Created admin boss.\n"

    with gunicorn(environment, workers=4) as base_url:
        stranger = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = base_url + "/admin/login"
        status, _, page, _ = send(stranger, login)
        assert status == 200
        token = CSRF_TOKEN.search(page).group(1)

        # Five wrong passwords for the name from one address, whichever workers answer them, lock that pair.
        statuses = []
        for number in range(1, 6):
            status, _, page, _ = sign_in(stranger, login, token, "boss", f"wrong guess {number}", "192.0.2.1")
            statuses.append(status)
            assert "The username or password is not right." in page
        assert statuses == [401] * 5
        for _ in range(4):
            assert_refused(sign_in(stranger, login, token, "boss", PASSWORD, "192.0.2.1"))

        # The owner, from another address, still signs in.
        owner = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, _, page, _ = send(owner, login)
        status, _, _, final_url = sign_in(owner, login, CSRF_TOKEN.search(page).group(1), "boss", PASSWORD,
                                          "198.51.100.1")
        assert status == 200 and urllib.parse.urlsplit(final_url).path == "/admin/"

        # The stranger's address may try other names until it has failed twenty times over all names.
        statuses = [sign_in(stranger, login, token, f"someone-{number}", "a guess", "192.0.2.1")[0]
                    for number in range(15)]
        assert statuses == [401] * 15
        assert_refused(sign_in(stranger, login, token, "someone-new", "a guess", "192.0.2.1"))

        # Nobody was signed in: the dashboard still sends the stranger's browser to the sign-in page.
        status, _, _, final_url = send(stranger, base_url + "/admin/")
        assert status == 200 and urllib.parse.urlsplit(final_url).path == "/admin/login"
