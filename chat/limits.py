"""The consumer's limits: messages per minute per conversation, and the customer's daily tokens.

Both count in Django's cache, so with REDIS_URL every web process sees the same numbers.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache

from llm.gateway import get_gateway
from llm.types import BudgetExceeded

MESSAGES_PER_MINUTE = 20
WINDOW_S = 60


@dataclass(frozen=True)
class LimitHit:
    code: str  # "rate_limited" | "budget_exceeded"
    detail: str
    retry_after: int


def budget_key(*, customer_id: int | None, conversation_id: uuid.UUID | str) -> str:
    """The gateway's customer_key for this conversation (pipeline/run.py builds the same one)."""
    return f"customer:{customer_id}" if customer_id else f"conversation:{conversation_id}"


async def rate_limit_take(
    *, conversation_id: uuid.UUID | str, now: float | None = None
) -> LimitHit | None:
    """Count one new message; a LimitHit once the conversation has sent too many this minute.

    A fixed window aligned to the clock minute: one cache INCR per message, atomic on Redis.
    """
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    key = f"chat:rate:{conversation_id}:{window}"
    await cache.aadd(key, 0, timeout=WINDOW_S * 2)
    try:
        count = await cache.aincr(key)
    except ValueError:  # evicted between add and incr
        await cache.aset(key, 1, timeout=WINDOW_S * 2)
        count = 1
    if count <= MESSAGES_PER_MINUTE:
        return None
    retry_after = max(1, math.ceil((window + 1) * WINDOW_S - now))
    return LimitHit(
        "rate_limited",
        f"More than {MESSAGES_PER_MINUTE} messages a minute; try again in {retry_after} s.",
        retry_after,
    )


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
