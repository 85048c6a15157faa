"""The `scale` section's connections probe: idle widget sockets held by the Daphnes of the
production shape (on Redis), and what each costs in memory.

The sockets are spread evenly over the Daphnes and kept reading, as a browser does (Daphne drops
a socket whose keep-alive pings go unanswered); once all are open, each is asked for a `pong`:
held means it answered. Memory is each Daphne's resident set and Redis's `used_memory` (every
socket subscribes to its conversation on Redis pub/sub) before and after.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bench.scale_stack import ScaleStack
from bench.sections.live import HANDSHAKES_AT_ONCE
from bench.stack import Chat, rss_kib

SETTLE_S = 2.0
PONG_WAIT_S = 30.0


async def _read_forever(ws: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[str]) -> None:
    async for frame in ws:
        if frame.type == aiohttp.WSMsgType.TEXT:
            inbox.put_nowait(frame.data)


async def _held(ws: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[str]) -> bool:
    try:
        await ws.send_str('{"type": "ping"}')
        async with asyncio.timeout(PONG_WAIT_S):
            while '"pong"' not in await inbox.get():
                continue
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False
    return True


def _memory(stack: ScaleStack) -> dict[str, int]:
    found = {p.name: rss_kib(p.pid) for p in stack.daphnes}
    found["redis_used_memory"] = int(stack.redis.info("memory")["used_memory"]) // 1024
    return found


async def connections_held(stack: ScaleStack, chats: list[Chat]) -> dict[str, Any]:
    """Open one socket per chat (chat i on Daphne i mod N), hold them all, count who answers."""
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    errors: dict[str, int] = {}
    opened: list[tuple[aiohttp.ClientWebSocketResponse, asyncio.Queue[str]]] = []
    readers: list[asyncio.Task[None]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.sleep(SETTLE_S)
        before = _memory(stack)
        started = time.perf_counter()

        async def one(index: int, chat: Chat) -> None:
            port = stack.daphnes[index % len(stack.daphnes)].port
            url = f"ws://127.0.0.1:{port}/ws/chat/{chat.conversation_id}/?token={chat.token}"
            async with gate:
                try:
                    async with asyncio.timeout(30):
                        ws = await session.ws_connect(
                            url, headers={"Origin": f"http://127.0.0.1:{port}"}
                        )
                except (aiohttp.ClientError, OSError, TimeoutError) as error:
                    errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                    return
            inbox: asyncio.Queue[str] = asyncio.Queue()
            readers.append(asyncio.create_task(_read_forever(ws, inbox)))
            opened.append((ws, inbox))

        await asyncio.gather(*(one(i, chat) for i, chat in enumerate(chats)))
        open_s = time.perf_counter() - started
        await asyncio.sleep(SETTLE_S)
        after = _memory(stack)
        checks = asyncio.Semaphore(HANDSHAKES_AT_ONCE)

        async def check(ws: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[str]) -> bool:
            async with checks:
                return await _held(ws, inbox)

        held = sum(await asyncio.gather(*(check(ws, inbox) for ws, inbox in opened)))
        await asyncio.gather(*(ws.close() for ws, _ in opened), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)
    return _figures(len(chats), len(opened), held, errors, open_s, before, after, stack)


def _figures(
    attempted: int,
    opened: int,
    held: int,
    errors: dict[str, int],
    open_s: float,
    before: dict[str, int],
    after: dict[str, int],
    stack: ScaleStack,
) -> dict[str, Any]:
    daphnes = [p.name for p in stack.daphnes]
    daphne_kib = sum(after[n] - before[n] for n in daphnes)
    redis_kib = after["redis_used_memory"] - before["redis_used_memory"]
    return {
        "attempted": attempted,
        "opened": opened,
        "held": held,
        "errors": errors,
        "handshakes_per_s": round(opened / open_s, 1) if open_s else None,
        "rss_mib": {n: [round(before[n] / 1024, 1), round(after[n] / 1024, 1)] for n in daphnes},
        "redis_used_memory_mib": [
            round(before["redis_used_memory"] / 1024, 1),
            round(after["redis_used_memory"] / 1024, 1),
        ],
        "daphne_kib_per_connection": round(daphne_kib / held, 1) if held else None,
        "redis_kib_per_connection": round(redis_kib / held, 2) if held else None,
    }
