"""Sign-in throttling: after too many failures per IP or per name, further attempts get 429.

Failures live in the database, so the limit holds across every gunicorn worker and restart.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from blog.auth.models import FailedLogin
from blog.extensions import db, utcnow


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["AUTH_FAILURE_WINDOW_SECONDS"])


def retry_after(ip: str, username: str) -> int | None:
    """Seconds until this IP and name may try again, or None when they may try now."""
    since = utcnow() - _window()
    limit = current_app.config["AUTH_MAX_FAILURES"]
    oldest_counted = []
    for column, value in ((FailedLogin.ip, ip), (FailedLogin.username, username)):
        recent = (select(FailedLogin.created_at).where(column == value, FailedLogin.created_at > since)
                  .order_by(FailedLogin.created_at.desc()).limit(limit).subquery())
        count, oldest = db.session.execute(select(func.count(), func.min(recent.c.created_at))).one()
        if count >= limit:
            oldest_counted.append(oldest)
    if not oldest_counted:
        return None
    return max(1, int((max(oldest_counted) + _window() - utcnow()).total_seconds()) + 1)


def record_failure(ip: str, username: str):
    """Count a wrong password, and forget failures too old to count any more."""
    db.session.execute(delete(FailedLogin).where(FailedLogin.created_at <= utcnow() - _window()))
    db.session.add(FailedLogin(ip=ip, username=username[:100]))


def forget_failures(ip: str, username: str):
    """A right password clears this IP's and this name's count."""
    db.session.execute(delete(FailedLogin).where(or_(FailedLogin.ip == ip, FailedLogin.username == username)))
