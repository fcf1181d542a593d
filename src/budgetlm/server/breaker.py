"""A circuit breaker around the model backend.

``closed``: calls go through; ``failures`` consecutive failures (errors or timeouts) open it.
``open``: calls are refused (the service answers without the model) for ``cooldown_seconds``.
``half_open``: after the cool-down one call is let through as a probe (others are still
refused); its success closes the breaker, its failure opens it for another cool-down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Counts consecutive model failures and decides whether to try the model at all
    (thread-safe).

    Args:
        failures: Consecutive failures that open the breaker (>= 1).
        cooldown_seconds: How long it stays open before a probe.
        clock: Seconds as a float, only compared (``time.monotonic``; tests pass a fake).
    """

    def __init__(
        self,
        failures: int,
        cooldown_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("the breaker needs at least one failure to open")
        self.threshold = failures
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        """The state now (an open breaker past its cool-down reads ``half_open``)."""
        with self._lock:
            if self._state == "open" and self._cooled_down():
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """Whether to call the model now; True for the one probe after a cool-down, which
        must then be reported with ``success`` or ``failure``."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open" and self._cooled_down():
                self._state = "half_open"  # this caller is the probe
                return True
            return False

    def success(self) -> None:
        """A model call answered in time: close the breaker."""
        with self._lock:
            self._state, self._failures = "closed", 0

    def failure(self) -> None:
        """A model call failed or timed out: open on the threshold, or when probing."""
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.threshold:
                self._state, self._opened_at = "open", self._clock()

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self.cooldown_seconds
