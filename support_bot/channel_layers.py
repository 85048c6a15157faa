"""The channel layers the settings name: for the embedded defaults, Channels' in-memory layer with
its expiry sweep throttled; with REDIS_URL, channels_redis's pub/sub layer made safe for a Redis
restart. Both patches live in support_bot/patches/, each with its pin and upstream issue.
"""

from __future__ import annotations

from typing import Any

from support_bot.patches.channels_inmemory import InMemoryChannelLayer
from support_bot.patches.channels_redis_pubsub import (
    GAP_CLOSE_CODE,
    GAP_EVENT,
    RedisPubSubChannelLayer,
)

__all__ = [
    "GAP_CLOSE_CODE",
    "GAP_EVENT",
    "ClosesOnLayerGap",
    "InMemoryChannelLayer",
    "RedisPubSubChannelLayer",
]


class ClosesOnLayerGap:
    """For consumers on the pub/sub layer: a `layer.gap` closes the socket so its client
    reconnects and catches up, instead of staying open with frames missing."""

    async def layer_gap(self, event: dict[str, Any]) -> None:
        await self.close(code=GAP_CLOSE_CODE)  # type: ignore[attr-defined]
