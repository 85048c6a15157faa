"""Oversized and malformed frames are refused cleanly: an `error` frame with `too_long` or
`invalid`, nothing persisted, and the socket keeps working. Through Daphne, a frame above its
websocket size limit is closed with 1009 and the server keeps serving everyone else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from asgiref.sync import sync_to_async

from conversations.models import MAX_MESSAGE_CHARS, Message
from conversations.services import conversation_create
from tests.chat.conftest import RECEIVE_S, Chat, communicator

pytestmark = [pytest.mark.security]

MULTI_MEGABYTE = 3 * 1024 * 1024
DAPHNE_MAX_MESSAGE_BYTES = 1024 * 1024  # daphne.server.Server's websocket_max_message_size
MALFORMED: list[Any] = [
    "not json at all",
    "{'type': 'message'}",
    "[]",
    "null",
    '"message"',
    "{}",
    '{"type": 5}',
    '{"type": "shutdown"}',
    '{"type": "message", "text": "hi"}',
    '{"type": "message", "client_id": "not-a-uuid", "text": "hi"}',
    '{"type": "message", "client_id": "' + "x" * 5000 + '", "text": "hi"}',
    '{"type": "message", "client_id": "%s", "text": 42}',
    '{"type": "message", "client_id": "%s", "text": "   "}',
    '{"type": "message", "client_id": "%s", "text": ["a", "b"]}',
    '{"type": "resume", "after_seq": -1}',
    '{"type": "resume", "after_seq": "0; DROP TABLE"}',
    '{"type": "resume", "after_seq": 1.5}',
    '{"type": "csat", "score": 6}',
    '{"type": "csat", "score": "5"}',
    '{"type": "csat", "score": 5, "comment": "' + "y" * 2001 + '"}',
    '{"type": "typing", "active": "yes"}',
    '{"type": "message", "client_id": "%s", "text": "a\\ud800b"}',  # a lone surrogate
    '{"type": "csat", "score": 4, "comment": "\\udfff"}',
    '{"type": "message", "client_id": "%s", "text": "a\\u0000b"}',  # PostgreSQL cannot store NUL
    '{"type": "csat", "score": 4, "comment": "nul\\u0000"}',
    '{"type": "message", "text": ' + "[" * 5000 + "]" * 5000 + "}",  # nested 5,000 deep
]


async def _open(open_chat: Any) -> Chat:
    conversation, token = await sync_to_async(conversation_create)(customer=None)
    return await open_chat(conversation, token)


async def _still_usable(chat: Chat) -> None:
    await chat.send({"type": "ping"})
    assert await chat.receive() == {"type": "pong"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [MAX_MESSAGE_CHARS + 1, 50_000, MULTI_MEGABYTE])
async def test_oversized_messages_get_too_long_and_are_not_persisted(
    open_chat: Any, size: int
) -> None:
    chat = await _open(open_chat)
    client_id = str(uuid.uuid4())
    await chat.send({"type": "message", "client_id": client_id, "text": "a" * size})
    error = await chat.receive()
    assert error["type"] == "error" and error["code"] == "too_long"
    assert error["client_id"] == client_id
    assert await Message.objects.acount() == 0
    await _still_usable(chat)


@pytest.mark.django_db(transaction=True)
async def test_exactly_the_limit_is_accepted(demo_store: Any, open_chat: Any) -> None:
    chat = await _open(open_chat)
    await chat.say("é" * MAX_MESSAGE_CHARS)
    frames = await chat.until(lambda f: f["type"] in {"ack", "error"})
    assert frames[-1]["type"] == "ack"
    await chat.reply_to(frames[-1]["message_id"])


@pytest.mark.django_db(transaction=True)
async def test_malformed_frames_get_invalid_and_the_socket_keeps_working(
    demo_store: Any, open_chat: Any
) -> None:
    chat = await _open(open_chat)
    for raw in MALFORMED:
        text = raw.replace("%s", str(uuid.uuid4())) if "%s" in raw else raw
        await chat.ws.send_to(text_data=text)
        error = await chat.receive()
        assert error["type"] == "error" and error["code"] == "invalid", (raw[:60], error)
        assert len(error.get("client_id", "")) <= 64  # never echoes an oversized id back
    await chat.ws.send_to(bytes_data=b"\x00\xff binary")
    assert (await chat.receive())["code"] == "invalid"
    assert await Message.objects.acount() == 0
    await _still_usable(chat)
    # And a proper message after all that is answered normally.
    await chat.say("What is your return policy?")
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    await chat.reply_to(ack["message_id"])


async def test_a_socket_for_a_conversation_id_that_is_no_uuid_is_refused_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """/ws/chat/abc/ is a handshake refused (403), as for an unknown conversation, not a crash."""
    ws = communicator("abc", "some-token")
    connected, _ = await ws.connect(timeout=RECEIVE_S)
    assert not connected
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]


# -- through the real server: Daphne's own size limit --


async def _live_socket(
    session: aiohttp.ClientSession, base: str
) -> aiohttp.ClientWebSocketResponse:
    async with session.post(f"{base}/api/conversations/") as response:
        started = await response.json()
    url = f"{base.replace('http', 'ws', 1)}{started['ws_url']}?token={started['token']}"
    return await session.ws_connect(url, origin=base, max_msg_size=0)


@pytest.mark.integration
async def test_daphne_refuses_a_frame_over_its_limit_and_keeps_serving(
    live_server_url: str, live_server_db: Path
) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await _live_socket(session, live_server_url)
        big = json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "a" * 100_000})
        await ws.send_str(big)  # under Daphne's limit: the consumer says too_long
        reply = json.loads((await ws.receive(timeout=10)).data)
        assert reply["code"] == "too_long"
        await ws.send_str(json.dumps({"type": "ping"}))
        assert json.loads((await ws.receive(timeout=10)).data) == {"type": "pong"}

        huge = {"type": "message", "client_id": str(uuid.uuid4()), "text": "b" * MULTI_MEGABYTE}
        with contextlib.suppress(ConnectionError):  # the server may hang up mid-frame
            await ws.send_str(json.dumps(huge))
        closed = await ws.receive(timeout=10)
        assert closed.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
        # 1009 "message too big", or 1006 when it hung up while the frame was still arriving.
        assert ws.close_code in {1009, 1006}

        fresh = await _live_socket(session, live_server_url)  # everyone else is still served
        await fresh.send_str(json.dumps({"type": "ping"}))
        assert json.loads((await fresh.receive(timeout=10)).data) == {"type": "pong"}
        await asyncio.gather(ws.close(), fresh.close())
    longest = _query(live_server_db, "SELECT max(length(text)) FROM conversations_message")
    assert (longest or 0) <= MAX_MESSAGE_CHARS  # neither big frame reached the database


def _query(db: Path, sql: str) -> Any:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return conn.execute(sql).fetchone()[0]
