"""Fixtures for the fault-injection suite (`pytest -m chaos`).

In-process scenarios run the real ASGI app (consumer -> reply task -> pipeline -> gateway) in the
test's event loop against the fake model server on loopback, whose faults the test switches on
and off through FakeLLMServer.control(), and whose request counts it reads back (stats_json()).
Replies run as tasks in this process even in the PostgreSQL/Redis pass (whose channel layer and
cache stay Redis); tests/chaos/stack.py runs the production processes for the scenarios that
kill them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from chat.schedule import reply_tasks_wait
from conversations.models import Conversation, Message
from conversations.services import conversation_create
from fakes.llm_server import FakeLLMServer, running_fake_server
from fakes.responder import respond
from llm.gateway import Gateway, get_gateway, reset_gateway
from orders.demo import FLAGSHIP_EMAIL
from orders.models import Customer
from tests.chat.conftest import communicator

API_KEY = "sk-chaos-0123456789abcdef"
BACKUP = "backup-model"  # LLM_FALLBACK_MODELS in every chaos scenario
INTENT, RETRIEVAL, REASONING, EMPATHY = (
    "gemini-2.5-flash",
    "deepseek-v3.2",
    "gpt-4.1",
    "claude-sonnet-4.5",
)
Frame = dict[str, Any]


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLMServer]:
    """The fake model server answering the stages' prompts like a good model, a little slowly
    so a reply streams for a while (30 ms to the first token, 200 tokens/s)."""
    async with running_fake_server(responder=respond, ttft_ms=30, tokens_per_s=200) as server:
        yield server


@pytest.fixture
async def gateway(settings: Any, fake_llm: FakeLLMServer) -> AsyncIterator[Gateway]:
    """The process's gateway on the fake server, with one fallback model, real timeouts,
    retry policy and breaker (llm.config defaults), and no daily token cap in the way, nor the
    per-visitor message limit: the scenarios' shoppers are a few customers sending many."""
    settings.CHAT_MESSAGES_PER_MINUTE = 10_000
    settings.LLM = {
        **settings.LLM,
        "BASE_URL": fake_llm.base_url,
        "API_KEY": API_KEY,
        "FALLBACK_MODELS": [BACKUP],
        "CUSTOMER_DAILY_TOKENS": 10**9,
    }
    settings.REDIS_URL = ""
    reset_gateway()
    made = get_gateway()
    yield made
    await reply_tasks_wait()
    await made.aclose()
    reset_gateway()


def served(server: FakeLLMServer, model: str) -> dict[str, Any]:
    """What the fake server saw for one model: count, arrival times, faults it answered with."""
    return server.stats_json()["models"].get(model, {"count": 0, "times": [], "faults": []})


@dataclass
class Turn:
    """One customer message and everything the socket showed for it."""

    client_id: str
    text: str
    sent_at: float
    ack: Frame | None = None
    frames: list[Frame] = field(default_factory=list)
    final: Frame | None = None
    handoff: Frame | None = None
    done_at: float | None = None

    @property
    def message_id(self) -> str:
        assert self.ack is not None
        return self.ack["message_id"]

    @property
    def deltas(self) -> list[Frame]:
        return [f for f in self.frames if f["type"] == "delta"]

    @property
    def streamed_text(self) -> str:
        return "".join(d["text"] for d in sorted(self.deltas, key=lambda d: d["index"]))

    @property
    def first_delta_s(self) -> float | None:
        stamps = [f["_at"] for f in self.frames if f["type"] == "delta"]
        return min(stamps) - self.sent_at if stamps else None

    @property
    def latency_s(self) -> float | None:
        return None if self.done_at is None else self.done_at - self.sent_at


class Widget:
    """A connected socket that files every frame under the customer message it belongs to."""

    def __init__(self, conversation: Conversation, token: str) -> None:
        self.conversation = conversation
        self.token = token
        self.ws = communicator(conversation.pk, token)
        self.turns: dict[str, Turn] = {}  # by client_id
        self.by_message: dict[str, Turn] = {}  # by customer message id
        self.other: list[Frame] = []
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def open(self) -> Widget:
        connected, _ = await self.ws.connect(timeout=10)
        assert connected
        self._reader = asyncio.create_task(self._read())
        return self

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.ws.disconnect()

    async def send(self, text: str, client_id: str | None = None) -> Turn:
        client_id = client_id or str(uuid.uuid4())
        turn = self.turns.setdefault(client_id, Turn(client_id, text, time.monotonic()))
        await self.ws.send_json_to({"type": "message", "client_id": client_id, "text": text})
        return turn

    async def answered(self, turn: Turn, wait_s: float) -> Turn:
        """Wait until the turn has its final bot message, or a handoff and no reply coming."""
        async with asyncio.timeout(wait_s):
            while turn.final is None:
                self._changed.clear()
                await self._changed.wait()
        return turn

    async def acked(self, turn: Turn, wait_s: float = 10) -> Turn:
        async with asyncio.timeout(wait_s):
            while turn.ack is None:
                self._changed.clear()
                await self._changed.wait()
        return turn

    async def _read(self) -> None:
        while True:
            frame = await self.ws.receive_json_from(timeout=3600)
            frame["_at"] = time.monotonic()
            self._file(frame)
            self._changed.set()

    def _file(self, frame: Frame) -> None:
        kind = frame["type"]
        if kind == "ack":
            turn = self.turns[frame["client_id"]]
            turn.ack = turn.ack or frame
            self.by_message[frame["message_id"]] = turn
            turn.frames.append(frame)
            return
        reply_to = frame.get("reply_to")
        turn = self.by_message.get(reply_to) if reply_to else None
        if turn is None:
            self.other.append(frame)
            if kind == "handoff":
                for waiting in self.by_message.values():
                    waiting.handoff = waiting.handoff or (frame if waiting.final is None else None)
            return
        turn.frames.append(frame)
        if kind == "message" and frame["sender"] == "bot":
            assert turn.final is None, f"a second final message for {reply_to}: {frame}"
            turn.final = frame
            turn.done_at = frame["_at"]


@pytest.fixture
async def widgets() -> AsyncIterator[Callable[..., Awaitable[Widget]]]:
    """widgets(customer) -> a new conversation with an open socket; all closed at the end."""
    opened: list[Widget] = []

    async def open_(customer: Customer | None = None) -> Widget:
        conversation, token = await sync_to_async(conversation_create)(customer=customer)
        widget = await Widget(conversation, token).open()
        opened.append(widget)
        return widget

    yield open_
    await reply_tasks_wait()
    for widget in opened:
        await widget.close()


async def sarah() -> Customer:
    return await Customer.objects.aget(email=FLAGSHIP_EMAIL)


def bot_replies_by_message(conversation_id: Any) -> dict[str, list[str]]:
    """customer message id -> ids of its bot replies, from the database."""
    found: dict[str, list[str]] = {}
    rows = Message.objects.filter(conversation_id=conversation_id).order_by("seq")
    for message in rows:
        if message.sender == Message.Sender.CUSTOMER:
            found.setdefault(str(message.pk), [])
        elif message.sender == Message.Sender.BOT and message.reply_to_id:
            found.setdefault(str(message.reply_to_id), []).append(str(message.pk))
    return found


def seqs(conversation_id: Any) -> list[int]:
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("seq")
        .values_list("seq", flat=True)
    )


def assert_nothing_lost(widget: Widget) -> None:
    """Every acknowledged message is persisted once and has exactly one bot reply in the
    database, equal to the final frame the socket got; seq runs 1..n without a gap."""
    conversation_id = widget.conversation.pk
    replies = bot_replies_by_message(conversation_id)
    acked = [turn for turn in widget.turns.values() if turn.ack is not None]
    assert len(acked) == len(widget.turns), "a message was never acknowledged"
    assert set(replies) == {turn.message_id for turn in acked}
    for turn in acked:
        assert len(replies[turn.message_id]) == 1, (turn.text, replies[turn.message_id])
        assert turn.final is not None and turn.final["message_id"] == replies[turn.message_id][0]
        assert turn.streamed_text == turn.final["text"], "deltas do not add up to the message"
        indices = sorted(d["index"] for d in turn.deltas)
        assert indices == list(range(len(indices))), f"delta indices {indices}"
    numbers = seqs(conversation_id)
    assert numbers == list(range(1, len(numbers) + 1))
