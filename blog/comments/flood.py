"""Flood control: one comment per COMMENTS_FLOOD_SECONDS from one IP and from one email address,
held in the database so every gunicorn worker enforces the same limit."""

import math
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from blog.comments.models import FloodMark
from blog.extensions import db, utcnow


def flood_keys(ip: str | None, email: str) -> list[str]:
    """The keys a commenter is limited by: their IP (when known) and their email address."""
    return [key for key in (f"ip:{ip}" if ip else None, f"email:{email}") if key]


def claim(keys: list[str], seconds: int) -> int | None:
    """Mark each key busy for ``seconds``; None when all were free, else seconds until one frees.

    A refused claim undoes its own marks (a savepoint) and leaves the caller's transaction usable, for the
    caller to end: on PostgreSQL a failed insert would otherwise abort the whole transaction.
    """
    now = utcnow()
    db.session.execute(delete(FloodMark).where(FloodMark.key.in_(keys), FloodMark.until <= now))
    try:
        with db.session.begin_nested():
            db.session.add_all(FloodMark(key=key, until=now + timedelta(seconds=seconds)) for key in keys)
    except IntegrityError:
        busy_until = db.session.scalar(select(FloodMark.until).where(FloodMark.key.in_(keys))
                                       .order_by(FloodMark.until.desc()).limit(1))
        return max(1, math.ceil((busy_until - utcnow()).total_seconds())) if busy_until else 1
    return None
