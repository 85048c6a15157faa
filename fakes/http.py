"""Minimal HTTP/1.1 for the fake model server: keep-alive, Content-Length bodies, chunked SSE.

Only what OpenAI clients send is understood; anything else gets a 400 and the connection closes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Protocol

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Handler(Protocol):
    connections: set[Connection]

    def handle(self, conn: Connection, request: HttpRequest) -> Any: ...


def response_head(status: int, headers: dict[str, str]) -> bytes:
    reason = _REASONS.get(status, "Status")
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps(payload).encode()
    return raw_response(status, body, "application/json", headers)


def raw_response(
    status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> bytes:
    head = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
    return response_head(status, head) + body


def sse_head() -> bytes:
    return response_head(
        200,
        {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
        },
    )


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


class Connection(asyncio.Protocol):
    """One client connection; requests are answered one at a time, in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.buffer = bytearray()
        self.busy = False
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.handler.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.handler.connections.discard(self)
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_HEAD and b"\r\n\r\n" not in self.buffer:
            self.close()
            return
        self._drain()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        if self.task is not None:
            self.task.cancel()

    def _drain(self) -> None:
        while not self.busy and not self.closed.done():
            request = self._parse()
            if request is None:
                return
            pending = self.handler.handle(self, request)
            if pending is not None:
                self.busy = True
                self.task = asyncio.ensure_future(self._finish(pending))

    async def _finish(self, pending: Any) -> None:
        try:
            await pending
        finally:
            self.busy = False
            self.task = None
        self._drain()

    def _parse(self) -> HttpRequest | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end].decode("latin-1").split("\r\n")
        method, path, _ = ([*head[0].split(" "), "", ""])[:3]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        return HttpRequest(method, path.split("?")[0], headers, body)
