"""Rate limits: a sliding window per scope, all of a request's scopes in one round trip.

DRF's SimpleRateThrottle keeps a pickled list of every request time in the window
and reads and writes it once per scope: at 1,000 requests/s that is hundreds of KB
per key and four Redis round trips per request. Here each scope is two counters,
this window's and the last one's, weighted by how much of the last window still
counts (the approximation Cloudflare and Redis's own docs describe): one pipeline
of INCR, EXPIRE and GET per scope, sent together. Counters live in Redis when
REDIS_URL is set, so the limits hold across workers; otherwise in this process.

If Redis cannot be reached the request is let through and the fault logged: the
limits protect the service, and refusing every request would be the outage itself.
"""

import logging
import time
from functools import cache

import redis
from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@cache
def parse_rate(rate: str) -> tuple[int, int]:
    """'600/min' -> (600 requests, 60 seconds)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


@cache
def shared_redis(url: str) -> redis.Redis:
    """One client per process and URL; its pool reconnects after a fork by itself."""
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


class WindowThrottle(BaseThrottle):
    """Counts a request against each of `scopes`; refused when any is over its rate."""

    scopes: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def ident_for(self, scope: str, request: Request) -> str | None:
        if scope == "user":
            user = request.user
            return str(user.pk) if user and user.is_authenticated else None
        return self.get_ident(request)  # client IP (X-Forwarded-For behind NUM_PROXIES)

    def allow_request(self, request: Request, view) -> bool:
        now = time.time()
        checks = []
        for scope in self.scopes:
            ident = self.ident_for(scope, request)
            if ident is not None:
                limit, period = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[scope])
                checks.append((f"throttle:{scope}:{ident}", limit, period))
        if not checks:
            return True
        try:
            counts = count_requests(checks, now)
        except redis.RedisError:
            logger.warning("Rate limits not applied: Redis is unreachable", exc_info=True)
            return True
        waits = [
            period - now % period
            for (_, limit, period), count in zip(checks, counts, strict=True)
            if count > limit
        ]
        if waits:
            self.wait_seconds = max(waits)
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds


def count_requests(checks: list[tuple[str, int, int]], now: float) -> list[float]:
    """Count this request under each (key, limit, period); return each sliding count."""
    windows = [(key, period, int(now // period)) for key, _, period in checks]
    if settings.REDIS_URL:
        pipe = shared_redis(settings.REDIS_URL).pipeline(transaction=False)
        for key, period, window in windows:
            pipe.incr(f"{key}:{window}")
            pipe.expire(f"{key}:{window}", 2 * period)
            pipe.get(f"{key}:{window - 1}")
        replies = pipe.execute()
        pairs = [(replies[i], int(replies[i + 2] or 0)) for i in range(0, len(replies), 3)]
    else:
        local = caches["default"]
        pairs = []
        for key, period, window in windows:
            local.add(f"{key}:{window}", 0, 2 * period)
            pairs.append((local.incr(f"{key}:{window}"), local.get(f"{key}:{window - 1}", 0)))
    return [
        current + previous * (1 - (now % period) / period)
        for (current, previous), (_, period, _) in zip(pairs, windows, strict=True)
    ]


class ApiThrottle(WindowThrottle):
    """Every request counts against its client IP, and an authenticated one against its user."""

    scopes = ("ip", "user")


class AuthThrottle(WindowThrottle):
    """Login, signup and refresh: the IP limit plus a stricter one against password guessing."""

    scopes = ("ip", "auth")
