"""Sign-in and sign-out at /admin/login and /admin/logout."""

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.exceptions import TooManyRequests

from blog.auth.access import start_session
from blog.auth.forms import LoginForm
from blog.auth.models import authenticate
from blog.auth.throttle import address_key, forget_failures, record_failure, retry_after
from blog.extensions import db
from blog.security import never_store

bp = Blueprint("auth", __name__, url_prefix="/admin")
bp.after_request(never_store)


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    # Browsers read "/\\host" as "//host": a backslash anywhere disqualifies the target.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; too many wrong passwords for one name from one IP, or from one IP over all
    names, get 429 there for a while (throttle.py)."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        ip, username = address_key(request.remote_addr or ""), form.username.data
        wait = retry_after(ip, username)
        if wait is not None:
            raise TooManyRequests(_("Too many failed sign-ins. Please wait a few minutes before trying again."),
                                  retry_after=wait)
        # Counted as a failure before the slow password check, so that guesses sent at once each see
        # the others; a right password takes it back.
        record_failure(ip, username)
        db.session.commit()
        admin = authenticate(username, form.password.data)
        if admin is not None:
            forget_failures(ip, username)
            db.session.commit()
            start_session(admin)
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors.append(_("The username or password is not right."))
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out everywhere: this admin's sessions on every device end (a POST with a CSRF token, so no
    link on another site can do it)."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
