"""Sign-in throttling: after too many failures for one name from one IP, or from one IP over all
names, further attempts from there get 429.

Locking a name from every IP would let anyone lock its owner out; counting per (name, IP) pair and
per IP keeps guessing bounded while the owner, from another address, still signs in. Failures live
in the database, so the limits hold across every gunicorn worker and restart.
"""

import ipaddress
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from blog.auth.models import FailedLogin
from blog.extensions import db, utcnow


def address_key(ip: str) -> str:
    """The address failures are counted for: an IPv4 address, or an IPv6 address's /64, which one
    host usually holds whole (each of its 2**64 addresses counted apart would bound nothing)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped is None:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        address = address.ipv4_mapped
    return str(address)


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["AUTH_FAILURE_WINDOW_SECONDS"])


def retry_after(ip: str, username: str) -> int | None:
    """Seconds until this IP may try this name again, or None when it may try now."""
    since = utcnow() - _window()
    limits = (
        (current_app.config["AUTH_MAX_FAILURES"], (FailedLogin.ip == ip, FailedLogin.username == username)),
        (current_app.config["AUTH_MAX_FAILURES_PER_IP"], (FailedLogin.ip == ip,)),
    )
    oldest_counted = []
    for limit, conditions in limits:
        recent = (select(FailedLogin.created_at).where(*conditions, FailedLogin.created_at > since)
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
    """A right password clears this name's failures from this IP; the IP's others still count."""
    db.session.execute(delete(FailedLogin).where(FailedLogin.ip == ip, FailedLogin.username == username))
