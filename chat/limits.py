"""The chat's limits: conversation starts per client, messages per minute per visitor, and the
visitor's daily tokens. A visitor is the customer when known, else the client (chat/visitors.py),
so a new conversation resets none of them.

All count in Django's cache, so with REDIS_URL every web process sees the same numbers.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from llm.gateway import get_gateway
from llm.types import BudgetExceeded

WINDOW_S = 60
# Starting conversations: a widget starts one and resumes it from storage, so a handful per ten
# minutes is plenty for one visitor; an address gets more, for visitors sharing one (an office).
STARTS_WINDOW_S = 600
STARTS_PER_VISITOR = 10
STARTS_PER_ADDRESS = 30


@dataclass(frozen=True)
class LimitHit:
    code: str  # "rate_limited" | "budget_exceeded"
    detail: str
    retry_after: int


def budget_key(
    *, customer_id: int | None, conversation_id: uuid.UUID | str, visitor_key: str = ""
) -> str:
    """The gateway's customer_key, which the rate limit counts under too (pipeline/run.py builds
    the same one). A conversation started before visitors were recorded has no visitor_key."""
    if visitor_key:
        return visitor_key
    return f"customer:{customer_id}" if customer_id else f"conversation:{conversation_id}"


async def rate_limit_take(*, visitor_key: str, now: float | None = None) -> LimitHit | None:
    """Count one new message; a LimitHit once the visitor has sent too many this minute, in all
    their conversations together.

    A fixed window aligned to the clock minute: one cache INCR per message, atomic on Redis.
    """
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    key = f"chat:rate:{visitor_key}:{window}"
    await cache.aadd(key, 0, timeout=WINDOW_S * 2)
    try:
        count = await cache.aincr(key)
    except ValueError:  # evicted between add and incr
        await cache.aset(key, 1, timeout=WINDOW_S * 2)
        count = 1
    allowed = settings.CHAT_MESSAGES_PER_MINUTE
    if count <= allowed:
        return None
    return LimitHit(
        "rate_limited",
        f"More than {allowed} messages a minute; try again in "
        f"{_seconds_left(now, window, WINDOW_S)} s.",
        _seconds_left(now, window, WINDOW_S),
    )


def start_throttle_take(
    *, address_key: str, visitor_cookie_key: str | None, now: float | None = None
) -> LimitHit | None:
    """Count one conversation start against the client's address and, when the request carries
    one, its visitor cookie; a LimitHit once either is over its limit for this window."""
    now = time.time() if now is None else now
    window = int(now // STARTS_WINDOW_S)
    counts = [(f"chat:starts:{address_key}:{window}", STARTS_PER_ADDRESS)]
    if visitor_cookie_key:
        counts.append((f"chat:starts:{visitor_cookie_key}:{window}", STARTS_PER_VISITOR))
    over = [_count_one(key) > limit for key, limit in counts]
    if not any(over):
        return None
    retry_after = _seconds_left(now, window, STARTS_WINDOW_S)
    return LimitHit(
        "rate_limited",
        f"Too many new conversations from here; try again in {retry_after} s.",
        retry_after,
    )


def _count_one(key: str) -> int:
    cache.add(key, 0, timeout=STARTS_WINDOW_S * 2)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=STARTS_WINDOW_S * 2)
        return 1


def _seconds_left(now: float, window: int, window_s: int) -> int:
    return max(1, math.ceil((window + 1) * window_s - now))


async def budget_check(*, customer_key: str) -> LimitHit | None:
    try:
        await get_gateway().customers.check(customer_key)
    except BudgetExceeded as exc:
        retry_after = max(1, math.ceil(exc.retry_after_s or WINDOW_S))
        return LimitHit(
            "budget_exceeded",
            "Today's assistant budget for this conversation is spent; a person can still help.",
            retry_after,
        )
    return None
