"""The `client` section: streamed completions against the fake server, side by side.

Clients: our gateway (httpx + our AiohttpTransport, the production setting), our gateway on
httpx-aiohttp's transport and on httpx's own pool (the alternatives we measured and rejected),
the official openai SDK (default settings, retries off) and raw aiohttp (the practical ceiling).
Each runs 1, 50 and 200 concurrent streams of 20-chunk completions for a fixed time. The fake
server runs in its own process; its CPU use is read from /proc so the report shows it was not
the bottleneck, and its capacity alone (streams per CPU-second) is given too.

The objects alive after start-up (Django, the SDK, aiohttp: ~180k) are frozen out of the cycle
collector before measuring, for every client alike, as a production server should do after
start-up: otherwise one full collection (~85 ms on this machine) landing in a 3-second window
decides a client's p99. Collector runs and pauses are reported per level.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any

import aiohttp
from openai import AsyncOpenAI

from bench.registry import BenchContext, Figures, register
from fakes.llm_server import start_in_subprocess
from llm.config import GatewayConfig
from llm.gateway import Gateway
from llm.types import ChatRequest, Delta, Done

MODEL = "bench-model"
# The echo responder answers "[model] You said: <text>": 3 + 17 words = 20 chunks.
PROMPT = " ".join(f"word{i}" for i in range(17))
MESSAGES = ({"role": "user", "content": PROMPT},)
LEVELS = (1, 50, 200)
KEY = "sk-bench-local"

StreamOnce = Callable[[], Awaitable[int]]  # returns chunks received


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _server_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(once: StreamOnce, concurrency: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                chunks = await once()
                if chunks < 20:
                    errors["short"] = errors.get("short", 0) + 1
            except Exception as error:  # a benchmark counts failures, it does not stop on them
                name = type(error).__name__
                errors[name] = errors.get(name, 0) + 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return {
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "completed": len(latencies),
        "errors": errors,
    }


class PoolTimeout(Exception):
    """The gateway waited too long for a pooled connection (the target is zero of these)."""


def _gateway(base_url: str, transport: str) -> tuple[StreamOnce, Callable[[], Awaitable[Any]]]:
    config = replace(GatewayConfig(base_url=base_url, api_key=KEY), transport=transport)
    gateway = Gateway(config)
    request = ChatRequest(stage="intent", messages=MESSAGES, max_tokens=64)

    async def once() -> int:
        chunks = 0
        async for event in gateway.stream(request, offline=lambda r: ""):
            if isinstance(event, Delta):
                chunks += 1
            elif isinstance(event, Done) and event.completion.offline:
                errors = [c.error or "" for c in event.completion.calls]
                if any(error.startswith("pool") for error in errors):
                    raise PoolTimeout()
                raise RuntimeError("; ".join(errors)[:200])
        return chunks

    return once, gateway.aclose


def _sdk(base_url: str) -> tuple[StreamOnce, Callable[[], Awaitable[Any]]]:
    sdk = AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)

    async def once() -> int:
        stream = await sdk.chat.completions.create(
            model=MODEL,
            messages=list(MESSAGES),  # type: ignore[arg-type]
            max_tokens=64,
            stream=True,
            stream_options={"include_usage": True},
        )
        return len([e async for e in stream if e.choices and e.choices[0].delta.content])

    return once, sdk.close


def _raw_aiohttp(
    base_url: str, parse_json: bool = False
) -> tuple[StreamOnce, Callable[[], Awaitable[Any]]]:
    """aiohttp with nothing on top. parse_json=True decodes each event as any client of the
    protocol must (to get the text out); False only counts bytes: the absolute ceiling."""
    session: aiohttp.ClientSession | None = None
    url = f"{base_url}/chat/completions"
    body = json.dumps(
        {"model": MODEL, "messages": list(MESSAGES), "max_tokens": 64, "stream": True}
    ).encode()
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

    async def once() -> int:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        chunks = 0
        async with session.post(url, data=body, headers=headers) as response:
            async for line in response.content:
                if not line.startswith(b"data: {"):
                    continue
                if parse_json:
                    choices = json.loads(line[6:])["choices"]
                    chunks += bool(choices and choices[0]["delta"].get("content"))
                else:
                    chunks += b'"content"' in line
        return chunks

    async def close() -> None:
        if session is not None:
            await session.close()

    return once, close


OURS = "gateway (httpx + aiohttp transport)"
CEILING = "raw aiohttp + JSON (protocol ceiling)"
CLIENTS: dict[str, Callable[[str], tuple[StreamOnce, Callable[[], Awaitable[Any]]]]] = {
    OURS: lambda url: _gateway(url, "aiohttp"),
    "gateway (httpx-aiohttp transport)": lambda url: _gateway(url, "httpx-aiohttp"),
    "gateway (httpx default pool)": lambda url: _gateway(url, "httpx"),
    "openai SDK": _sdk,
    CEILING: lambda url: _raw_aiohttp(url, parse_json=True),
    "raw aiohttp, bytes only": _raw_aiohttp,
}


async def _measure_client(
    name: str, base_url: str, levels: tuple[int, ...], seconds: float, pid: int
) -> dict[str, Any]:
    once, close = CLIENTS[name](base_url)
    results: dict[str, Any] = {}
    try:
        await _drive(once, 8, min(0.3, seconds))  # warm-up: connections, imports, caches
        for level in levels:
            cpu_before = _server_cpu_s(pid)
            with _CollectorWatch() as collector:
                figures = await _drive(once, level, seconds)
            busy = (_server_cpu_s(pid) - cpu_before) / seconds
            figures["server_cpu_busy"] = round(busy, 2)
            figures["gc"] = collector.figures()
            results[str(level)] = figures
    finally:
        with suppress(Exception):
            await close()
    return results


class _CollectorWatch:
    """Counts the cycle collector's runs (per generation) and pauses while it is open."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.paused_s = 0.0
        self.longest_s = 0.0
        self._started = 0.0

    def __enter__(self) -> _CollectorWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        self.runs[info["generation"]] += 1
        self.paused_s += pause
        self.longest_s = max(self.longest_s, pause)

    def figures(self) -> dict[str, Any]:
        return {
            "runs_by_generation": self.runs,
            "pause_ms": round(self.paused_s * 1000, 1),
            "longest_pause_ms": round(self.longest_s * 1000, 1),
        }


async def _server_alone(base_url: str, pid: int, seconds: float) -> dict[str, Any]:
    """Server CPU-seconds per stream under raw aiohttp load -> its capacity per core."""
    once, close = _raw_aiohttp(base_url)
    try:
        await _drive(once, 200, 0.2)
        cpu_before = _server_cpu_s(pid)
        figures = await _drive(once, 200, seconds)
        cpu = _server_cpu_s(pid) - cpu_before
    finally:
        await close()
    served = figures["completed"]
    return {
        "streams_per_cpu_s": round(served / cpu, 0) if cpu else None,
        "cpu_ms_per_stream": round(cpu * 1000 / served, 3) if served else None,
    }


def _verdict(results: dict[str, Any]) -> dict[str, Any]:
    top = str(max(LEVELS))
    ours = results[OURS][top]
    sdk = results["openai SDK"][top]["requests_per_s"] or 1.0
    ceiling = results[CEILING][top]["requests_per_s"] or 1.0
    raw = results["raw aiohttp, bytes only"][top]["requests_per_s"] or 1.0
    return {
        "requests_per_s": ours["requests_per_s"],
        "x_sdk_throughput": round(ours["requests_per_s"] / sdk, 2),
        "share_of_protocol_ceiling": round(ours["requests_per_s"] / ceiling, 2),
        "share_of_raw_bytes_only": round(ours["requests_per_s"] / raw, 2),
        "p99_ms": ours["p99_ms"],
        "pool_timeouts": ours["errors"].get("PoolTimeout", 0),
        "errors": sum(ours["errors"].values()),
        "targets": {
            "zero_pool_timeouts": not ours["errors"].get("PoolTimeout"),
            "x5_sdk": ours["requests_per_s"] >= 5 * sdk,
            "60pct_of_ceiling": ours["requests_per_s"] >= 0.6 * ceiling,
            "p99_under_150ms": ours["p99_ms"] < 150,
        },
    }


@register("client", "model client: streams/s and added latency vs the openai SDK and aiohttp")
async def client_section(context: BenchContext) -> Figures:
    seconds = 0.4 if context.quick else 3.0
    # The SDK's HTTP library logs every request at INFO: that would measure the console.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    server = start_in_subprocess()
    pid = server.process.pid
    gc.collect()
    gc.freeze()  # see the module docstring
    try:
        results = {
            name: await _measure_client(name, server.base_url, LEVELS, seconds, pid)
            for name in CLIENTS
        }
        alone = await _server_alone(server.base_url, pid, seconds)
    finally:
        server.stop()
        gc.unfreeze()
    return {
        "setup": {
            "chunks_per_stream": 20,
            "seconds_per_level": seconds,
            "server": "fakes.llm_server in a separate process, no pacing",
            "gc": "start-up objects frozen (gc.freeze) before measuring, for every client",
        },
        "clients": results,
        "fake_server": alone,
        "at_200_streams": _verdict(results),
    }
