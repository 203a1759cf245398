"""An admin's session ends when it should: at sign-out (on every device), when a new password is
set, and AUTH_SESSION_LIFETIME_SECONDS after signing in, whatever a saved cookie says."""

import time
from urllib.parse import urlsplit

import pytest

from blog.auth.access import SIGNED_IN_AT, current_admin_name
from tests.factories import make_admin
from tests.readers import AdminActions

NEW_PASSWORD = "a brand new long passphrase"
LIFETIME = 12 * 3600


@pytest.fixture
def site(matrix_app):
    """The blog on each database of the matrix, with admin "boss"."""
    with matrix_app.app_context():
        make_admin()
    return matrix_app


def signed_in(app) -> AdminActions:
    """A browser of its own, signed in as "boss"."""
    browser = AdminActions(app.test_client())
    assert browser.login().status_code == 303
    return browser


def opens_the_dashboard(client) -> bool:
    """Whether /admin/ opens in this browser, rather than sending it to sign in."""
    with client.get("/admin/") as response:
        if response.status_code in (302, 303):
            assert urlsplit(response.headers["Location"]).path == "/admin/login"
            return False
        assert response.status_code == 200
        return True


def replay(app, client):
    """A second browser holding a copy of this one's session cookie, as whoever saved it would."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def test_a_signed_in_admin_keeps_working_across_requests(site):
    """The control for the tests below: a session ends only for a reason, not after its first request,
    not because the admin signed in on another device too."""
    admin = signed_in(site)
    for path in ("/admin/", "/admin/comments", "/admin/posts"):
        with admin.client.get(path) as response:
            assert response.status_code == 200, path
    signed_in(site)
    assert opens_the_dashboard(admin.client)
    assert opens_the_dashboard(replay(site, admin.client))


def test_a_cookie_saved_before_sign_out_no_longer_opens_the_admin(site):
    """Signing out ends the session itself, not just this browser's copy of it."""
    admin = signed_in(site)
    saved = replay(site, admin.client)
    assert opens_the_dashboard(saved)
    assert admin.logout().status_code == 303
    assert not opens_the_dashboard(saved)
    assert not opens_the_dashboard(admin.client)


def test_sign_out_ends_the_admins_sessions_on_every_device(site):
    laptop, phone = signed_in(site), signed_in(site)
    assert laptop.logout().status_code == 303
    assert not opens_the_dashboard(phone.client)
    assert signed_in(site)


def test_a_new_password_through_the_cli_ends_the_admins_sessions(site):
    admin = signed_in(site)
    saved = replay(site, admin.client)
    result = site.test_cli_runner().invoke(args=["blog", "create-admin", "boss", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert not opens_the_dashboard(admin.client)
    assert not opens_the_dashboard(saved)
    assert AdminActions(site.test_client(), password=NEW_PASSWORD).login().status_code == 303


def set_signed_in_at(client, seconds_ago: int):
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = int(time.time()) - seconds_ago


def test_a_session_older_than_the_lifetime_is_refused(admin):
    assert admin.login().status_code == 303
    set_signed_in_at(admin.client, LIFETIME - 60)
    assert opens_the_dashboard(admin.client)
    set_signed_in_at(admin.client, LIFETIME + 60)
    assert not opens_the_dashboard(admin.client)


def test_the_session_lifetime_is_a_setting(app, admin):
    app.config["AUTH_SESSION_LIFETIME_SECONDS"] = 60
    assert admin.login().status_code == 303
    set_signed_in_at(admin.client, 30)
    assert opens_the_dashboard(admin.client)
    set_signed_in_at(admin.client, 90)
    assert not opens_the_dashboard(admin.client)


def test_an_old_style_session_holding_a_bare_id_is_not_signed_in(admin):
    """Sessions made before sessions carried a generation: the admin signs in again."""
    assert admin.login().status_code == 303
    with admin.client.session_transaction() as session:
        session["_user_id"] = session["_user_id"].partition("-")[0]
    assert not opens_the_dashboard(admin.client)


def test_the_admin_is_named_from_the_session_cookie_and_nobody_without_one(app, admin):
    admin.login()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    session_cookie = admin.client.get_cookie(cookie_name).value
    with app.test_request_context(headers={"Cookie": f"{cookie_name}={session_cookie}"}):
        assert current_admin_name() == "boss"
    # The same value under Flask-Login's remember-me cookie, which the site never sets, names nobody.
    with app.test_request_context(headers={"Cookie": f"remember_token={session_cookie}"}):
        assert current_admin_name() is None
