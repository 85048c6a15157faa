"""Publishing a conversation's live events, and the buffer a reconnecting socket resumes from.

Every frame goes through the channel layer group `conv.<id>`, so any ASGI process can serve any
conversation. A bot reply's deltas are coalesced (a fast model emits many tiny pieces; the socket
gets one frame per ~25 ms or 64 characters) and kept in the cache under the customer message they
answer until the final `message` frame is out, so `resume` can replay what a socket missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from channels.layers import get_channel_layer
from django.core.cache import cache

FLUSH_AFTER_S = 0.025
FLUSH_AT_CHARS = 64
BUFFER_TTL_S = 600  # a reply whose worker died must not pin its buffer forever
FRAME_EVENT = "chat.frame"  # handled by ChatConsumer.chat_frame


def group_name(conversation_id: uuid.UUID | str) -> str:
    return f"conv.{conversation_id}"


def stream_key(conversation_id: uuid.UUID | str, reply_to: uuid.UUID | str) -> str:
    return f"chat:stream:{conversation_id}:{reply_to}"


async def group_publish(conversation_id: uuid.UUID | str, frame: dict[str, Any]) -> None:
    layer = get_channel_layer()
    await layer.group_send(group_name(conversation_id), {"type": FRAME_EVENT, "frame": frame})


async def stream_buffers_get(
    conversation_id: uuid.UUID | str, reply_tos: list[str]
) -> list[dict[str, Any]]:
    """The partial replies still being generated for these customer messages, in that order."""
    if not reply_tos:
        return []
    keys = [stream_key(conversation_id, reply_to) for reply_to in reply_tos]
    found = await cache.aget_many(keys)
    return [found[key] for key in keys if key in found]


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
            pending = {"message_id": frame["message_id"], "reply_to": frame["reply_to"], "text": ""}
            self._pending = pending
            self._arm_timer()
        pending["text"] += frame["text"]
        if len(pending["text"]) >= FLUSH_AT_CHARS:
            await self.flush()

    def _arm_timer(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(FLUSH_AFTER_S, self._flush_soon)

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
        await cache.aset(
            stream_key(self.conversation_id, pending["reply_to"]), value, timeout=BUFFER_TTL_S
        )

    async def _finish(self, frame: dict[str, Any]) -> None:
        self._sent.pop(frame["message_id"], None)
        if frame.get("reply_to"):
            await cache.adelete(stream_key(self.conversation_id, frame["reply_to"]))

    def sent_text(self, message_id: str) -> str:
        """What this publisher has streamed so far for a bot message not yet finished."""
        return "".join(self._sent.get(message_id, []))

    async def aclose(self) -> None:
        await self.flush()
        for task in list(self._flush_tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
