"""Per-address rate limits for booking and for access-key lookups, counted in the Django cache (Redis when
REDIS_URL is set, so every web process shares the counts; the process's memory otherwise).

A fixed window per address: cheap (one INCR), and a resident who hits it waits at most one window.
Tests clear the cache between tests (tests/reservations/fixtures.py).
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from reservations.errors import RateLimited

# scope → (setting name, default requests per window, window seconds)
LIMITS = {
    "book": ("RESERVATION_BOOK_RATE", 20, 60),
    "lookup": ("RESERVATION_LOOKUP_RATE", 10, 60),
    "account": ("RESERVATION_ACCOUNT_RATE", 10, 60),
}


def limit_for(scope: str) -> tuple[int, int]:
    setting, default, window = LIMITS[scope]
    # A setting wins, then the environment (the booking benchmark raises the limit for its one address).
    return int(getattr(settings, setting, None) or os.environ.get(setting) or default), window


def check(scope: str, ip: str | None) -> None:
    """Count one request of ``scope`` from ``ip``; raise ``RateLimited`` past the limit."""
    limit, window = limit_for(scope)
    if limit <= 0:
        return
    now = int(time.time())
    bucket = now // window
    key = f"resv:rl:{scope}:{ip or '-'}:{bucket}"
    # add() sets the key with its expiry only if absent; incr() is atomic on Redis and on locmem.
    if cache.add(key, 1, window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window + 1)
            count = 1
    if count > limit:
        retry_after = max(1, (bucket + 1) * window - now)
        raise RateLimited(_("Too many requests from your connection. Please wait %(seconds)d seconds and try "
                            "again.") % {"seconds": retry_after}, retry_after=retry_after)
