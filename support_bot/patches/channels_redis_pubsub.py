"""Patch: channels_redis's pub/sub layer, made safe for a Redis restart (RedisPubSubChannelLayer).

Pinned: channels-redis>=4.3,<4.4 (pyproject.toml); it extends the private RedisPubSubLoopLayer and
RedisSingleShardConnection and redis-py's PubSub.on_connect.
Upstream: django/channels_redis#256 ("PubSub Architecture", open): the pub/sub layer reconnects
silently and whatever was published meanwhile is lost; #259 added optional disconnect handlers,
not a resume signal or a confirmed subscribe.
Tests that fail without it: tests/support_bot/test_pubsub_layer.py (a cut subscription reaches
every channel as a gap; group_add waits for Redis to confirm the subscription, also for a second
member and after a leave-and-rejoin; a frame published on a connection Redis dropped still arrives).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from channels_redis import pubsub
from channels_redis.utils import _wrap_close, create_pool, decode_hosts
from redis import asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

GAP_EVENT = "layer.gap"
# The client reconnects, then resumes (protocol.md). 1012, "service restart", says it, but a server
# may close with 1000 or 3000-4999 only (Daphne's websocket library refuses anything else).
GAP_CLOSE_CODE = 4012
SUBSCRIBE_CONFIRM_S = 5.0
RECEIVE_POLL_S = 0.1

logger = logging.getLogger(__name__)


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """channels_redis's pub/sub layer: one PUBLISH per frame where its list layer (`core`)
    costs six to eight round trips, and a third of the Redis commands per reply (~45 against
    ~150, `INFO commandstats` under the production stack). Two things it lacks are added:

    - **A lost subscription is said, not hidden.** After Redis restarts (or drops a subscriber
      whose output buffer overflowed) redis-py reconnects and subscribes again without a word,
      and whatever was published in between is gone. Here every channel of the process then
      receives a `layer.gap` event, and each consumer closes its socket (code 4012): the widget
      reconnects and resumes from the database, as after any outage (protocol guarantee 4).
    - **`group_add` returns once Redis has confirmed the subscription.** channels_redis sends
      SUBSCRIBE and returns; a consumer that then reads the database to resume could miss a
      frame published before Redis processed it.

    Cancelling `receive()` unsubscribes the channel (as upstream): Channels cancels it only
    when the consumer ends, so a caller must not poll it with a timeout.
    """

    def _get_layer(self) -> _LoopLayer:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    def gap(self) -> None:
        event = self.channel_layer.serialize({"type": GAP_EVENT})
        for queue in self.channels.values():
            queue.put_nowait(event)


class _Shard(pubsub.RedisSingleShardConnection):
    channel_layer: _LoopLayer

    def __init__(self, host: dict[str, Any], channel_layer: _LoopLayer) -> None:
        # One retry on a fresh connection: after Redis restarts, each pooled connection fails
        # its first command ("Connection closed by server"), and redis-py retries none by
        # default on a pool it is given. A frame published then was dropped after the
        # subscriber's gap had already been sent, so no socket learnt of it (CI's chaos run).
        super().__init__({"retry": Retry(NoBackoff(), 1), **host}, channel_layer)
        # Per channel, one future per SUBSCRIBE sent and not yet confirmed, oldest first.
        self._confirmations: dict[str, deque[asyncio.Future[None]]] = {}

    def _ensure_redis(self) -> None:
        if self._redis is None:
            pool = create_pool(self.host)
            self._redis = aioredis.Redis(connection_pool=pool)
            self._pubsub = _PubSub(pool, on_resubscribed=self._resubscribed)

    def _resubscribed(self) -> None:
        logger.warning("Redis subscriber reconnected: telling this process's sockets to resume")
        self.channel_layer.gap()

    async def subscribe(self, channel: str) -> None:
        """Returns once Redis has confirmed the channel's subscription. A second subscriber of
        a channel whose confirmation is still on its way (a customer's socket and an agent's
        console joining one conversation at once) waits for the same confirmation."""
        async with self._lock:
            pending = self._confirmations.get(channel)
            if channel in self._subscribed_to:
                if not pending:
                    return
                confirmed = pending[-1]  # the latest SUBSCRIBE's
            else:
                self._ensure_redis()
                self._ensure_receiver()
                confirmed = asyncio.get_running_loop().create_future()
                self._confirmations.setdefault(channel, deque()).append(confirmed)
                try:
                    await self._pubsub.subscribe(channel)
                except BaseException:
                    self._confirmation_drop(channel, confirmed)
                    raise
                self._subscribed_to.add(channel)
        try:
            # Shielded: one waiter's timeout or cancellation must not cancel the others' wait.
            await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_CONFIRM_S)
        except TimeoutError:
            self._confirmation_drop(channel, confirmed)  # later subscribers do not wait on it
            raise

    def _confirmation_drop(self, channel: str, confirmed: asyncio.Future[None]) -> None:
        pending = self._confirmations.get(channel)
        if pending and confirmed in pending:
            pending.remove(confirmed)
        if not pending:
            self._confirmations.pop(channel, None)

    async def _do_receiving(self) -> None:
        """Upstream's loop, but keeping subscribe confirmations (see subscribe) and logging a
        broken connection in one line per second instead of a traceback."""
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(timeout=RECEIVE_POLL_S)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(RECEIVE_POLL_S)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                logger.warning("Redis subscriber: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(1)

    def _receive_message(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        if message["type"] == "subscribe":
            name = message["channel"]
            # Redis answers each SUBSCRIBE in order: this one confirms the channel's oldest.
            channel = name.decode() if isinstance(name, bytes) else name
            pending = self._confirmations.get(channel)
            if pending:
                confirmed = pending.popleft()
                if not pending:
                    del self._confirmations[channel]
                if not confirmed.done():
                    confirmed.set_result(None)
        elif message["type"] == "message":
            super()._receive_message(message)


class _PubSub(PubSub):
    def __init__(self, *args: Any, on_resubscribed: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_resubscribed = on_resubscribed

    async def on_connect(self, connection: Any) -> None:
        """redis-py calls this on a reconnect (the first connect happens before it registers);
        what was subscribed then may have missed messages while the connection was down."""
        lost = bool(self.channels or self.patterns)
        await super().on_connect(connection)
        if lost:
            self._on_resubscribed()
