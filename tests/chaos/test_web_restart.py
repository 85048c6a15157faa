"""Issue 19, hole 4: the web process restarted while replies are in progress, on embedded
defaults (SQLite file, in-memory channel layer and cache, replies as tasks in Daphne).

Twenty customers each send a message to a model that takes about two seconds a reply; while
every reply is under way, Daphne is stopped (SIGKILL, or SIGTERM with a short grace) and
started again on the same database and port. Within 30 s of the restart every acknowledged
message has exactly one bot reply in the database, and each customer's widget (ChatClient:
reconnects, resumes, re-sends what was not acked) has it too.

Its own SQLite Daphne whatever the pass, so it runs in the embedded pass of `./run test` only.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from bench.stack import free_port
from orders.demo import FLAGSHIP_EMAIL
from support_bot.channel_layers import GAP_CLOSE_CODE
from tests.chaos.client import ChatClient
from tests.chaos.stack import base_env, chaos_stack, fake_llm_start
from tests.integration.stack import Stack

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.timeout(240)]

CHATS = 20
RECOVERED_WITHIN_S = 30.0
MIGRATE_AND_SEED = (
    "from django.core.management import call_command; "
    "call_command('migrate', interactive=False, verbosity=0); call_command('seed_demo')"
)
_CREATE = """
import json
from conversations.services import conversation_create
from orders.models import Customer
sarah = Customer.objects.get(email={email!r})
print(json.dumps([[str(c.pk), t] for c, t in (conversation_create(customer=sarah) for _ in range({n}))]))
"""


class Web:
    """One Daphne on a fixed port, so it can be stopped and started again where widgets look."""

    def __init__(self, stack: Stack, db: Path) -> None:
        self.stack, self.db, self.port = stack, db, free_port()

    def start(self) -> None:
        args = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        self.stack.start("web", [*args, "support_bot.asgi:application"], self.port)

    def stop(self, how: signal.Signals) -> None:
        process = self.stack.processes.pop("web")
        os.killpg(process.pid, how)
        process.wait(timeout=30)

    def conversations(self, count: int) -> list[tuple[str, str]]:
        out = self.stack.manage("shell", "-c", _CREATE.format(email=FLAGSHIP_EMAIL, n=count))
        return [tuple(pair) for pair in json.loads(out.strip().splitlines()[-1])]

    def replies(self, conversation_id: str) -> dict[str, int]:
        """customer message id -> how many bot replies it has, from the database."""
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)) as conn:
            rows = conn.execute(
                "SELECT id, sender, reply_to_id FROM conversations_message "
                "WHERE conversation_id = ?",
                (uuid.UUID(conversation_id).hex,),
            ).fetchall()
        found = {uuid.UUID(pk).hex: 0 for pk, sender, _ in rows if sender == "customer"}
        for _, sender, reply_to in rows:
            if sender == "bot":
                found[uuid.UUID(reply_to).hex] += 1
        return found


@pytest.fixture
def web(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Web]:
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        pytest.skip("runs its own SQLite Daphne: done in the embedded pass of ./run test")
    db = tmp_path / "db.sqlite3"
    env = base_env(DATABASE_URL=f"sqlite:///{db}", SHUTDOWN_GRACE_S="0.5")
    stack = chaos_stack(env, f"web-restart-{request.node.name.split('_')[3]}")
    try:
        # About 2 s a reply: four model calls, the last streaming its sentences.
        stack.env["LLM_BASE_URL"] = fake_llm_start(
            stack, "--ttft-ms", "250", "--tokens-per-s", "60"
        )
        stack.manage("shell", "-c", MIGRATE_AND_SEED)
        made = Web(stack, db)
        made.start()
        yield made
    finally:
        stack.close()


@pytest.fixture
async def customers(web: Web) -> AsyncIterator[list[ChatClient]]:
    made = await asyncio.to_thread(web.conversations, CHATS)
    async with aiohttp.ClientSession() as session:
        clients = [ChatClient(session, web.port, cid, token) for cid, token in made]
        for client in clients:
            client.start()
        await asyncio.gather(*(c.wait_for(lambda c=c: c.connects, 10) for c in clients))
        yield clients
        for client in clients:
            await client.stop()


def replying(client: ChatClient) -> bool:
    """Acked, and its reply under way (a status line or a delta seen), not finished."""
    (ack,) = client.acks.values() or [None]
    if ack is None or client.bot_reply(ack["message_id"]):
        return False
    return any(f.get("reply_to") == ack["message_id"] for f in client.frames)


async def restart_mid_reply(web: Web, clients: list[ChatClient], how: signal.Signals) -> float:
    for client in clients:
        await client.say("Where is my order ORD-4521? It has not moved for days.")
    for client in clients:
        await client.wait_for(lambda c=client: replying(c), 20)
    answered = sum(bool(c.bot_reply(m["message_id"])) for c in clients for m in c.acks.values())
    assert answered == 0, "a reply finished before the restart: the model is too fast"
    await asyncio.to_thread(web.stop, how)
    await asyncio.to_thread(web.start)
    return time.monotonic()


def assert_one_reply_each(web: Web, clients: list[ChatClient]) -> None:
    for client in clients:
        (ack,) = client.acks.values()
        replies = web.replies(client.conversation_id)
        assert replies == {uuid.UUID(ack["message_id"]).hex: 1}, replies


async def wait_all_answered(web: Web, clients: list[ChatClient], since: float) -> None:
    deadline = since + RECOVERED_WITHIN_S
    while True:
        counts = [web.replies(c.conversation_id) for c in clients]
        if all(n == 1 for count in counts for n in count.values()):
            break
        missing = sum(n == 0 for count in counts for n in count.values())
        assert time.monotonic() < deadline, f"{missing} of {CHATS} unanswered after the restart"
        await asyncio.sleep(0.25)
    assert_one_reply_each(web, clients)
    for client in clients:  # the widget gets it too, by resume or live
        (ack,) = client.acks.values()
        await client.wait_for(lambda c=client, m=ack["message_id"]: c.bot_reply(m), 10)
        assert client.connects >= 2


async def test_restart_after_sigkill_mid_reply_answers_every_message_once(
    web: Web, customers: list[ChatClient]
) -> None:
    restarted = await restart_mid_reply(web, customers, signal.SIGKILL)
    await wait_all_answered(web, customers, restarted)
    await asyncio.sleep(2)  # nothing answers twice later either
    assert_one_reply_each(web, customers)


async def test_restart_after_sigterm_mid_reply_answers_every_message_once(
    web: Web, customers: list[ChatClient]
) -> None:
    restarted = await restart_mid_reply(web, customers, signal.SIGTERM)
    await wait_all_answered(web, customers, restarted)
    await asyncio.sleep(2)
    assert_one_reply_each(web, customers)
    # The stopping process sent every widget away with "reconnect and resume", and its grace
    # (0.5 s here) ran out with replies unfinished, which the next start finished.
    assert all(c.close_codes[0] == GAP_CLOSE_CODE for c in customers), [
        c.close_codes for c in customers
    ]
    log = (web.stack.logs / "web.log").read_text()
    assert "replies unfinished; the next start finishes them" in log
