"""Flood control: one comment per COMMENTS_FLOOD_SECONDS from one IP and from one email address,
held in the database so every gunicorn worker enforces the same limit."""

import math
from datetime import timedelta

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from blog.comments.models import FloodMark
from blog.extensions import db, utcnow

# Every comment post runs these, in the transaction that writes it (on SQLite, holding the write lock):
# built once, and run on the session's connection, where the ORM's execution path and unit of work
# would cost several times the statements themselves.
_FREED = delete(FloodMark).where(FloodMark.key.in_(bindparam("keys", expanding=True)),
                                 FloodMark.until <= bindparam("now"))
_MARK = insert(FloodMark)
_BUSY_UNTIL = (select(FloodMark.until).where(FloodMark.key.in_(bindparam("keys", expanding=True)))
               .order_by(FloodMark.until.desc()).limit(1))


def flood_keys(ip: str | None, email: str) -> list[str]:
    """The keys a commenter is limited by: their IP (when known) and their email address."""
    return [key for key in (f"ip:{ip}" if ip else None, f"email:{email}") if key]


def claim(keys: list[str], seconds: int) -> int | None:
    """Mark each key busy for ``seconds``; None when all were free, else seconds until one frees.

    A refused claim undoes its own marks (a savepoint) and leaves the caller's transaction usable, for the
    caller to end: on PostgreSQL a failed insert would otherwise abort the whole transaction.
    """
    now = utcnow()
    connection = db.session.connection()
    connection.execute(_FREED, {"keys": keys, "now": now})
    try:
        with connection.begin_nested():
            connection.execute(_MARK, [{"key": key, "until": now + timedelta(seconds=seconds)} for key in keys])
    except IntegrityError:
        busy_until = connection.execute(_BUSY_UNTIL, {"keys": keys}).scalar()
        return max(1, math.ceil((busy_until - utcnow()).total_seconds())) if busy_until else 1
    return None
