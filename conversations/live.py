"""Publishing a conversation's live events, and the buffer a reconnecting socket resumes from.

Every frame goes through the channel layer group `conv.<id>`, so any ASGI process can serve any
conversation. A bot reply's deltas are coalesced: a fast model emits many tiny pieces, and the
socket gets at most one frame per 80 ms (about twelve a second, smoother than anyone reads) or one
per 64 characters; a piece after a quiet spell, the reply's first among them, goes out at once.
They are kept in the cache under the customer message they answer until the final `message`
frame is out, so `resume` can replay what a socket missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FLUSH_AFTER_S = 0.08
FLUSH_AT_CHARS = 64
BUFFER_TTL_S = 600  # a reply whose worker died must not pin its buffer forever
FRAME_EVENT = "chat.frame"  # handled by ChatConsumer.chat_frame
# Redis going away. Live frames are best effort: the sockets on a Redis channel layer drop
# with Redis, and on reconnect `resume` replays every persisted message from the database, so
# a reply must still be written rather than fail because a frame could not be sent.
REDIS_DOWN = (RedisError, OSError)


def group_name(conversation_id: uuid.UUID | str) -> str:
    return f"conv.{conversation_id}"


def stream_key(conversation_id: uuid.UUID | str, reply_to: uuid.UUID | str) -> str:
    return f"chat:stream:{conversation_id}:{reply_to}"


async def group_publish(conversation_id: uuid.UUID | str, frame: dict[str, Any]) -> None:
    """Send a frame to every socket of the conversation; best effort (see REDIS_DOWN)."""
    layer = get_channel_layer()
    try:
        await layer.group_send(group_name(conversation_id), {"type": FRAME_EVENT, "frame": frame})
    except REDIS_DOWN as exc:
        logger.warning("frame for %s not sent, the channel layer is down: %s", conversation_id, exc)


def publish_on_commit(conversation_id: uuid.UUID | str, *frames: dict[str, Any]) -> None:
    """Send frames that report a write once its transaction commits: a socket told first would
    read the old state, and a rolled-back write must announce nothing. Every such frame (a
    handoff, an agent's or the system's message, a bot reply written after its stream) goes
    out through here; outside a transaction they go at once."""
    transaction.on_commit(lambda: _publish_now(str(conversation_id), frames))


def _publish_now(conversation_id: str, frames: tuple[dict[str, Any], ...]) -> None:
    try:
        async_to_sync(_publish_all)(conversation_id, frames)
    except Exception:  # the write stands; `resume` and the state sent on reconnect catch up
        logger.exception("publishing frames for %s failed", conversation_id)


async def _publish_all(conversation_id: str, frames: tuple[dict[str, Any], ...]) -> None:
    for frame in frames:
        await group_publish(conversation_id, frame)


async def stream_buffers_get(
    conversation_id: uuid.UUID | str, reply_tos: list[str]
) -> list[dict[str, Any]]:
    """The partial replies still being generated for these customer messages, in that order."""
    if not reply_tos:
        return []
    keys = [stream_key(conversation_id, reply_to) for reply_to in reply_tos]
    found = await cache.aget_many(keys)
    return [found[key] for key in keys if key in found]


async def stream_shown_text(
    conversation_id: uuid.UUID | str, reply_to: uuid.UUID | str, message_id: str
) -> str:
    """What an earlier run of this reply streamed before it died (a killed worker, a retried
    task): the text sockets may have shown already, which a new run must not take back."""
    buffer = await cache.aget(stream_key(conversation_id, reply_to))
    if not buffer or buffer.get("message_id") != message_id:
        return ""
    return "".join(buffer["deltas"])


def buffered_delta_frames(buffer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "delta",
            "message_id": buffer["message_id"],
            "reply_to": buffer["reply_to"],
            "index": index,
            "text": text,
        }
        for index, text in enumerate(buffer["deltas"])
    ]


class LivePublisher:
    """The `publish` callable handed to the pipeline for one conversation.

    Deltas are re-chunked, so the indices it sends are its own (0, 1, 2... per bot message) and
    the concatenation is unchanged. The buffer is written before each group_send: a socket that
    reads the buffer and then takes the group's queued frames sees every index at least once,
    and the consumer drops the repeats.
    """

    def __init__(self, conversation_id: uuid.UUID | str) -> None:
        self.conversation_id = str(conversation_id)
        self._lock = asyncio.Lock()
        self._pending: dict[str, Any] | None = None  # message_id, reply_to, text
        self._sent: dict[str, list[str]] = {}  # message_id -> texts sent, in index order
        self._timer: asyncio.TimerHandle | None = None
        self._flushed_at = -math.inf  # loop time of the last delta frame sent
        self._flush_tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "delta":
            await self._add_delta(frame)
            return
        await self.flush()
        async with self._lock:
            await group_publish(self.conversation_id, frame)
            if frame.get("type") == "message" and frame.get("sender") == "bot":
                await self._finish(frame)

    async def _add_delta(self, frame: dict[str, Any]) -> None:
        pending = self._pending
        if pending is not None and pending["message_id"] != frame["message_id"]:
            await self.flush()
            pending = None
        if pending is None:
            if frame["message_id"] not in self._sent:
                await self._resume_indices(frame)
            pending = {"message_id": frame["message_id"], "reply_to": frame["reply_to"], "text": ""}
            self._pending = pending
        pending["text"] += frame["text"]
        quiet_s = asyncio.get_running_loop().time() - self._flushed_at
        if len(pending["text"]) >= FLUSH_AT_CHARS or quiet_s >= FLUSH_AFTER_S:
            await self.flush()
        else:
            self._arm_timer(FLUSH_AFTER_S - quiet_s)

    async def _resume_indices(self, frame: dict[str, Any]) -> None:
        """A reply an earlier run began (its worker died mid-stream) goes on from the index
        that run reached: sockets drop indices they were sent, so restarting at 0 would hide
        the new run's first pieces. respond_to_message sends only text beyond what was shown."""
        try:
            buffer = await cache.aget(stream_key(self.conversation_id, frame["reply_to"]))
        except REDIS_DOWN:
            return  # then no socket can have got the dead run's deltas either
        if buffer and buffer.get("message_id") == frame["message_id"]:
            self._sent[frame["message_id"]] = list(buffer["deltas"])

    def _arm_timer(self, delay_s: float) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(delay_s, self._flush_soon)

    def _flush_soon(self) -> None:
        self._timer = None
        # A strong reference: the loop keeps only weak ones to tasks.
        task = asyncio.ensure_future(self.flush())
        self._flush_tasks.add(task)
        task.add_done_callback(self._flush_tasks.discard)

    async def flush(self) -> None:
        async with self._lock:
            pending, self._pending = self._pending, None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not pending or not pending["text"]:
                return
            texts = self._sent.setdefault(pending["message_id"], [])
            texts.append(pending["text"])
            self._flushed_at = asyncio.get_running_loop().time()
            await self._buffer_write(pending, texts)
            await group_publish(
                self.conversation_id,
                {
                    "type": "delta",
                    "message_id": pending["message_id"],
                    "reply_to": pending["reply_to"],
                    "index": len(texts) - 1,
                    "text": pending["text"],
                },
            )

    async def _buffer_write(self, pending: dict[str, Any], texts: list[str]) -> None:
        # The whole list each time: this publisher is the buffer's only writer, so no
        # read-modify-write race even when two replies of one conversation stream at once.
        value = {
            "message_id": pending["message_id"],
            "reply_to": pending["reply_to"],
            "deltas": texts,
        }
        key = stream_key(self.conversation_id, pending["reply_to"])
        try:
            await cache.aset(key, value, timeout=BUFFER_TTL_S)
        except REDIS_DOWN as exc:
            logger.warning("stream buffer %s not written, the cache is down: %s", key, exc)

    async def finished(self, frame: dict[str, Any]) -> None:
        """The reply's final `message` frame went out by another path (publish_on_commit): drop
        what this publisher kept for its resume."""
        async with self._lock:
            await self._finish(frame)

    async def _finish(self, frame: dict[str, Any]) -> None:
        self._sent.pop(frame["message_id"], None)
        if frame.get("reply_to"):
            # Left behind if the cache is down: resume reads buffers of unanswered messages only.
            with contextlib.suppress(*REDIS_DOWN):
                await cache.adelete(stream_key(self.conversation_id, frame["reply_to"]))

    def sent_text(self, message_id: str) -> str:
        """What this publisher has streamed so far for a bot message not yet finished."""
        return "".join(self._sent.get(message_id, []))

    async def aclose(self) -> None:
        await self.flush()
        for task in list(self._flush_tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
