"""A small in-process rate limiter for the sign-in and token endpoints, keyed by client address.

It slows password-less guessing of authorization codes and client secrets and stops one address
from flooding the identity provider.  It counts per process: with several app processes behind
a load balancer each has its own count, so production should also limit at the edge (the
council's reverse proxy or WAF, e.g. nginx ``limit_req`` or a cloud WAF rate rule) or swap this
for a shared counter (a Redis or PostgreSQL backed fixed window).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import HTTPException, Request


class RateLimiter:
    """At most ``limit`` hits per ``window_seconds`` for each key (a sliding window)."""

    def __init__(self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, key: str) -> float | None:
        """Count one request for ``key``; None if it is allowed, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > self.window:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return self.window - (now - hits[0])
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        self._hits = {k: h for k, h in self._hits.items() if h and now - h[-1] < self.window}
        self._last_sweep = now


def client_address(request: Request) -> str:
    # Behind the production proxy, uvicorn's proxy_headers has already put the real client here.
    return request.client.host if request.client else "unknown"


def limit_sign_in(request: Request) -> None:
    """Dependency for the sign-in and token endpoints: 429 with Retry-After when over the limit."""
    limiter: RateLimiter = request.app.state.sign_in_limiter
    wait = limiter.hit(client_address(request))
    if wait is not None:
        raise HTTPException(
            429, "Too many sign-in attempts from this address. Wait a minute and try again.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
