"""The `live` bench section: what one Daphne process holds and serves, seen from the widget side.

Against one Daphne subprocess on a throwaway SQLite database (pipeline in-process, the fake
model server in its own process at ttft 200 ms and 80 tokens/s):

- connections: N idle widget sockets held at once, and Daphne's RSS per socket;
- sustained: M chats in a closed loop (send, wait for the final bot message, send again) for a
  fixed time: replies/s, lost replies, end-to-end latency;
- ttft: the same loop at 200 chats; the time to first token the app adds is the first delta's
  arrival minus the model time on that reply's critical path (the slower of intent/retrieval,
  then reasoning, then the empathy stream's own time to first token, from the reply's trace).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.registry import BenchContext, Figures, register
from bench.stack import (
    API_KEY,
    FAKE_ARGS,
    Chat,
    LiveStack,
    cpu_s,
    fd_limit_raise,
    rss_kib,
)

MESSAGES = (
    "what is your return policy?",
    "how long does shipping take?",
    "my parcel arrived damaged, what can I do?",
    "do you ship internationally?",
)
REPLY_TIMEOUT_S = 30.0  # an acknowledged message without its reply by then counts as lost
HANDSHAKES_AT_ONCE = 64  # in flight at once; Daphne rejects a handshake not accepted in 5 s
SETTLE_S = 1.0
WS_TIMEOUT = aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10.0)


@dataclass(frozen=True)
class LiveParams:
    connections: int = 10_000
    chats: int = 400
    seconds: float = 10.0
    ttft_chats: int = 200
    paced_seconds: float = 20.0
    # A person reads the reply and types the next one: seconds between a reply and the next send.
    think_s: tuple[float, float] = (3.0, 9.0)


@dataclass
class Turn:
    message_id: str = ""
    sent: float = 0.0
    first_delta: float | None = None
    done: float | None = None


@dataclass
class LoopResult:
    turns: list[Turn] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    # CPU seconds over the loop: Daphne, the fake model server, and this process (the clients).
    cpu_s: dict[str, float] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99)}


async def _connect(
    session: aiohttp.ClientSession, stack: LiveStack, chat: Chat
) -> aiohttp.ClientWebSocketResponse:
    url = f"ws://127.0.0.1:{stack.port}/ws/chat/{chat.conversation_id}/?token={chat.token}"
    async with asyncio.timeout(30):
        return await session.ws_connect(url, headers={"Origin": stack.origin}, timeout=WS_TIMEOUT)


# Connections held.


async def _open_all(
    session: aiohttp.ClientSession,
    stack: LiveStack,
    chats: list[Chat],
    on_open: Callable[[aiohttp.ClientWebSocketResponse], None] | None = None,
) -> tuple[list[aiohttp.ClientWebSocketResponse], dict[str, int]]:
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    errors: dict[str, int] = {}

    async def one(chat: Chat) -> aiohttp.ClientWebSocketResponse | None:
        async with gate:
            try:
                ws = await _connect(session, stack, chat)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                return None
        if on_open is not None:
            on_open(ws)
        return ws

    opened = await asyncio.gather(*(one(chat) for chat in chats))
    return [ws for ws in opened if ws is not None], errors


async def _read_forever(ws: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[str]) -> None:
    """Keep reading, as a browser does: aiohttp answers Daphne's keep-alive pings only while
    someone reads, and Daphne drops a socket whose pings go unanswered."""
    async for frame in ws:
        if frame.type == aiohttp.WSMsgType.TEXT:
            inbox.put_nowait(frame.data)


async def _still_open(
    sockets: list[aiohttp.ClientWebSocketResponse], inboxes: list[asyncio.Queue[str]]
) -> int:
    """Held means answering now: a ping frame on every socket, every pong back."""
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)

    async def one(ws: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[str]) -> bool:
        async with gate:
            try:
                await ws.send_str('{"type": "ping"}')
                data = await asyncio.wait_for(inbox.get(), timeout=30)
            except (aiohttp.ClientError, OSError, TimeoutError):
                return False
            return '"pong"' in data

    return sum(await asyncio.gather(*(one(ws, q) for ws, q in zip(sockets, inboxes, strict=True))))


async def connections_held(stack: LiveStack, chats: list[Chat]) -> Figures:
    pid = stack.daphne.pid  # type: ignore[union-attr]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.sleep(SETTLE_S)
        before = rss_kib(pid)
        started = time.perf_counter()
        inbox_of: dict[aiohttp.ClientWebSocketResponse, asyncio.Queue[str]] = {}
        readers: list[asyncio.Task[None]] = []

        def reading(ws: aiohttp.ClientWebSocketResponse) -> None:  # from its handshake on
            inbox_of[ws] = asyncio.Queue()
            readers.append(asyncio.create_task(_read_forever(ws, inbox_of[ws])))

        sockets, errors = await _open_all(session, stack, chats, on_open=reading)
        open_s = time.perf_counter() - started
        inboxes = [inbox_of[ws] for ws in sockets]
        await asyncio.sleep(SETTLE_S)
        after = rss_kib(pid)
        held = await _still_open(sockets, inboxes)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)
    return {
        "attempted": len(chats),
        "opened": len(sockets),
        "held": held,  # still answering a ping after all were opened
        "errors": errors,
        "handshakes_per_s": round(len(sockets) / open_s, 1) if open_s else None,
        "rss_before_mib": round(before / 1024, 1),
        "rss_after_mib": round(after / 1024, 1),
        "kib_per_connection": round((after - before) / held, 1) if held else None,
    }


# Chats in a closed loop.


async def one_turn(
    ws: aiohttp.ClientWebSocketResponse,
    text: str,
    result: LoopResult,
    timeout_s: float = REPLY_TIMEOUT_S,
) -> bool:
    """Send one message and wait for its final bot message; False when the socket is unusable
    or no reply came within `timeout_s` (counted as lost)."""
    client_id = str(uuid.uuid4())
    turn = Turn(sent=time.perf_counter())
    await ws.send_str(json.dumps({"type": "message", "client_id": client_id, "text": text}))
    deadline = turn.sent + timeout_s
    while (left := deadline - time.perf_counter()) > 0:
        try:
            frame = await ws.receive(timeout=left)
        except TimeoutError:
            break
        if frame.type != aiohttp.WSMsgType.TEXT:
            result.count(f"socket_{frame.type.name.lower()}")
            return False
        if _turn_update(json.loads(frame.data), turn, client_id, result):
            result.turns.append(turn)
            return True
    result.count("lost" if turn.message_id else "no_ack")
    return False


def _turn_update(data: dict[str, Any], turn: Turn, client_id: str, result: LoopResult) -> bool:
    kind, now = data.get("type"), time.perf_counter()
    if kind == "ack" and data.get("client_id") == client_id:
        turn.message_id = data["message_id"]
    elif kind == "error":
        result.count(f"error_{data.get('code')}")
    elif not turn.message_id or data.get("reply_to") != turn.message_id:
        return False
    elif kind == "delta" and turn.first_delta is None:
        turn.first_delta = now
    elif kind == "message" and data.get("sender") == "bot":
        turn.done = now
        return True
    elif kind == "handoff":
        result.count("handoff")
    return False


async def closed_loop(
    stack: LiveStack, chats: list[Chat], seconds: float, think_s: tuple[float, float] | None = None
) -> LoopResult:
    """Each chat sends, waits for the whole reply, then (with think_s) reads and types for a
    uniformly random pause before its next message, as a person would; without it, at once."""
    result = LoopResult()
    pids = {
        "daphne": stack.daphne.pid,  # type: ignore[union-attr]
        "fake_model_server": stack.fake.process.pid,  # type: ignore[union-attr]
        "load_generator": os.getpid(),
    }
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        sockets, errors = await _open_all(session, stack, chats)
        for kind, count in errors.items():
            result.errors[f"connect_{kind}"] = count
        cpu_before, started = {name: cpu_s(pid) for name, pid in pids.items()}, time.perf_counter()
        deadline = started + seconds

        async def chat_loop(index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            turn = 0
            pacing = random.Random(index)
            if think_s is not None:  # people do not all start typing in the same millisecond
                await asyncio.sleep(pacing.uniform(0, think_s[1]))
            while time.perf_counter() < deadline:
                if turn and think_s is not None:
                    await asyncio.sleep(pacing.uniform(*think_s))
                    if time.perf_counter() >= deadline:
                        return
                text = MESSAGES[(index + turn) % len(MESSAGES)]
                turn += 1
                if not await one_turn(ws, text, result):
                    return

        await asyncio.gather(*(chat_loop(i, ws) for i, ws in enumerate(sockets)))
        result.wall_s = time.perf_counter() - started
        result.cpu_s = {name: cpu_s(pid) - cpu_before[name] for name, pid in pids.items()}
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return result


def _loop_figures(result: LoopResult, chats: int) -> Figures:
    done = [t for t in result.turns if t.done is not None]
    return {
        "chats": chats,
        "completed": len(done),
        "replies_per_s": round(len(done) / result.wall_s, 1) if result.wall_s else 0.0,
        "lost": result.errors.get("lost", 0),
        "errors": result.errors,
        "end_to_end": _percentiles([(t.done - t.sent) * 1000 for t in done if t.done]),
        "daphne_cpu_busy": round(result.cpu_s.get("daphne", 0) / result.wall_s, 2)
        if result.wall_s
        else 0,
        # Where a reply's CPU goes on this machine: the app, and what the bench itself costs.
        "cpu_ms_per_reply": {
            name: round(seconds * 1000 / len(done), 2) if done else None
            for name, seconds in result.cpu_s.items()
        },
        "wall_s": round(result.wall_s, 1),
    }


# Time to first token.


def _model_ms_before_first_token(stages: list[dict[str, Any]], raw_ttft_ms: float) -> float:
    """Intent and retrieval run side by side, then reasoning, then the streamed empathy call,
    whose first token costs the model its own ttft. The fast lane streams no model call; with a
    model its written answer (stage "answer") is checked whole before any of it is shown."""
    by_stage = {s["stage"]: s["latency_ms"] for s in stages if s["model"] != "rules"}
    reading = max(by_stage.get("intent", 0.0), by_stage.get("retrieval", 0.0))
    streamed = raw_ttft_ms if "empathy" in by_stage else 0.0
    return reading + by_stage.get("reasoning", 0.0) + by_stage.get("answer", 0.0) + streamed


async def raw_ttft_ms(base_url: str, samples: int) -> float:
    """The fake server's own time to first token, through bare aiohttp: p50 of `samples`."""
    body = {"model": "bench", "messages": [{"role": "user", "content": "hi there"}]}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    times: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(samples):
            started = time.perf_counter()
            async with session.post(
                f"{base_url}/chat/completions", json={**body, "stream": True}, headers=headers
            ) as response:
                async for line in response.content:
                    if b'"content"' in line:
                        times.append((time.perf_counter() - started) * 1000)
                        break
    return _percentiles(times)["p50_ms"]


def _traces(db_path: Path) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """message id -> (lane, stages), read straight from the throwaway database."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT message_id, lane, stages FROM pipeline_pipelinetrace")
        return {str(uuid.UUID(m)): (lane, json.loads(stages)) for m, lane, stages in rows}


def ttft_figures(stack: LiveStack, result: LoopResult, raw_ttft: float) -> Figures:
    streamed = [t for t in result.turns if t.first_delta is not None]
    traces = _traces(stack.db_path)
    seen, added, lanes = [], [], Counter()
    for turn in streamed:
        seen_ms = (turn.first_delta - turn.sent) * 1000  # type: ignore[operator]
        seen.append(seen_ms)
        if turn.message_id in traces:
            lane, stages = traces[turn.message_id]
            lanes[lane] += 1
            added.append(seen_ms - _model_ms_before_first_token(stages, raw_ttft))
    return {
        "first_delta_seen_by_customer": _percentiles(seen),
        "fake_server_raw_ttft_ms": raw_ttft,
        "app_added": _percentiles(added),
        "lanes": dict(lanes),
        "without_model_trace": len(streamed) - len(added),
    }


# The section.


async def run_live(params: LiveParams) -> Figures:
    fd_limit = fd_limit_raise()
    with LiveStack() as stack:
        counts = (params.connections, params.chats, params.ttft_chats)
        chats = stack.chats_create(sum(counts))
        held_chats = chats[: counts[0]]
        loop_chats = chats[counts[0] : counts[0] + counts[1]]
        ttft_chats = chats[counts[0] + counts[1] :]
        await closed_loop(stack, loop_chats[:4], 1.0)  # warm-up: imports, caches, pools
        connections = await connections_held(stack, held_chats)
        sustained = await closed_loop(stack, loop_chats, params.seconds)
        raw_ttft = await raw_ttft_ms(stack.fake.base_url, 20)  # type: ignore[union-attr]
        paced = await closed_loop(stack, ttft_chats, params.paced_seconds, params.think_s)
        ttft_paced = ttft_figures(stack, paced, raw_ttft)
        at_200 = await closed_loop(stack, ttft_chats, params.seconds)
        ttft = ttft_figures(stack, at_200, raw_ttft)
    return _report(params, fd_limit, connections, sustained, at_200, ttft, paced, ttft_paced)


def _report(
    params: LiveParams,
    fd_limit: int,
    connections: Figures,
    sustained: LoopResult,
    at_ttft: LoopResult,
    ttft_seen: Figures,
    paced: LoopResult,
    paced_seen: Figures,
) -> Figures:
    loop = _loop_figures(sustained, params.chats)
    ttft = {**ttft_seen, "loop": _loop_figures(at_ttft, params.ttft_chats)}
    ttft_paced = {**paced_seen, "loop": _loop_figures(paced, params.ttft_chats)}
    added = ttft_paced["app_added"]
    return {
        "setup": {
            "server": "one Daphne process, production settings (DEBUG off), pipeline in-process, in-memory channel layer, SQLite",
            "fake_model_server": " ".join(FAKE_ARGS) + " (own process)",
            "messages": list(MESSAGES),
            "seconds_per_loop": params.seconds,
            "ttft_paced": f"{params.ttft_chats} chats, each pausing {params.think_s[0]}-{params.think_s[1]} s "
            f"(uniform) between a reply and its next message, for {params.paced_seconds} s",
            "ttft_saturated": f"{params.ttft_chats} chats sending again the moment a reply ends",
            "fd_limit": fd_limit,
        },
        "connections": connections,
        "sustained": loop,
        "ttft_paced": ttft_paced,
        "ttft_saturated": ttft,
        "targets": {
            "10k_connections_under_60kib": connections["held"] >= 10_000
            and (connections["kib_per_connection"] or 1e9) < 60,
            "200_replies_per_s_zero_lost": loop["replies_per_s"] >= 200 and loop["lost"] == 0,
            "ttft_paced_p50_under_30ms": added["n"] > 0 and added["p50_ms"] < 30,
            "ttft_paced_p99_under_100ms": added["n"] > 0 and added["p99_ms"] < 100,
        },
    }


@register("live", "widget sockets held by one Daphne, sustained replies/s, app-added ttft")
async def live_section(context: BenchContext) -> Figures:
    if context.quick:
        return await run_live(
            LiveParams(connections=1_000, chats=200, seconds=3.0, paced_seconds=6.0)
        )
    return await run_live(LiveParams())
