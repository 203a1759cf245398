"""Admin sign-in and sign-out at /admin/login and /admin/logout: passwords, ``next``, CSRF, the
failed-sign-in limits per name and IP and per IP, the session cookie, and the page in Dutch."""

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

import blog.auth.models
from blog.auth import views
from blog.auth.models import Admin, FailedLogin
from blog.extensions import db, utcnow
from tests.factories import make_admin
from tests.readers import CSRF_TOKEN

PASSWORD = "correct horse battery staple"
WRONG = "incorrect horse battery staple"
WRONG_MESSAGE = "The username or password is not right."
# The sign-in form renders the token as WTForms does, the admin pages' sign-out form the other way round.


def csrf_token(client, page="/admin/login", **request) -> str:
    with client.get(page, **request) as response:
        return CSRF_TOKEN.search(response.get_data(as_text=True)).group(1)


def sign_in(client, username="boss", password=PASSWORD, ip=None, token=None, next=None, **request):
    """Post the sign-in form (from ``ip`` when given); the response comes back read and closed."""
    data = {"username": username, "password": password,
            "csrf_token": csrf_token(client) if token is None else token}
    data = {name: value for name, value in data.items() if value is not None}
    if ip is not None:
        request["environ_base"] = {"REMOTE_ADDR": ip}
    with client.post("/admin/login", data=data, query_string={"next": next} if next else None,
                     **request) as response:
        response.get_data()
    return response


def sign_out(client, token):
    with client.post("/admin/logout", data={"csrf_token": token}) as response:
        response.get_data()
    return response


def signed_in_id(client):
    """The admin id Flask-Login keeps in this browser's session, or None."""
    with client.session_transaction() as session:
        return session.get("_user_id")


def dashboard(client):
    with client.get("/admin/") as response:
        response.get_data()
    return response


def is_sign_in_redirect(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.headers["Location"]).path == "/admin/login"


def failed_logins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FailedLogin))


@pytest.fixture
def browser(admin):
    """A browser (not signed in) on a site where admin "boss" exists."""
    return admin.client


def test_right_password_signs_in_and_goes_to_the_dashboard(browser):
    response = sign_in(browser)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert signed_in_id(browser) is not None
    assert dashboard(browser).status_code == 200


def test_right_password_goes_to_a_safe_next(browser):
    response = sign_in(browser, next="/admin/comments?status=spam")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/comments?status=spam"


def test_signing_in_through_a_guarded_page_comes_back_to_it(browser):
    with browser.get("/admin/posts") as guarded:
        assert is_sign_in_redirect(guarded)
        login_url = guarded.headers["Location"]
    with browser.post(login_url, data={"username": "boss", "password": PASSWORD,
                                       "csrf_token": csrf_token(browser)}) as response:
        assert response.status_code == 303
        assert urlsplit(response.headers["Location"]).path == "/admin/posts"


OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_next_goes_to_the_dashboard(browser, target):
    response = sign_in(browser, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def browser_destination(location: str) -> str:
    """Where a browser goes for this Location: WHATWG URL parsing reads "\\" as "/" in http(s) URLs
    and drops tabs and newlines."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urljoin("http://localhost/admin/login", cleaned)


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
    "/\t/evil.example", "https:evil.example", "///evil.example", "http:/\\evil.example", " //evil.example",
])
def test_next_never_leads_off_the_site(browser, target):
    """Whatever ``next`` holds, the browser stays on this host after signing in, and after a visit
    to the sign-in page while signed in."""
    response = sign_in(browser, next=target)
    assert response.status_code == 303
    assert urlsplit(browser_destination(response.headers["Location"])).netloc == "localhost"
    with browser.get("/admin/login", query_string={"next": target}) as again:
        assert again.status_code in (302, 303)
        assert urlsplit(browser_destination(again.headers["Location"])).netloc == "localhost"


def test_wrong_password_does_not_sign_in(app, browser):
    response = sign_in(browser, password=WRONG)
    assert response.status_code == 401
    assert WRONG_MESSAGE in response.get_data(as_text=True)
    assert signed_in_id(browser) is None
    assert is_sign_in_redirect(dashboard(browser))
    assert failed_logins(app) == 1


def test_unknown_name_does_not_sign_in_and_says_the_same(browser):
    """The message must not tell a guesser which names exist."""
    response = sign_in(browser, username="nobody", password=PASSWORD)
    assert response.status_code == 401
    assert WRONG_MESSAGE in response.get_data(as_text=True)
    assert signed_in_id(browser) is None
    assert is_sign_in_redirect(dashboard(browser))


def hash_method(password_hash: str) -> tuple[str, list[int]]:
    """A Werkzeug hash's method and parameters ("scrypt:32768:8:1"), and the lengths of its salt and digest."""
    method, *parts = password_hash.split("$")
    return method, [len(part) for part in parts]


def test_unknown_name_costs_the_same_hash_work_as_a_wrong_password(app, browser, monkeypatch):
    """Nor must the time the answer takes: an unknown name's password is checked against a hash made
    as real ones are. Counted, not timed: every check is recorded, and still done."""
    checked_hashes = []
    real_check = blog.auth.models.check_password_hash

    def counting_check(password_hash, password):
        checked_hashes.append(password_hash)
        return real_check(password_hash, password)

    monkeypatch.setattr(blog.auth.models, "check_password_hash", counting_check)
    assert sign_in(browser, username="nobody", password=WRONG).status_code == 401
    assert sign_in(browser, password=WRONG).status_code == 401
    assert sign_in(browser, username="nobody-else", password=WRONG).status_code == 401
    with app.app_context():
        stored = db.session.scalar(select(Admin.password_hash).where(Admin.username == "boss"))
    unknown, known, unknown_again = checked_hashes
    assert known == stored
    assert unknown != stored and hash_method(unknown) == hash_method(stored)
    assert unknown_again == unknown  # made once per process, not once per attempt


def test_sign_in_without_csrf_token_is_refused(app, browser):
    response = sign_in(browser, token="")
    assert response.status_code == 400
    assert signed_in_id(browser) is None
    assert failed_logins(app) == 0


def test_sign_out_by_get_is_not_allowed(browser):
    """A link or an image on another site must not sign the admin out."""
    assert sign_in(browser).status_code == 303
    with browser.get("/admin/logout") as response:
        assert response.status_code == 405
    assert signed_in_id(browser) is not None
    assert dashboard(browser).status_code == 200


def test_sign_out_without_csrf_token_is_refused(browser):
    assert sign_in(browser).status_code == 303
    with browser.post("/admin/logout") as response:
        assert response.status_code == 400
    assert signed_in_id(browser) is not None
    assert dashboard(browser).status_code == 200


def test_sign_out_signs_out(browser):
    assert sign_in(browser).status_code == 303
    response = sign_out(browser, csrf_token(browser, "/admin/"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/login"
    assert signed_in_id(browser) is None
    assert is_sign_in_redirect(dashboard(browser))


def test_sign_in_page_offers_the_form_and_keeps_robots_out(client):
    with client.get("/admin/login") as response:
        page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="username"' in page and 'name="password"' in page and 'type="password"' in page
    assert '<meta name="robots" content="noindex, nofollow">' in page


# The failed-sign-in limits, within AUTH_FAILURE_WINDOW_SECONDS = 900: AUTH_MAX_FAILURES = 5 for one
# name from one IP, AUTH_MAX_FAILURES_PER_IP = 20 from one IP over all names.
STRANGER = "203.0.113.66"
OWNER = "198.51.100.1"


def assert_refused(response):
    """429 with a Retry-After of at most the window, and nobody signed in."""
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 901
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def add_failures(app, age: timedelta, ip="127.0.0.1", username="boss", count=5):
    with app.app_context():
        db.session.add_all(FailedLogin(ip=ip, username=username, created_at=utcnow() - age) for _ in range(count))
        db.session.commit()


def test_right_password_from_a_locked_name_and_ip_is_refused(browser):
    """Past five failures the pair is refused even the right password, or the lock would tell a
    guesser when they guessed right; the same IP may still try other names."""
    token = csrf_token(browser)
    for _ in range(5):
        assert sign_in(browser, password=WRONG, ip=STRANGER, token=token).status_code == 401
    assert_refused(sign_in(browser, ip=STRANGER, token=token))
    assert signed_in_id(browser) is None
    assert sign_in(browser, username="someone-else", password=WRONG, ip=STRANGER, token=token).status_code == 401


def test_owner_signs_in_from_another_ip_while_a_stranger_is_locked_out(browser):
    """A stranger's guesses lock the name only for the stranger's address, so no one can lock the owner out."""
    token = csrf_token(browser)
    for _ in range(5):
        assert sign_in(browser, password=WRONG, ip=STRANGER, token=token).status_code == 401
    assert_refused(sign_in(browser, password=WRONG, ip=STRANGER, token=token))
    assert sign_in(browser, ip=OWNER, token=token).status_code == 303
    assert dashboard(browser).status_code == 200


def test_one_ip_trying_many_names_hits_the_per_ip_limit(browser):
    """Four wrong passwords for each of five names lock no pair, but twenty from one IP lock that IP
    for every name, the right password too; other addresses may still sign in."""
    token = csrf_token(browser)
    for number in range(5):
        for _ in range(4):
            assert sign_in(browser, username=f"guess-{number}", password=WRONG, ip=STRANGER,
                           token=token).status_code == 401
    assert_refused(sign_in(browser, username="guess-5", password=WRONG, ip=STRANGER, token=token))
    assert_refused(sign_in(browser, ip=STRANGER, token=token))
    assert signed_in_id(browser) is None
    assert sign_in(browser, ip=OWNER, token=token).status_code == 303


def test_an_ipv6_host_counts_as_its_whole_64(browser):
    """One machine usually holds a whole /64: its addresses share one budget; another network's do not."""
    token = csrf_token(browser)
    for number in range(1, 6):
        assert sign_in(browser, password=WRONG, ip=f"2001:db8:1:2::{number}", token=token).status_code == 401
    assert_refused(sign_in(browser, password=WRONG, ip="2001:db8:1:2:ffff::1", token=token))
    assert sign_in(browser, ip="2001:db8:1:3::1", token=token).status_code == 303


def test_an_attempt_counts_before_its_password_is_checked(app, browser, monkeypatch):
    """Guesses sent at once each see the others: the attempt is committed before the slow hash check."""
    counted = []
    check = views.authenticate

    def counting_first(username, password):
        with db.engine.connect() as other:  # what another worker sees meanwhile
            counted.append(other.scalar(select(func.count()).select_from(FailedLogin)))
        return check(username, password)

    monkeypatch.setattr(views, "authenticate", counting_first)
    assert sign_in(browser, password=WRONG).status_code == 401
    assert sign_in(browser).status_code == 303
    assert counted == [1, 2]
    assert failed_logins(app) == 0


def test_per_ip_limit_is_a_setting(app, browser):
    app.config["AUTH_MAX_FAILURES_PER_IP"] = 3
    token = csrf_token(browser)
    for number in range(3):
        assert sign_in(browser, username=f"guess-{number}", password=WRONG, token=token).status_code == 401
    assert_refused(sign_in(browser, token=token))


def test_right_password_clears_only_that_pairs_failures(app, browser):
    """Signing in forgets this name's failures from this IP; the name's failures from elsewhere and this
    IP's failures for other names still count."""
    add_failures(app, timedelta(minutes=1), ip=STRANGER, count=3)
    add_failures(app, timedelta(minutes=1), username="someone-else", count=3)
    token = csrf_token(browser)
    for _ in range(4):
        assert sign_in(browser, password=WRONG, token=token).status_code == 401
    assert sign_in(browser, token=token).status_code == 303
    assert failed_logins(app) == 6
    token = csrf_token(browser, "/admin/")
    assert sign_out(browser, token).status_code == 303
    token = csrf_token(browser)
    for _ in range(4):
        assert sign_in(browser, password=WRONG, token=token).status_code == 401
    assert sign_in(browser, token=token).status_code == 303


def test_failures_older_than_the_window_do_not_count(app, browser):
    add_failures(app, timedelta(seconds=901))
    add_failures(app, timedelta(seconds=901), ip="192.0.2.7", username="someone-else")
    assert sign_in(browser).status_code == 303


def test_failures_within_the_window_count_until_it_ends(app, browser):
    add_failures(app, timedelta(seconds=840))
    response = sign_in(browser)
    assert_refused(response)
    assert 55 <= int(response.headers["Retry-After"]) <= 61


def test_a_wrong_password_forgets_failures_past_the_window(app, browser):
    add_failures(app, timedelta(hours=2), ip="192.0.2.7", username="someone-else")
    assert sign_in(browser, password=WRONG).status_code == 401
    assert failed_logins(app) == 1


# The session cookie (DESIGN.md section 8b).


def cookie_attributes(response) -> tuple[str, set[str], dict[str, str]]:
    """The session cookie's value, its flags and its attributes, as the response sets it."""
    (header,) = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    first, *rest = [part.strip() for part in header.split(";")]
    flags = {part.lower() for part in rest if "=" not in part}
    attributes = {part.split("=", 1)[0].lower(): part.split("=", 1)[1] for part in rest if "=" in part}
    return first.split("=", 1)[1], flags, attributes


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(browser):
    response = sign_in(browser)
    assert response.status_code == 303
    _, flags, attributes = cookie_attributes(response)
    assert "httponly" in flags
    assert attributes["samesite"].lower() == "lax"
    assert "secure" not in flags


def test_session_cookie_is_secure_over_https(browser):
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/admin/login"}}
    with browser.get("/admin/login", base_url="https://localhost") as page:
        token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
        assert "secure" in cookie_attributes(page)[1]
    response = sign_in(browser, token=token, **https)
    assert response.status_code == 303
    _, flags, attributes = cookie_attributes(response)
    assert {"secure", "httponly"} <= flags
    assert attributes["samesite"].lower() == "lax"


def test_signing_in_gives_a_new_session(browser):
    """The cookie from before sign-in (which a third party may have planted) is not the signed-in one."""
    with browser.get("/admin/login") as page:
        before = cookie_attributes(page)[0]
    token = CSRF_TOKEN.search(page.get_data(as_text=True)).group(1)
    after = cookie_attributes(sign_in(browser, token=token))[0]
    assert after != before


def test_password_is_stored_only_as_a_salted_scrypt_hash(app, admin):
    with app.app_context():
        stored = db.session.scalar(select(Admin.password_hash).where(Admin.username == "boss"))
        other = Admin(username="other")
        other.set_password(PASSWORD)
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored
    assert other.password_hash != stored


# In Dutch.


def test_sign_in_page_in_dutch(browser):
    dutch = {"headers": {"Accept-Language": "nl"}}
    with browser.get("/admin/login", **dutch) as response:
        page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "<title>Aanmelden" in page
    assert "<h1>Aanmelden</h1>" in page
    assert ">Gebruikersnaam</label>" in page and ">Wachtwoord</label>" in page
    assert "Sign in" not in page
    token = CSRF_TOKEN.search(page).group(1)
    wrong = sign_in(browser, password=WRONG, token=token, **dutch)
    assert wrong.status_code == 401
    assert "De gebruikersnaam of het wachtwoord klopt niet." in wrong.get_data(as_text=True)
    for _ in range(4):
        sign_in(browser, password=WRONG, token=token)
    refused = sign_in(browser, token=token, **dutch)
    assert refused.status_code == 429
    assert "Te veel mislukte aanmeldpogingen." in refused.get_data(as_text=True)


def test_the_limits_hold_on_every_database(matrix_app):
    """Failures are counted in the database, whichever one it is; old ones are ignored and then dropped."""
    with matrix_app.app_context():
        make_admin()
    add_failures(matrix_app, timedelta(seconds=1000), ip="192.0.2.99", username="boss", count=10)
    browser = matrix_app.test_client()
    token = csrf_token(browser)
    for _ in range(4):
        assert sign_in(browser, password=WRONG, token=token).status_code == 401
    assert failed_logins(matrix_app) == 4
    assert sign_in(browser, token=token).status_code == 303
    assert failed_logins(matrix_app) == 0

    other = matrix_app.test_client()
    token = csrf_token(other)
    for _ in range(5):
        assert sign_in(other, password=WRONG, ip=STRANGER, token=token).status_code == 401
    assert_refused(sign_in(other, ip=STRANGER, token=token))
    assert sign_in(other, ip=OWNER, token=token).status_code == 303

    for number in range(5):
        add_failures(matrix_app, timedelta(minutes=1), ip="192.0.2.66", username=f"guess-{number}", count=4)
    assert_refused(sign_in(matrix_app.test_client(), ip="192.0.2.66"))
