"""Fixtures for the security suite: replies in this process on the offline engine (a test points
LLM at a fake server when it wants one), connected widget sockets, and the browser harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from conversations.models import Conversation
from conversations.replies import reply_tasks_wait
from llm.gateway import reset_gateway
from tests.browser.conftest import (  # noqa: F401  (the browser harness, reused)
    artifacts_dir,
    chromium,
    fake_backend,
    live_server_db,
    live_server_dir,
    live_server_url,
    page,
    playwright_instance,
)
from tests.conversations.conftest import RECEIVE_S, Chat, communicator


@pytest.fixture(autouse=True)
def offline_in_process(settings: Any) -> None:
    """Replies run as tasks in this process even in the Redis pass; no customer hits the daily
    token budget however many attacks it sends."""
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": "", "CUSTOMER_DAILY_TOKENS": 10**9}
    settings.REDIS_URL = ""
    reset_gateway()
    cache.clear()


@pytest.fixture
async def open_chat() -> AsyncIterator[Callable[..., Awaitable[Chat]]]:
    opened: list[WebsocketCommunicator] = []

    async def open_(conversation: Conversation, token: str) -> Chat:
        ws = communicator(conversation.pk, token)
        connected, _ = await ws.connect(timeout=RECEIVE_S)
        assert connected
        opened.append(ws)
        return Chat(ws)

    yield open_
    await reply_tasks_wait()
    for ws in opened:
        await ws.disconnect()
