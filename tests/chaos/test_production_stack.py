"""Scenarios 7 and 8 on the production processes: Daphne, a Celery worker, PostgreSQL, a
private redis-server (channel layer, broker, cache) and the fake model server, all on loopback.

7. Redis stopped under traffic and started again 10 s later (real time; it keeps an
   append-only file, as a broker must): no customer message is lost and replies resume.
8. The Celery worker killed (SIGKILL) while it streams a reply, then started again: exactly one
   reply, and the deltas the customer saw still add up to it (protocol guarantee 3).

Customers are ChatClient (tests/chaos/client.py): they reconnect, resume and re-send their
unacknowledged messages as the widget does. The worker sees a killed task again after the
broker's visibility timeout, 8 s here (tests/integration/celery_worker.py; 300 s in settings).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import psycopg
import pytest

from orders.demo import FLAGSHIP_EMAIL
from tests.chaos.client import ChatClient
from tests.chaos.stack import (
    PrivateRedis,
    base_env,
    chaos_stack,
    fake_llm_start,
    postgres_database,
)
from tests.conftest import need_service
from tests.integration.stack import Stack

# The processes take ~25 s to start (migrate, seed) on a loaded 2-core machine.
pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.timeout(240)]

OUTAGE_S = 10.0
REPLY_WAIT_S = 60.0
_CREATE = """
import json
from conversations.services import conversation_create
from orders.models import Customer
sarah = Customer.objects.get(email={email!r})
print(json.dumps([[str(c.pk), t] for c, t in (conversation_create(customer=sarah) for _ in range({n}))]))
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Stack, PrivateRedis]]:
    database_url = os.environ.get("DATABASE_URL", "")
    need_service(
        database_url.startswith("postgres") and bool(os.environ.get("REDIS_URL")),
        "needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and REDIS_URL=redis://...",
    )
    need_service(bool(shutil.which("redis-server")), "needs redis-server on PATH to restart")
    stack = chaos_stack(base_env(), "production")
    redis = PrivateRedis(stack.logs)
    try:
        redis.start()
        stack.env.update(
            DATABASE_URL=postgres_database(database_url, "chaos_stack"),
            REDIS_URL=redis.url,
            LLM_FALLBACK_MODELS="backup-model",
        )
        stack.env["LLM_BASE_URL"] = fake_llm_start(
            stack, "--ttft-ms", "20", "--tokens-per-s", "400"
        )
        stack.manage("migrate", "--no-input", "-v0")
        stack.manage("seed_demo")
        stack.daphne("web")
        stack.worker("worker")
        yield stack, redis
    finally:
        stack.close()
        redis.stop()


def conversations(stack: Stack, count: int) -> list[tuple[str, str]]:
    out = stack.manage("shell", "-c", _CREATE.format(email=FLAGSHIP_EMAIL, n=count))
    return [tuple(pair) for pair in json.loads(out.strip().splitlines()[-1])]


@pytest.fixture
async def clients(stack: tuple[Stack, PrivateRedis]) -> AsyncIterator[Any]:
    web, _ = stack
    started: list[ChatClient] = []
    async with aiohttp.ClientSession() as session:

        async def open_(count: int) -> list[ChatClient]:
            made = await asyncio.to_thread(conversations, web, count)
            for conversation_id, token in made:
                client = ChatClient(session, web.ports["web"], conversation_id, token)
                client.start()
                started.append(client)
            await asyncio.gather(*(c.wait_for(lambda c=c: c.connects, 10) for c in started))
            return started[-count:]

        yield open_
        for client in started:
            await client.stop()


def db_rows(stack: Stack, conversation_id: str) -> list[tuple[int, str, str, str | None, str]]:
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        return connection.execute(
            "SELECT seq, sender, id::text, reply_to_id::text, text FROM conversations_message "
            "WHERE conversation_id = %s ORDER BY seq",
            (conversation_id,),
        ).fetchall()


def fake_llm(stack: Stack, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    import urllib.request

    base = stack.env["LLM_BASE_URL"].removesuffix("/v1")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data), timeout=5) as r:
        return json.loads(r.read())


def all_answered(client: ChatClient) -> bool:
    if client.outbox:
        return False
    return all(client.bot_reply(ack["message_id"]) for ack in client.acks.values())


def assert_transcript_is_the_database(stack: Stack, client: ChatClient) -> None:
    """One row per client_id, one bot reply per customer message, and what the client holds
    (by seq, without a gap) is exactly the database."""
    rows = db_rows(stack, client.conversation_id)
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    customer = {row[2] for row in rows if row[1] == "customer"}
    assert customer == {ack["message_id"] for ack in client.acks.values()}
    replies: dict[str, int] = {}
    for row in rows:
        if row[1] == "bot":
            replies[row[3]] = replies.get(row[3], 0) + 1
    assert replies == dict.fromkeys(customer, 1)
    held = [(m["seq"], m["sender"], m["message_id"], m["text"]) for m in client.messages.values()]
    assert sorted(held) == [(seq, sender, mid, text) for seq, sender, mid, _, text in rows]


async def test_redis_restarted_for_10s_under_traffic_loses_no_message(
    stack: tuple[Stack, PrivateRedis], clients: Any
) -> None:
    web, redis = stack
    customers = await clients(3)
    started = time.monotonic()

    async def traffic(client: ChatClient, offset_s: float) -> None:
        await asyncio.sleep(offset_s)
        while time.monotonic() - started < OUTAGE_S + 10:
            await client.say(
                f"Where is my order ORD-4521? ({len(client.outbox) + len(client.acks)})"
            )
            await asyncio.sleep(2.0)

    async def outage() -> None:
        await asyncio.sleep(3.0)
        await asyncio.to_thread(redis.stop)
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(redis.start)

    await asyncio.gather(outage(), *(traffic(c, i * 0.7) for i, c in enumerate(customers)))
    for client in customers:
        try:
            await client.wait_for(lambda c=client: all_answered(c), REPLY_WAIT_S)
        except AssertionError:
            unanswered = [
                a["message_id"]
                for a in client.acks.values()
                if not client.bot_reply(a["message_id"])
            ]
            raise AssertionError(f"unsent {client.outbox}, unanswered {unanswered}") from None
        assert_transcript_is_the_database(web, client)
        assert client.connects >= 2  # the outage did cut the sockets


async def test_worker_killed_mid_reply_gives_exactly_one_reply_that_adds_up(
    stack: tuple[Stack, PrivateRedis], clients: Any
) -> None:
    web, _ = stack
    (client,) = await clients(1)
    fake_llm(web, "/_control", {"tokens_per_s": 10})  # a reply streams for several seconds
    try:
        await client.say("Where is my order ORD-4521? It has not moved for days.")
        await client.wait_for(lambda: client.acks, 10)
        (ack,) = client.acks.values()
        reply_id = lambda: next(  # noqa: E731
            (f["message_id"] for f in client.frames if f["type"] == "delta"), None
        )
        await client.wait_for(lambda: reply_id() and len(client.deltas(reply_id())) >= 2, 30)
        await asyncio.to_thread(web.kill, "worker")
        seen_before = [f["text"] for f in client.deltas(reply_id())]
        # The run after the restart gets its answer at once, so the publisher groups its
        # sentences into other pieces than the killed run's, which came one by one.
        fake_llm(web, "/_control", {"tokens_per_s": 0})
        await asyncio.to_thread(web.worker, "worker")
        await client.wait_for(lambda: client.bot_reply(ack["message_id"]), REPLY_WAIT_S)
    finally:
        fake_llm(web, "/_control", {"tokens_per_s": 400})

    final = client.bot_reply(ack["message_id"])
    assert_transcript_is_the_database(web, client)
    deltas = client.deltas(final["message_id"])
    by_index: dict[int, set[str]] = {}
    for delta in deltas:
        by_index.setdefault(delta["index"], set()).add(delta["text"])
    assert all(len(texts) == 1 for texts in by_index.values()), f"one index, two texts: {by_index}"
    assert sorted(by_index) == list(range(len(by_index)))
    assert client.widget_text(final["message_id"]) == final["text"]
    assert final["text"].startswith("".join(seen_before))  # nothing shown was taken back
