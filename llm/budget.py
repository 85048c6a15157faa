"""Token budgets: a cap per customer message, a retry budget, a daily budget per customer.

The daily budget lives in Django's cache, so with REDIS_URL set every web process and Celery
worker draws from the same counter (Redis INCR is atomic); without it the local-memory cache
keeps it per process, which is right for the single-process demo.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import BaseCache
from redis.exceptions import RedisError

from llm.config import GatewayConfig
from llm.types import BudgetExceeded, Usage

logger = logging.getLogger(__name__)
CACHE_DOWN = (RedisError, OSError)  # the shared cache (Redis) unreachable
MIN_COMPLETION_TOKENS = 16  # below this a call cannot produce a useful answer


@dataclass
class RequestBudget:
    """Shared, mutable, by the stages of one pipeline run (one customer message)."""

    token_cap: int
    retries: int
    tokens_used: int = 0
    retries_used: int = 0

    @classmethod
    def from_config(cls, config: GatewayConfig) -> RequestBudget:
        return cls(token_cap=config.request_token_cap, retries=config.retry.request_retries)

    @property
    def tokens_left(self) -> int:
        return max(0, self.token_cap - self.tokens_used)

    @property
    def retries_left(self) -> int:
        return max(0, self.retries - self.retries_used)

    def take_retry(self) -> bool:
        if self.retries_left <= 0:
            return False
        self.retries_used += 1
        return True

    def charge(self, usage: Usage) -> None:
        self.tokens_used += usage.total_tokens

    def completion_allowance(self, prompt_tokens: int, wanted: int) -> int:
        """max_tokens for the next call, or BudgetExceeded if too little is left."""
        room = self.tokens_left - prompt_tokens
        if room < MIN_COMPLETION_TOKENS:
            raise BudgetExceeded(
                f"request token cap of {self.token_cap} reached "
                f"({self.tokens_used} used, next prompt ~{prompt_tokens})",
                scope="request",
            )
        return min(wanted, room)


def seconds_until_utc_midnight(now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


class CustomerBudget:
    """Daily tokens per customer, counted in the cache under a hashed key (no PII in keys)."""

    def __init__(self, cache: BaseCache, daily_tokens: int) -> None:
        self.cache = cache
        self.daily_tokens = daily_tokens

    def key(self, customer_key: str, now: datetime | None = None) -> str:
        day = (now or datetime.now(UTC)).strftime("%Y%m%d")
        digest = hashlib.sha256(customer_key.encode()).hexdigest()[:24]
        return f"llm:tokens:{day}:{digest}"

    async def used(self, customer_key: str) -> int:
        return int(await self.cache.aget(self.key(customer_key), 0))

    async def check(self, customer_key: str | None) -> None:
        """Fails open when the cache is down: a Redis restart must not stop every answer."""
        if not customer_key or self.daily_tokens <= 0:
            return
        try:
            used = await self.used(customer_key)
        except CACHE_DOWN as exc:
            logger.warning("daily token budget not checked, the cache is down: %s", exc)
            return
        if used >= self.daily_tokens:
            raise BudgetExceeded(
                f"daily token budget of {self.daily_tokens} spent ({used} used)",
                retry_after_s=seconds_until_utc_midnight(),
                scope="customer",
            )

    async def charge(self, customer_key: str | None, tokens: int) -> None:
        if not customer_key or tokens <= 0:
            return
        try:
            await self._add(self.key(customer_key), tokens)
        except CACHE_DOWN as exc:
            logger.warning("%d tokens not counted, the cache is down: %s", tokens, exc)

    async def _add(self, key: str, tokens: int) -> None:
        # add() then incr(): atomic on Redis, so concurrent workers never lose a charge.
        await self.cache.aadd(key, 0, timeout=int(seconds_until_utc_midnight()) + 3600)
        try:
            await self.cache.aincr(key, tokens)
        except ValueError:  # evicted between add and incr
            await self.cache.aset(key, tokens, timeout=int(seconds_until_utc_midnight()) + 3600)
