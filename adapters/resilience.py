"""Keeping a slow or dead source system from hurting the others: retries and a circuit breaker."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    """Stops calling a system after ``failure_threshold`` failures in a row, for ``reset_after`` seconds.

    After the pause one trial call is let through (half-open); success closes the circuit, failure
    opens it again.  Thread-safe, because several event loops or workers may share an adapter.
    """

    def __init__(self, failure_threshold: int = 5, reset_after: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.closed
        if self._clock() - self._opened_at >= self.reset_after:
            return BreakerState.half_open
        return BreakerState.open

    def allow(self) -> bool:
        """May a call go through now?"""
        with self._lock:
            state = self._state()
            if state is BreakerState.closed:
                return True
            if state is BreakerState.half_open and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial_in_flight or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
            self._trial_in_flight = False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, for idempotent reads only."""

    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)  # nosec B311  # jitter of retry delays, not a secret
