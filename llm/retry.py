"""When to retry a model call and how long to wait.

Hand-rolled rather than stamina/tenacity: a retry here must (a) restart a stream only if the
caller can be told to discard what it already showed (a Reset event, yielded from inside an
async generator, which a decorator-based retry cannot do), (b) draw from a retry budget shared
by the four stages of one customer message, (c) hand over to the next model instead of
sleeping when a Retry-After is too long, and (d) consult the circuit breaker before every
attempt. The policy itself is a few pure functions, tested directly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from llm.config import RetryConfig

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})


def status_is_retryable(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_s(retry_number: int, policy: RetryConfig, rng: Callable[[], float]) -> float:
    """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2**n)).

    retry_number counts from 1 for the first retry.
    """
    ceiling = min(policy.cap_s, policy.base_s * (2 ** (retry_number - 1)))
    return ceiling * rng()


def retry_delay_s(
    retry_number: int,
    retry_after_s: float | None,
    policy: RetryConfig,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before the next attempt, or None: do not wait, try the next model."""
    if retry_after_s is not None:
        if retry_after_s > policy.max_retry_after_s:
            return None
        # The server said when; a little jitter on top keeps clients from returning together.
        return retry_after_s + backoff_s(1, policy, rng) * 0.1
    return backoff_s(retry_number, policy, rng)
