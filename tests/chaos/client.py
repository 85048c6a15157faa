"""A chat client for the production-stack scenarios that behaves like the widget on a bad
network: it reconnects by itself, sends `resume` with the highest seq it holds without a gap,
and re-sends every unacknowledged message with its first client_id (shared/protocol.md).

It keeps every frame, so a test can check the protocol's guarantees on the wire afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

Frame = dict[str, Any]
RECONNECT_S = 0.25


@dataclass
class ChatClient:
    session: aiohttp.ClientSession
    port: int
    conversation_id: str
    token: str
    frames: list[Frame] = field(default_factory=list)
    outbox: dict[str, str] = field(default_factory=dict)  # client_id -> text, until acked
    acks: dict[str, Frame] = field(default_factory=dict)
    messages: dict[int, Frame] = field(default_factory=dict)  # by seq
    connects: int = 0
    close_codes: list[int | None] = field(default_factory=list)  # how each socket was closed
    ws: aiohttp.ClientWebSocketResponse | None = None
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/{self.conversation_id}/?token={self.token}"

    @property
    def high_water(self) -> int:
        seq = 0
        while seq + 1 in self.messages:
            seq += 1
        return seq

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.ws is not None:
            await self.ws.close()

    async def say(self, text: str) -> str:
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = text
        await self._send({"type": "message", "client_id": client_id, "text": text})
        return client_id

    async def wait_for(self, test: Any, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        while not test():
            self._changed.clear()
            left = deadline - time.monotonic()
            assert left > 0, "timed out waiting on the chat client"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    def bot_reply(self, message_id: str) -> Frame | None:
        return next(
            (
                m
                for m in self.messages.values()
                if m["sender"] == "bot" and m.get("reply_to") == message_id
            ),
            None,
        )

    def deltas(self, message_id: str) -> list[Frame]:
        return [f for f in self.frames if f["type"] == "delta" and f["message_id"] == message_id]

    def widget_text(self, message_id: str) -> str:
        """What the widget's streaming bubble shows: deltas in index order, a repeat ignored."""
        parts: dict[int, str] = {}
        for delta in self.deltas(message_id):
            parts.setdefault(delta["index"], delta["text"])
        text, index = "", 0
        while index in parts:
            text += parts[index]
            index += 1
        return text

    async def _send(self, frame: Frame) -> None:
        if self.ws is None or self.ws.closed:
            return  # the outbox re-sends it on the next connect
        with contextlib.suppress(ConnectionError, aiohttp.ClientError, RuntimeError):
            await self.ws.send_json(frame)

    async def _run(self) -> None:
        while True:
            try:
                self.ws = await self.session.ws_connect(
                    self.url, origin=f"http://127.0.0.1:{self.port}", heartbeat=None
                )
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(RECONNECT_S)
                continue
            self.connects += 1
            await self._send({"type": "resume", "after_seq": self.high_water})
            for client_id, text in list(self.outbox.items()):
                await self._send({"type": "message", "client_id": client_id, "text": text})
            await self._read(self.ws)
            self.close_codes.append(self.ws.close_code)
            await asyncio.sleep(RECONNECT_S)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for received in ws:
            if received.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(received.data)
            frame["_at"] = time.monotonic()
            self.frames.append(frame)
            if frame["type"] == "ack":
                self.acks[frame["client_id"]] = frame
                self.outbox.pop(frame["client_id"], None)
            elif frame["type"] == "message":
                self.messages.setdefault(frame["seq"], frame)
            self._changed.set()
        self._changed.set()
