"""Fixtures for the live-chat tests: conversations with their tokens, and connected sockets."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat.schedule import reply_tasks_wait
from conversations.models import Conversation
from conversations.services import conversation_create
from llm.gateway import reset_gateway
from orders.models import Customer
from support_bot.asgi import application

ORIGIN = b"http://localhost"
RECEIVE_S = 5


@pytest.fixture(autouse=True)
def offline_in_process(settings: Any) -> None:
    """The offline engine, and replies as tasks in this process even in the Redis pass (whose
    channel layer and cache stay Redis); cache keys are per conversation, so no clearing."""
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": ""}
    settings.REDIS_URL = ""
    reset_gateway()


@pytest.fixture
def new_conversation() -> Callable[..., Awaitable[tuple[Conversation, str]]]:
    """Conversations without the demo store; tests that run the pipeline ask for demo_store."""

    async def create(customer: Customer | None = None) -> tuple[Conversation, str]:
        return await sync_to_async(conversation_create)(customer=customer)

    return create


def fresh_address() -> str:
    """A client address no other test (or earlier run on the same Redis) has counted under:
    limits now count per client, and the cache outlives a test."""
    block = uuid.uuid4().hex
    return f"2001:db8:{block[:4]}:{block[4:8]}::1"  # a /64 of its own (IPv6 counts per /64)


class Chat:
    """A connected widget: a communicator plus the helpers the tests keep needing."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_json_to(frame)

    async def say(self, text: str, client_id: str | None = None) -> str:
        client_id = client_id or str(uuid.uuid4())
        await self.send({"type": "message", "client_id": client_id, "text": text})
        return client_id

    async def receive(self, wait_s: float = RECEIVE_S) -> dict[str, Any]:
        return await self.ws.receive_json_from(timeout=wait_s)

    async def until(
        self, test: Callable[[dict[str, Any]], bool], wait_s: float = 20
    ) -> list[dict[str, Any]]:
        """Every frame up to and including the first that passes `test`."""
        frames: list[dict[str, Any]] = []
        while True:
            frame = await self.receive(wait_s)
            frames.append(frame)
            if test(frame):
                return frames

    async def reply_to(self, message_id: str) -> list[dict[str, Any]]:
        return await self.until(
            lambda f: (
                f["type"] == "message" and f["sender"] == "bot" and f["reply_to"] == message_id
            )
        )

    async def silent(self, wait_s: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout=wait_s)


def communicator(
    conversation_id: Any, token: str | None, origin: bytes = ORIGIN
) -> WebsocketCommunicator:
    path = f"/ws/chat/{conversation_id}/" + (f"?token={token}" if token is not None else "")
    return WebsocketCommunicator(application, path, headers=[(b"origin", origin)])


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
