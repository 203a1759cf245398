"""The session cookie: HttpOnly and SameSite=Lax always (config), and Secure whenever the request came over HTTPS."""

from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure per request rather than once for the whole app,
    so one deployment serves both a plain-HTTP health check and HTTPS readers correctly."""

    def get_cookie_secure(self, app) -> bool:
        return app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)

    def save_session(self, app, session, response):
        """As Flask's, but a response varies by cookie only when a session was there to read: Flask-Login
        looks into the session on every page, and a page for a browser that sent no session cookie,
        and got none, is the same for every such browser (a shared cache may keep it)."""
        if not session and not session.modified and self.get_cookie_name(app) not in request.cookies:
            session.accessed = False
        super().save_session(app, session, response)
