"""A dispatch without Channels' per-event hop to a worker thread.

Channels' AsyncConsumer.dispatch runs `close_old_connections` in a worker thread before every
handler, a group event's too. A bot reply reaches each socket as a dozen or more group events,
and the hop queues behind the pipeline's own database calls on the single thread-sensitive
thread: under load it was a tenth of a web process's CPU. The consumers below reach the database
only through `database_sync_to_async`, which closes stale connections around each call itself,
so for them the hop does nothing.
"""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name


class DirectDispatch:
    """Mixin for consumers whose handlers touch the database only via database_sync_to_async."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
