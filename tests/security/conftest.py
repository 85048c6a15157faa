"""Fixtures for the security suite: replies in this process on the offline engine (a test points
LLM at a fake server when it wants one), connected widget sockets, and the browser harness."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

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
    store_origin,
)
from tests.chat.conftest import open_chat  # noqa: F401  (connected widget sockets)


@pytest.fixture(autouse=True)
def offline_in_process(settings: Any) -> None:
    """Replies run as tasks in this process even in the Redis pass; no customer hits the daily
    token budget however many attacks it sends."""
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": "", "CUSTOMER_DAILY_TOKENS": 10**9}
    settings.REDIS_URL = ""
    reset_gateway()
    cache.clear()
