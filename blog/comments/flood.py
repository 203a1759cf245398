"""Flood control: one comment per COMMENTS_FLOOD_SECONDS from one IP and from one email address,
held where every gunicorn worker and every host sees it: in Redis when it is configured and answers
(keys that expire on their own), else in the database.

Marks are claimed in the transaction that stores the comment, and a comment that is not stored after
all (refused later, or rolled back) takes its marks back: in the database with the transaction, in Redis
when the transaction ends without a commit. While Redis is down the database's marks count, so the
marks Redis held are not seen: a commenter may post once more as an outage begins.
"""

import math
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from blog.comments.models import FloodMark
from blog.extensions import OFFLINE, db, redis_store, utcnow

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


# All of KEYS marked busy for ARGV[1] seconds (with ARGV[2], the claim's own token), or none of them when
# one is busy already: 0 when claimed, else the milliseconds until the last busy one frees. One script,
# so no other claim comes between the check and the marks.
_CLAIM_IN_REDIS = """
local busy = 0
for _, key in ipairs(KEYS) do
  busy = math.max(busy, redis.call('PTTL', key))
end
if busy > 0 then
  return busy
end
for _, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[2], 'EX', ARGV[1])
end
return 0
"""
# The marks of KEYS that are still the claim ARGV[1]'s, removed.
_RELEASE_IN_REDIS = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
  end
end
"""
# Where claims in Redis wait for their transaction's end, in ``Session.info``.
_CLAIMED = "comments.flood_claimed_in_redis"


def claim(keys: list[str], seconds: int) -> int | None:
    """Mark each key busy for ``seconds``; None when all were free, else seconds until one frees.

    A refused claim leaves no marks of its own, and leaves the caller's transaction usable, for the
    caller to end.
    """
    token = secrets.token_hex(8)
    redis_keys = [redis_store.key(f"flood:{key}") for key in keys] if redis_store.is_configured() else []
    busy_ms = redis_store.run_script(_CLAIM_IN_REDIS, redis_keys, [seconds, token]) if redis_keys else OFFLINE
    if busy_ms is OFFLINE:
        return _claim_in_database(keys, seconds)
    if busy_ms:
        return max(1, math.ceil(busy_ms / 1000))
    db.session.info.setdefault(_CLAIMED, []).append((redis_keys, token))
    return None


def _claim_in_database(keys: list[str], seconds: int) -> int | None:
    """``claim`` in the database. A refused claim undoes its own marks with a savepoint: on PostgreSQL a
    failed insert would otherwise abort the whole transaction."""
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


@event.listens_for(Session, "after_commit")
def _keep_claims(session):
    session.info.pop(_CLAIMED, None)


@event.listens_for(Session, "after_transaction_end")
def _release_uncommitted_claims(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended without a commit
        for redis_keys, token in session.info.pop(_CLAIMED, []):
            redis_store.run_script(_RELEASE_IN_REDIS, redis_keys, [token])
