"""The session cookie: HttpOnly and SameSite=Lax always (config), and Secure whenever the request came over HTTPS."""

from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure per request rather than once for the whole app,
    so one deployment serves both a plain-HTTP health check and HTTPS readers correctly."""

    def get_cookie_secure(self, app) -> bool:
        return app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)
