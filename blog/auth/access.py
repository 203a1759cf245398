"""Who may do what: Flask-Login wiring, the admin session's lifetime, and the ``admin_required``
guard for every /admin page."""

import time
from functools import wraps

from flask import current_app, request, session
from flask_login import current_user, login_user

from blog.auth.models import Admin
from blog.extensions import db, login_manager

# The session key holding when its admin signed in, in seconds since the epoch.
SIGNED_IN_AT = "admin_signed_in_at"


def start_session(admin: Admin):
    """Sign the admin in on a fresh session (never one a third party may have planted), stamped
    with the time so that it ends after AUTH_SESSION_LIFETIME_SECONDS."""
    session.clear()
    login_user(admin)
    session[SIGNED_IN_AT] = int(time.time())


@login_manager.user_loader
def load_admin(session_id: str) -> Admin | None:
    """The admin this session belongs to, or None once it has ended: signed out (here or on another
    device), a new password set, or signed in longer ago than the lifetime allows."""
    admin_id, _, generation = session_id.partition("-")
    signed_in_for = time.time() - session.get(SIGNED_IN_AT, 0)
    if not (admin_id.isdigit() and generation) or signed_in_for > current_app.config["AUTH_SESSION_LIFETIME_SECONDS"]:
        return None
    admin = db.session.get(Admin, int(admin_id))
    # Only the admin's current generation is signed in: signing out and a new password move it on.
    return admin if admin is not None and admin.get_id() == session_id else None


def admin_required(view):
    """Send anyone not signed in as an admin to the sign-in page, and back here afterwards."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return guarded


def current_admin_name() -> str | None:
    """The signed-in admin's name, for moderation logs; None for anyone else. An admin is signed in on
    the session alone (no remember-me cookie is ever set, and load_admin wants the session's sign-in
    time), so a browser that sends no session cookie is no admin, with no session to open and no
    user to load: every comment POST of a reader asks."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None
    return current_user.username if current_user.is_authenticated else None
