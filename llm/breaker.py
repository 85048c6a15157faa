"""A circuit breaker per model: stop calling a model that keeps failing, probe it later.

closed -> (failure_threshold consecutive failures) -> open -> (cooldown_s) -> half_open, where
exactly one probe call is let through: success closes the breaker, failure opens it again for
another cool-down. State lives in the process: each worker learns about a failing provider
from its own calls, which is what makes the breaker react within a few requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from llm.config import BreakerConfig

BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    config: BreakerConfig
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    probe_in_flight: bool = False

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.config.cooldown_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open, only the first caller gets the probe."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.probe_in_flight:
            self.probe_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probe_in_flight = False

    def record_failure(self) -> None:
        self.failures += 1
        was_probe = self.probe_in_flight
        self.probe_in_flight = False
        if was_probe or self.failures >= self.config.failure_threshold:
            self.opened_at = self.clock()

    def release(self) -> None:
        """The call ended without a verdict (cancelled): let another caller probe."""
        self.probe_in_flight = False

    def retry_in_s(self) -> float | None:
        if self.opened_at is None:
            return None
        return max(0.0, self.config.cooldown_s - (self.clock() - self.opened_at))


class BreakerBoard:
    """One breaker per model name, created on first use."""

    def __init__(self, config: BreakerConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}

    def __getitem__(self, model: str) -> CircuitBreaker:
        breaker = self._breakers.get(model)
        if breaker is None:
            breaker = self._breakers[model] = CircuitBreaker(self.config, self.clock)
        return breaker

    def states(self) -> dict[str, BreakerState]:
        return {model: breaker.state for model, breaker in self._breakers.items()}
