"""Two Daphne processes and one Celery worker on PostgreSQL and Redis, as in production.

A customer on process A gets the bot's streamed reply (computed on the worker); what process B
publishes reaches A; a worker killed mid-reply loses nothing, and after its restart the message
gets exactly one bot reply.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import psycopg
import pytest

from tests.conftest import need_service
from tests.integration.stack import Stack, database_reset, redis_reset

pytestmark = pytest.mark.integration
WAIT_S = 90  # a killed worker's task comes back after the visibility timeout (8 s here)
Frame = dict[str, Any]


@pytest.fixture
def stack() -> Iterator[Stack]:
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    need_service(
        database_url.startswith("postgres") and bool(redis_url),
        "needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL=redis://...",
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_reset(database_url),
        "REDIS_URL": redis_reset(redis_url),
        "DJANGO_SETTINGS_MODULE": "support_bot.settings",
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LLM_API_KEY": "local-test-key",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        # Every simulated shopper connects from 127.0.0.1, one visitor to the rate limit.
        "CHAT_MESSAGES_PER_MINUTE": "1000",
    }
    stack = Stack(env)
    try:
        stack.manage("migrate", "--no-input", "-v0")
        stack.manage("seed_demo")
        llm_port = _fake_llm(stack)
        stack.env["LLM_BASE_URL"] = f"http://127.0.0.1:{llm_port}/v1"
        stack.daphne("a")
        stack.daphne("b")
        stack.worker()
        yield stack
    finally:
        stack.close()


def _fake_llm(stack: Stack) -> int:
    from bench.stack import free_port

    port = free_port()
    args = ["manage.py", "fake_llm", "--port", str(port), "--ttft-ms", "700"]
    args += ["--tokens-per-s", "40", "--responder", "pipeline"]
    stack.start("fake_llm", args, port)
    return port


class Socket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[Frame] = []

    async def send(self, frame: Frame) -> None:
        await self.ws.send_json(frame)

    async def until(self, test: Callable[[Frame], bool], wait_s: float = WAIT_S) -> list[Frame]:
        seen: list[Frame] = []
        async with asyncio.timeout(wait_s):
            while True:
                received = await self.ws.receive()
                if received.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"the socket closed: {received.type.name} {received.data}")
                frame = json.loads(received.data)
                self.frames.append(frame)
                seen.append(frame)
                if test(frame):
                    return seen


def bot_reply_to(message_id: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "message" and f["sender"] == "bot" and f["reply_to"] == message_id


def is_ack(frame: Frame) -> bool:
    return frame["type"] == "ack"


async def open_socket(
    session: aiohttp.ClientSession, stack: Stack, name: str, chat: Frame
) -> Socket:
    port = stack.ports[name]
    url = f"ws://127.0.0.1:{port}{chat['ws_url']}?token={chat['token']}"
    return Socket(await session.ws_connect(url, origin=f"http://127.0.0.1:{port}"))


async def say(socket: Socket, text: str) -> Frame:
    await socket.send({"type": "message", "client_id": str(uuid.uuid4()), "text": text})
    return (await socket.until(is_ack, 10))[-1]


def db_rows(stack: Stack, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        return connection.execute(sql, params).fetchall()


async def test_two_web_processes_one_worker_and_a_worker_killed_mid_reply(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        port_a = stack.ports["a"]
        async with session.post(f"http://127.0.0.1:{port_a}/api/conversations/") as response:
            assert response.status == 201
            chat = await response.json()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                f"ws://127.0.0.1:{port_a}{chat['ws_url']}?token=wrong",
                origin=f"http://127.0.0.1:{port_a}",
            )
        assert refused.value.status == 403

        # A customer on process A: the worker's reply streams back through Redis.
        on_a = await open_socket(session, stack, "a", chat)
        first = await say(on_a, "Hello, do you ship to Canada?")
        streamed = await on_a.until(bot_reply_to(first["message_id"]))
        final = streamed[-1]
        deltas = [
            f for f in streamed if f["type"] == "delta" and f["message_id"] == final["message_id"]
        ]
        assert "".join(d["text"] for d in deltas) == final["text"]

        # An idle socket stays open: the Redis layer's blocking read must outlive a quiet spell
        # (redis-py 8 cuts reads after 5 s unless the layer sets socket_timeout=None).
        await asyncio.sleep(6)
        await on_a.send({"type": "ping"})
        assert (await on_a.until(lambda f: f["type"] == "pong", 5))[-1] == {"type": "pong"}

        # A second socket on process B: what B publishes reaches A.
        on_b = await open_socket(session, stack, "b", chat)
        from_b = await say(on_b, "And what is your return policy?")
        echoed = await on_a.until(lambda f: f.get("message_id") == from_b["message_id"], 10)
        assert echoed[-1]["sender"] == "customer" and echoed[-1]["seq"] == from_b["seq"]
        await on_a.until(bot_reply_to(from_b["message_id"]))

        # Kill the worker while it works on the next reply, then start a new one.
        third = await say(on_a, "Where is my order?")
        await on_a.until(lambda f: f["type"] == "status" and f["reply_to"] == third["message_id"])
        stack.kill("worker")
        stack.worker("worker-restarted")
        rerun = await on_a.until(bot_reply_to(third["message_id"]))
        # The restarted worker ran the task again from its start: the killed run lost nothing.
        assert any(f["type"] == "status" and f["stage"] == "intent" for f in rerun)

    customer_ids = [first["message_id"], from_b["message_id"], third["message_id"]]
    for message_id in customer_ids:
        replies = db_rows(
            stack,
            "SELECT count(*) FROM conversations_message WHERE reply_to_id = %s AND sender = 'bot'",
            message_id,
        )
        assert replies == [(1,)], message_id
    seqs = db_rows(
        stack,
        "SELECT seq, sender FROM conversations_message WHERE conversation_id = %s ORDER BY seq",
        chat["id"],
    )
    assert [seq for seq, _ in seqs] == list(range(1, len(seqs) + 1))
    assert [sender for _, sender in seqs].count("customer") == 3
