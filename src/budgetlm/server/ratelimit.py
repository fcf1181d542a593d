"""Rate limiting: a token bucket per caller, enforced on every route but the probes.

Each caller (its API key, or the client address for the key-less loopback user) has a bucket
holding up to ``rate_limit_per_minute`` tokens that refills continuously at that rate; a request
takes one token, and a request that finds none is answered 429 with ``Retry-After`` (whole
seconds until a token is back). So a caller may burst a minute's allowance at once, then goes at
the steady rate.

Buckets are kept in least-recently-used order. A bucket idle long enough to have refilled is
the same as a new one, so it is dropped (memory stays bounded by the callers active in the last
minute); ``max_buckets`` caps even that.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from budgetlm.server.deps import caller

EXEMPT_PATHS = frozenset({"/health", "/ready", "/metrics"})
"""Probes and scrapes, never limited (orchestrators call them on their own schedule)."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per caller; thread-safe.

    Args:
        per_minute: Requests a caller may make per minute (also the largest burst).
        clock: Seconds as a float, only ever compared (``time.monotonic``; tests pass a fake).
        max_buckets: Most callers tracked at once; beyond it the least recently seen is dropped
            (it starts again with a full bucket).
    """

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = 10_000,
    ) -> None:
        if per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self._clock = clock
        self._max_buckets = max_buckets
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, who: str) -> int | None:
        """Take a token for ``who``: None when granted, else the seconds to wait (>= 1)."""
        now = self._clock()
        with self._lock:
            self._evict_idle(now)
            bucket = self._buckets.pop(who, None) or _Bucket(self.capacity, now)
            self._buckets[who] = bucket  # most recently used last
            bucket.tokens = min(
                self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second
            )
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / self.per_second))

    def __len__(self) -> int:
        """Callers tracked now."""
        return len(self._buckets)

    def _evict_idle(self, now: float) -> None:
        refill_seconds = self.capacity / self.per_second
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            full_again = now - oldest.updated >= refill_seconds
            if not full_again and len(self._buckets) < self._max_buckets:
                return
            self._buckets.popitem(last=False)


async def caller_identity(request: Request) -> str:
    """The bucket a request draws from: its verified key's prefix, or the client address.

    Raises:
        HTTPException: 401 for a bad key (from ``deps.caller``), before any token is taken.
    """
    who = await caller(request)
    if who.key_prefix is not None:
        return f"key:{who.key_prefix}"
    host = request.client.host if request.client is not None else "unknown"
    return f"addr:{host}"


async def enforce_rate_limit(request: Request) -> None:
    """App-wide dependency: refuse a caller over its rate with 429 and ``Retry-After``.

    Raises:
        HTTPException: 429 when the caller's bucket is empty; 401 for a bad key.
    """
    if request.url.path in EXEMPT_PATHS:
        return
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.acquire(await caller_identity(request))
    if wait is None:
        return
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.rate_limited.inc()
    raise HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"rate limit of {int(limiter.capacity)} requests per minute exceeded; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )
