"""Login throttle: after too many failed logins, refuse further attempts for a while without checking.

Counters live in Django's cache (Redis with REDIS_URL, else the process's memory; see settings "Cache"):
- per e-mail address (case-insensitive): LOGIN_FAILURES_PER_EMAIL failures (5) lock that address;
- per client IP (REMOTE_ADDR): LOGIN_FAILURES_PER_IP failures (20) lock that IP.
Failures count within LOGIN_FAILURE_WINDOW seconds (15 minutes) of the first one; reaching a limit locks for
LOGIN_FAILURE_WINDOW seconds from then. A successful login clears the e-mail's counter (not the IP's).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()  # no personal data in cache keys
    return f"login-throttle:{kind}:{digest}"


def _subjects(*, email: str, ip: str | None) -> list[tuple[str, int]]:
    subjects = [(_key("email", email.strip().lower()), settings.LOGIN_FAILURES_PER_EMAIL)]
    if ip:
        subjects.append((_key("ip", ip), settings.LOGIN_FAILURES_PER_IP))
    return subjects


def is_locked(*, email: str, ip: str | None) -> bool:
    """Whether attempts for this e-mail or from this IP are refused right now."""
    locks = [f"{key}:locked" for key, _limit in _subjects(email=email, ip=ip)]
    return any(cache.get_many(locks).values())


def failure_record(*, email: str, ip: str | None) -> None:
    """Count one failed login for the e-mail and the IP; lock whichever reaches its limit."""
    window = settings.LOGIN_FAILURE_WINDOW
    for key, limit in _subjects(email=email, ip=ip):
        cache.add(key, 0, timeout=window)  # starts the window at the first failure
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        if count >= limit:
            cache.set(f"{key}:locked", True, timeout=window)
            cache.delete(key)


def success_record(*, email: str) -> None:
    """A successful login: forget the e-mail's failures."""
    key = _key("email", email.strip().lower())
    cache.delete_many([key, f"{key}:locked"])


def client_ip(request) -> str | None:
    """The address the connection comes from (the proxy in front sets REMOTE_ADDR, not a header we trust)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None
