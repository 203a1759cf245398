"""Sign-in throttling: after too many failures for one name from one IP, or from one IP over all
names, further attempts from there get 429.

Locking a name from every IP would let anyone lock its owner out; counting per (name, IP) pair and
per IP keeps guessing bounded while the owner, from another address, still signs in. Failures are
counted where every gunicorn worker and every host sees them: in Redis when it is configured and answers,
as two counters (per pair, per IP) that expire AUTH_FAILURE_WINDOW_SECONDS after their first failure;
else in the database, a row per failure counted over the last window. While Redis is down the
database's rows count, so failures counted in Redis are not seen until it is back.
"""

import ipaddress
import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from blog.auth.models import FailedLogin
from blog.extensions import OFFLINE, db, redis_store, utcnow

# A failure more on each counter of KEYS (the pair's, the IP's); a new counter expires in ARGV[1] seconds.
_RECORD_IN_REDIS = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
end
"""
# Milliseconds until the last counter of KEYS at its limit (ARGV, in the same order) expires; 0: none is.
_WAIT_IN_REDIS = """
local wait = 0
for i, key in ipairs(KEYS) do
  if (tonumber(redis.call('GET', key)) or 0) >= tonumber(ARGV[i]) then
    wait = math.max(wait, redis.call('PTTL', key))
  end
end
return wait
"""
# The pair's counter (KEYS[1]) gone, and its failures taken off the IP's (KEYS[2]).
_FORGET_IN_REDIS = """
local failures = tonumber(redis.call('GET', KEYS[1])) or 0
redis.call('DEL', KEYS[1])
if failures > 0 and redis.call('EXISTS', KEYS[2]) == 1 and redis.call('DECRBY', KEYS[2], failures) <= 0 then
  redis.call('DEL', KEYS[2])
end
"""


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


def _redis_counters(ip: str, username: str) -> list[str]:
    """The pair's counter and the IP's, in Redis; none when Redis is not configured. The IP's length
    goes first, so no pair's name reads as another pair's."""
    if not redis_store.is_configured():
        return []
    return [redis_store.key(f"auth:pair:{len(ip)}:{ip}:{username[:100]}"), redis_store.key(f"auth:ip:{ip}")]


def retry_after(ip: str, username: str) -> int | None:
    """Seconds until this IP may try this name again, or None when it may try now."""
    counters = _redis_counters(ip, username)
    limits = [current_app.config["AUTH_MAX_FAILURES"], current_app.config["AUTH_MAX_FAILURES_PER_IP"]]
    wait_ms = redis_store.run_script(_WAIT_IN_REDIS, counters, limits) if counters else OFFLINE
    if wait_ms is OFFLINE:
        return _retry_after_in_database(ip, username)
    return max(1, math.ceil(wait_ms / 1000)) if wait_ms else None


def _retry_after_in_database(ip: str, username: str) -> int | None:
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
    counters = _redis_counters(ip, username)
    window = current_app.config["AUTH_FAILURE_WINDOW_SECONDS"]
    if counters and redis_store.run_script(_RECORD_IN_REDIS, counters, [window]) is not OFFLINE:
        return
    db.session.execute(delete(FailedLogin).where(FailedLogin.created_at <= utcnow() - _window()))
    db.session.add(FailedLogin(ip=ip, username=username[:100]))


def forget_failures(ip: str, username: str):
    """A right password clears this name's failures from this IP; the IP's others still count."""
    counters = _redis_counters(ip, username)
    if counters and redis_store.run_script(_FORGET_IN_REDIS, counters, []) is not OFFLINE:
        return
    db.session.execute(delete(FailedLogin).where(FailedLogin.ip == ip, FailedLogin.username == username))
