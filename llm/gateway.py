"""The model gateway: every model call in the project goes through Gateway.complete/stream.

The chain for a stage is its model, then each LLM_FALLBACK_MODELS model, then the caller's
offline answer. With no LLM_BASE_URL the chain is the offline answer alone.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from django.core.cache import BaseCache

from llm.breaker import BreakerBoard, BreakerState
from llm.budget import CustomerBudget, RequestBudget
from llm.chain import ChainDeps, ChainRun
from llm.client import ChatClient
from llm.config import GatewayConfig, load_config
from llm.types import (
    BudgetExceeded,
    CallRecord,
    ChatRequest,
    Completion,
    Delta,
    Done,
    StreamEvent,
    Usage,
)

OfflineAnswer = Callable[[ChatRequest], str]
OFFLINE_MODEL = "offline"
_WORDS = re.compile(r"\s*\S+\s*|\s+")


def word_chunks(text: str) -> list[str]:
    """Split into word deltas whose concatenation is exactly `text`."""
    return _WORDS.findall(text)


def _total_usage(calls: Iterable[CallRecord]) -> Usage:
    total = Usage()
    for call in calls:
        total = total + call.usage
    return total


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        *,
        transport: Any = None,
        cache: BaseCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.breakers = BreakerBoard(config.breaker, clock)
        if cache is None:
            from django.core.cache import cache as default_cache

            cache = default_cache
        self.customers = CustomerBudget(cache, config.customer_daily_tokens)
        self.client: ChatClient | None = None
        self._deps: ChainDeps | None = None
        if config.configured:
            self.client = ChatClient(
                base_url=config.base_url,
                api_key=config.api_key,
                timeouts=config.timeouts,
                pool_size=config.pool_size,
                transport_kind=config.transport,
                transport=transport,
            )
            self._deps = ChainDeps(config, self.client, self.breakers, sleep, rng)

    def __repr__(self) -> str:
        return f"Gateway(base_url={self.config.base_url!r}, chain={self.config.fallback_models!r})"

    def breaker_states(self) -> dict[str, BreakerState]:
        return self.breakers.states()

    async def aclose(self) -> None:
        """Close this loop's connection pool (call before a loop you created ends)."""
        if self.client is not None:
            await self.client.aclose()

    async def complete(
        self,
        request: ChatRequest,
        *,
        offline: OfflineAnswer,
        budget: RequestBudget | None = None,
    ) -> Completion:
        async for event in self._run(request, offline, budget, streaming=False):
            if isinstance(event, Done):
                return event.completion
        raise AssertionError("the gateway's run always ends in Done")

    def stream(
        self,
        request: ChatRequest,
        *,
        offline: OfflineAnswer,
        budget: RequestBudget | None = None,
    ) -> AsyncIterator[StreamEvent]:
        return self._run(request, offline, budget, streaming=True)

    async def _run(
        self,
        request: ChatRequest,
        offline: OfflineAnswer,
        budget: RequestBudget | None,
        streaming: bool,
    ) -> AsyncIterator[StreamEvent]:
        started = time.perf_counter()
        if self._deps is None:
            async for event in _offline(request, offline, started, (), False, streaming):
                yield event
            return
        await self._check_customer(request)
        run = ChainRun(
            self._deps, request, budget or RequestBudget.from_config(self.config), streaming
        )
        try:
            async for event in run.events():
                yield event
        except BudgetExceeded as exc:
            exc.calls = (*run.calls, _budget_record(request, str(exc)))
            await self._charge_customer(request, run.calls)
            raise
        await self._charge_customer(request, run.calls)
        if run.kept is not None:
            yield Done(_remote_completion(run, started))
            return
        reset = run.reset_if_emitted("every model failed: falling back to the offline engine")
        if reset:
            yield reset
        async for event in _offline(request, offline, started, run.calls, True, streaming):
            yield event

    async def _check_customer(self, request: ChatRequest) -> None:
        try:
            await self.customers.check(request.customer_key)
        except BudgetExceeded as exc:
            exc.calls = (_budget_record(request, str(exc)),)
            raise

    async def _charge_customer(self, request: ChatRequest, calls: list[CallRecord]) -> None:
        await self.customers.charge(request.customer_key, _total_usage(calls).total_tokens)


def _budget_record(request: ChatRequest, error: str) -> CallRecord:
    return CallRecord(
        stage=request.stage,
        model="",
        provider="remote",
        attempt=0,
        outcome="budget",
        error=error,
    )


def _remote_completion(run: ChainRun, started: float) -> Completion:
    assert run.kept is not None
    raw = run.kept.raw
    return Completion(
        text=raw.text,
        model=run.kept.model,
        finish_reason=raw.finish_reason,
        usage=_total_usage(run.calls),
        cost_usd=sum(call.cost_usd for call in run.calls),
        latency_ms=(time.perf_counter() - started) * 1000,
        ttft_ms=run.kept.ttft_ms,
        calls=tuple(run.calls),
        offline=False,
        degraded=False,
        truncated=raw.finish_reason == "length",
    )


async def _offline(
    request: ChatRequest,
    offline: OfflineAnswer,
    started: float,
    prior: Iterable[CallRecord],
    degraded: bool,
    streaming: bool,
) -> AsyncIterator[StreamEvent]:
    offline_started = time.perf_counter()
    text = offline(request)
    ttft_ms: float | None = None
    if streaming:
        for chunk in word_chunks(text):
            ttft_ms = ttft_ms if ttft_ms is not None else (time.perf_counter() - started) * 1000
            yield Delta(chunk)
    record = CallRecord(
        stage=request.stage,
        model=OFFLINE_MODEL,
        provider="offline",
        attempt=1,
        latency_ms=(time.perf_counter() - offline_started) * 1000,
        ttft_ms=ttft_ms,
    )
    calls = (*prior, record)
    yield Done(
        Completion(
            text=text,
            model=OFFLINE_MODEL,
            finish_reason="stop",
            usage=_total_usage(calls),
            cost_usd=sum(call.cost_usd for call in calls),
            latency_ms=(time.perf_counter() - started) * 1000,
            ttft_ms=ttft_ms,
            calls=calls,
            offline=True,
            degraded=degraded,
        )
    )


_instance: Gateway | None = None


def get_gateway() -> Gateway:
    """The process's gateway, built from settings on first use."""
    global _instance
    if _instance is None:
        _instance = Gateway(load_config())
    return _instance


def reset_gateway(**_: Any) -> None:
    """Forget the singleton (settings changed, or a test wants a fresh breaker board)."""
    global _instance
    _instance = None


__all__ = [
    "BudgetExceeded",
    "Gateway",
    "OfflineAnswer",
    "RequestBudget",
    "get_gateway",
    "reset_gateway",
    "word_chunks",
]
