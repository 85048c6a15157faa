"""A fake OpenAI-compatible model server for development, tests and benchmarks.

Endpoints: POST /v1/chat/completions (plain, or SSE with `stream`, usage in the last chunk when
stream_options.include_usage), GET /v1/models, and for tests POST /_control (faults, timing,
reset) and GET /_stats (per-model request counts, arrival times, last request body).

Written on a raw asyncio.Protocol rather than aiohttp.web: the server must never be the
bottleneck of the client benchmark, and an answer that needs no delay is written in one
transport.write() without a task, a router or a request object (see bench `fake_server`).
Django-free, so `python -m fakes.llm_server` can run it in a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakes.faults import FaultSchedule, parse_cli_fault
from fakes.http import Connection, HttpRequest, json_response, sse_head
from fakes.replies import ReplyPlan, plan_reply
from fakes.responder import echo_responder
from fakes.responder import respond as pipeline_respond

Responder = Callable[[dict[str, Any]], str]


# --responder NAME: "pipeline" answers the stages' prompts like a well-behaved model.
RESPONDERS: dict[str, Responder] = {"pipeline": pipeline_respond, "echo": echo_responder}


@dataclass
class FakeOptions:
    ttft_ms: float = 0.0
    tokens_per_s: float = 0.0  # 0: every token at once
    responder: Responder = echo_responder
    api_key: str | None = None  # when set, other keys get 401
    reasoning_tokens: int = 0  # reported in usage.completion_tokens_details
    faults: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ModelStats:
    count: int = 0
    times: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    faults: list[str] = field(default_factory=list)
    last_request: dict[str, Any] | None = None


class FakeLLMServer:
    def __init__(self, options: FakeOptions | None = None) -> None:
        self.options = options or FakeOptions()
        self.initial = FakeOptions(**vars(self.options))
        self.schedule = FaultSchedule()
        for model, specs in self.options.faults.items():
            self.schedule.set(model, specs)
        self.stats: dict[str, ModelStats] = defaultdict(ModelStats)
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), host, port, reuse_address=True, backlog=4096
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.abort()
        if self._server is not None:
            await self._server.wait_closed()

    # -- routing (called by Connection for each parsed request) --

    def handle(self, conn: Connection, request: HttpRequest) -> Any:
        """Answer now (return None) or return a coroutine for answers that take time."""
        route = (request.method, request.path)
        if route == ("POST", "/v1/chat/completions"):
            return self._chat(conn, request)
        if route == ("POST", "/v1/embeddings"):
            return self._embeddings(conn, request)
        if route == ("GET", "/v1/models"):
            return conn.write(json_response(200, self._models()))
        if route == ("GET", "/_stats"):
            return conn.write(json_response(200, self.stats_json()))
        if route == ("POST", "/_control"):
            return conn.write(json_response(200, self.control(json.loads(request.body or b"{}"))))
        return conn.write(json_response(404, _error("not found", "invalid_request_error")))

    def _chat(self, conn: Connection, request: HttpRequest) -> Any:
        if self.options.api_key and request.headers.get("authorization") != (
            f"Bearer {self.options.api_key}"
        ):
            return conn.write(json_response(401, _error("invalid api key", "invalid_api_key")))
        try:
            body = json.loads(request.body)
            model = str(body["model"])
        except (ValueError, KeyError, TypeError):
            return conn.write(json_response(400, _error("invalid JSON body", "invalid_request")))
        fault = self.schedule.next_for(model)
        self._count(model, body, fault)
        plan = plan_reply(body, self.options, fault)
        if plan.status is not None:
            return conn.write(json_response(plan.status, plan.error_body(), plan.headers))
        if plan.immediate:
            return conn.write(plan.full_response())
        return self._slow(conn, plan)

    def _embeddings(self, conn: Connection, request: HttpRequest) -> Any:
        """Bag-of-words vectors (each word hashed to one of EMBEDDING_DIMS): deterministic and
        close for texts sharing words, which is all a test of the plumbing needs."""
        try:
            body = json.loads(request.body)
            model = str(body["model"])
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        except (ValueError, KeyError, TypeError):
            return conn.write(json_response(400, _error("invalid JSON body", "invalid_request")))
        self._count(model, body, None)
        data = [
            {"object": "embedding", "index": i, "embedding": bag_of_words(str(text))}
            for i, text in enumerate(texts)
        ]
        usage = {"prompt_tokens": sum(len(str(t).split()) for t in texts)}
        usage["total_tokens"] = usage["prompt_tokens"]
        payload = {"object": "list", "model": model, "data": data, "usage": usage}
        return conn.write(json_response(200, payload))

    async def _slow(self, conn: Connection, plan: ReplyPlan) -> None:
        if plan.hang_before_head:
            await conn.closed
            return
        if plan.ttft_s:
            await asyncio.sleep(plan.ttft_s)
        if not plan.stream:
            conn.write(plan.full_response())
            if plan.cut_plain:
                conn.close()
            return
        conn.write(sse_head())
        for index, frame in enumerate(plan.frames()):
            if plan.stall_at == index:
                await conn.closed
                return
            if plan.cut_at == index:
                conn.close()
                return
            conn.write(frame)
            if plan.interval_s and index < len(plan.pieces):
                await asyncio.sleep(plan.interval_s)

    def _count(self, model: str, body: dict[str, Any], fault: Any) -> None:
        stats = self.stats[model]
        stats.count += 1
        stats.times.append(time.monotonic())
        stats.faults.append(str(fault) if fault else "ok")
        stats.last_request = body

    def _models(self) -> dict[str, Any]:
        names = sorted({*self.stats, "gemini-2.5-flash", "deepseek-v3.2", "gpt-4.1"})
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]
        return {"object": "list", "data": data}

    # -- test control --

    def control(self, command: dict[str, Any]) -> dict[str, Any]:
        if command.get("reset"):
            self.options = FakeOptions(**vars(self.initial))
            self.schedule.clear()
            self.stats.clear()
        if command.get("clear_faults"):
            self.schedule.clear()
        if command.get("reset_stats"):
            self.stats.clear()
        for model, specs in (command.get("faults") or {}).items():
            self.schedule.set(model, specs)
        for key in ("ttft_ms", "tokens_per_s", "reasoning_tokens"):
            if key in command:
                setattr(self.options, key, command[key])
        return {"ok": True, "faults": self.schedule.describe()}

    def stats_json(self) -> dict[str, Any]:
        models = {
            name: {
                "count": s.count,
                "times": list(s.times),
                "faults": s.faults[-100:],
                "last_request": s.last_request,
            }
            for name, s in self.stats.items()
        }
        return {"total": sum(s.count for s in self.stats.values()), "models": models}


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "code": code}}


EMBEDDING_DIMS = 64


def bag_of_words(text: str) -> list[float]:
    vector = [0.0] * EMBEDDING_DIMS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        vector[zlib.crc32(word.encode()) % EMBEDDING_DIMS] += 1.0
    return vector


@asynccontextmanager
async def running_fake_server(
    port: int = 0, host: str = "127.0.0.1", **options: Any
) -> AsyncIterator[FakeLLMServer]:
    """`async with running_fake_server(ttft_ms=5) as server: server.base_url` (same loop)."""
    server = FakeLLMServer(FakeOptions(**options))
    await server.start(host, port)
    try:
        yield server
    finally:
        await server.close()


class ThreadedFakeServer:
    """A fake server on its own loop in a daemon thread, for sync tests and scripts."""

    def __init__(self, port: int = 0, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = FakeLLMServer(FakeOptions(**options))
        started = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(port, started), name="fake-llm", daemon=True
        )
        self.thread.start()
        started.wait(10)

    def _run(self, port: int, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start("127.0.0.1", port))
        started.set()
        self.loop.run_forever()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def _call(self, fn: Callable[[], Any]) -> Any:
        async def call() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(10)

    def control(self, **command: Any) -> dict[str, Any]:
        return self._call(lambda: self.server.control(command))

    def stats(self) -> dict[str, Any]:
        return self._call(self.server.stats_json)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def start_in_thread(port: int = 0, **options: Any) -> ThreadedFakeServer:
    return ThreadedFakeServer(port, **options)


class SubprocessFakeServer:
    """The fake server in another process, so it does not share a GIL with a benchmark."""

    def __init__(self, args: list[str]) -> None:
        command = [sys.executable, "-m", "fakes.llm_server", "--port", "0", *args]
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.base_url = line.rsplit(" ", 1)[1].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_in_subprocess(*args: str) -> SubprocessFakeServer:
    """`start_in_subprocess("--ttft-ms", "5")`: CLI options as for `manage.py fake_llm`."""
    return SubprocessFakeServer(list(args))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ttft-ms", type=float, default=0.0)
    parser.add_argument("--tokens-per-s", type=float, default=0.0, help="0: no pacing")
    parser.add_argument("--responder", choices=sorted(RESPONDERS), default="pipeline")
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="[MODEL=]SPEC[,SPEC]",
        help="e.g. --fault gpt-4.1=503,503,ok or --fault '429:2*' (see fakes/faults.py)",
    )


def options_from_args(args: argparse.Namespace) -> FakeOptions:
    faults: dict[str, list[str]] = {}
    for raw in args.fault:
        model, specs = parse_cli_fault(raw)
        faults[model] = [str(f) for f in specs]
    return FakeOptions(
        ttft_ms=args.ttft_ms,
        tokens_per_s=args.tokens_per_s,
        responder=RESPONDERS[args.responder],
        api_key=args.api_key,
        faults=faults,
    )


async def serve_forever(options: FakeOptions, host: str, port: int, announce: Any = print) -> None:
    server = FakeLLMServer(options)
    await server.start(host, port)
    announce(f"fake LLM server listening on http://{host}:{server.port}/v1", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fakes.llm_server")
    add_arguments(parser)
    args = parser.parse_args(argv)
    with suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(options_from_args(args), args.host, args.port))


if __name__ == "__main__":
    main()
