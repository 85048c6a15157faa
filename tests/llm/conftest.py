"""Fixtures for gateway tests: a fake model server on loopback and gateways with tiny waits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache

from fakes.llm_server import FakeLLMServer, running_fake_server
from llm.config import BreakerConfig, GatewayConfig, RetryConfig, TimeoutConfig
from llm.gateway import Gateway
from llm.types import ChatRequest

TEST_KEY = "sk-test-0123456789"
FAST_TIMEOUTS = TimeoutConfig(connect_s=1.0, read_s=1.0, pool_s=1.0, ttft_s=0.3, stream_idle_s=0.3)
FAST_RETRY = RetryConfig(max_attempts=3, base_s=0.01, cap_s=0.04, max_retry_after_s=1.0)
FAST_BREAKER = BreakerConfig(failure_threshold=3, cooldown_s=0.3)


def test_config(base_url: str = "", **overrides: Any) -> GatewayConfig:
    config = GatewayConfig(
        base_url=base_url,
        api_key=TEST_KEY,
        timeouts=FAST_TIMEOUTS,
        retry=FAST_RETRY,
        breaker=FAST_BREAKER,
    )
    return replace(config, **overrides)


test_config.__test__ = False  # type: ignore[attr-defined]


def offline_answer(request: ChatRequest) -> str:
    return f"offline answer for {request.stage}"


def ask(text: str = "where is my order", stage: str = "empathy", **kw: Any) -> ChatRequest:
    return ChatRequest(stage=stage, messages=({"role": "user", "content": text},), **kw)  # type: ignore[arg-type]


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeLLMServer]:
    async with running_fake_server() as server:
        yield server


@pytest.fixture
async def make_gateway(
    fake_server: FakeLLMServer,
) -> AsyncIterator[Callable[..., Gateway]]:
    """make_gateway(fallback_models=("b",), ...) -> a Gateway on the fake server."""
    made: list[Gateway] = []

    def make(
        *,
        rng: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        **overrides: Any,
    ) -> Gateway:
        gateway = Gateway(
            test_config(**{"base_url": fake_server.base_url, **overrides}),
            cache=LocMemCache(f"llm-tests-{uuid.uuid4()}", {}),
            **({"rng": rng} if rng else {}),
            **({"sleep": sleep} if sleep else {}),
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


async def collect(events: AsyncIterator[Any]) -> tuple[list[Any], Any]:
    """All events of a stream, and the Completion of its Done."""
    seen = [event async for event in events]
    return seen, seen[-1].completion


def visible_text(events: list[Any]) -> str:
    """What a client shows after applying Reset: the deltas since the last one."""
    text = ""
    for event in events:
        kind = type(event).__name__
        if kind == "Delta":
            text += event.text
        elif kind == "Reset":
            text = ""
    return text
