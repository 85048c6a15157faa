"""The one module that speaks HTTP to model providers (OpenAI Chat Completions protocol).

One pooled httpx.AsyncClient per event loop (in practice one per process: the ASGI server's
loop, or a worker's), with the transport chosen by `manage.py bench`: httpx-aiohttp's
AiohttpTransport sustains several times httpx's own pool at 200 concurrent streams (see
bench/client.py and the figures in the issue). Errors leave this module as ProviderError, so the
gateway never sees an httpx or aiohttp type.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from llm.config import TimeoutConfig
from llm.retry import parse_retry_after, status_is_retryable
from llm.types import Usage

ErrorKind = Literal["status", "timeout", "pool", "network", "protocol", "ttft", "stall", "cut"]
_BODY_SNIPPET = 300


class ProviderError(Exception):
    """A failed call, classified for the retry policy and the breaker. Never holds the key."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        received_text: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after_s
        self.received_text = received_text  # what a cut stream had delivered

    @property
    def retryable(self) -> bool:
        if self.kind == "status":
            return self.status is not None and status_is_retryable(self.status)
        return True

    @property
    def counts_against_model(self) -> bool:
        """Our own pool running dry or a 4xx about our request says nothing about the model."""
        if self.kind == "pool":
            return False
        return not (self.kind == "status" and self.status in {400, 413, 422})

    def __str__(self) -> str:
        code = f" {self.status}" if self.status else ""
        return f"{self.kind}{code}: {self.args[0]}"


@dataclass(frozen=True)
class RawCompletion:
    text: str
    finish_reason: str
    usage: Usage | None  # None when the server sent no usage block
    model: str


@dataclass(frozen=True)
class StreamText:
    text: str


@dataclass(frozen=True)
class StreamEnd:
    finish_reason: str
    usage: Usage | None
    model: str


def build_body(
    *,
    model: str,
    messages: list[dict[str, str]] | tuple[dict[str, str], ...],
    max_tokens: int | None,
    temperature: float | None,
    json_mode: bool,
    stream: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": list(messages)}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if temperature is not None:
        body["temperature"] = temperature
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def parse_usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    details = raw.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
        reasoning_tokens=int(details.get("reasoning_tokens") or 0),
    )


class ChatClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeouts: TimeoutConfig,
        pool_size: int = 256,
        transport_kind: str = "aiohttp",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/chat/completions"
        self._api_key = api_key
        self.timeouts = timeouts
        self.pool_size = pool_size
        self.transport_kind = transport_kind
        self._transport = transport
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()
        self._stream_timeout = httpx.Timeout(
            connect=timeouts.connect_s,
            read=timeouts.stream_idle_s,
            write=timeouts.read_s,
            pool=timeouts.pool_s,
        )

    def __repr__(self) -> str:
        return f"ChatClient(url={self.url!r}, transport={self.transport_kind!r})"

    def _build_http(self) -> httpx.AsyncClient:
        t = self.timeouts
        timeout = httpx.Timeout(connect=t.connect_s, read=t.read_s, write=t.read_s, pool=t.pool_s)
        limits = httpx.Limits(
            max_connections=self.pool_size,
            max_keepalive_connections=self.pool_size,
            keepalive_expiry=30.0,
        )
        transport = self._transport
        if transport is None and self.transport_kind == "aiohttp":
            transport = AiohttpTransport(limits=limits)
        headers = {"Authorization": f"Bearer {self._api_key}"}
        return httpx.AsyncClient(
            transport=transport, limits=limits, timeout=timeout, headers=headers
        )

    def http(self) -> httpx.AsyncClient:
        """The pooled client of the running loop (a pool cannot be shared across loops)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._build_http()
        return client

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    async def _status_error(self, response: httpx.Response) -> ProviderError:
        try:
            body = (await response.aread()).decode("utf-8", "replace")
        except (httpx.HTTPError, aiohttp.ClientError, OSError):
            body = ""
        try:
            message = json.loads(body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = body
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is None and "retry-after-ms" in response.headers:
            retry_after = (parse_retry_after(response.headers["retry-after-ms"]) or 0) / 1000
        return ProviderError(
            "status",
            self._redact(str(message))[:_BODY_SNIPPET] or response.reason_phrase,
            status=response.status_code,
            retry_after_s=retry_after,
        )

    async def complete(self, body: dict[str, Any]) -> RawCompletion:
        """A plain (non-streamed) completion."""
        with _map_transport_errors():
            response = await self.http().post(self.url, json=body)
            if response.status_code != 200:
                raise await self._status_error(response)
        return _parse_completion(response.content, str(body.get("model", "")))

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[StreamText | StreamEnd]:
        """A streamed completion: StreamText pieces, then one StreamEnd.

        The time-to-first-token limit covers connecting, the headers and every read up to
        the first content. After that the transport's read timeout, set to stream_idle_s for
        streams, cuts a stream that goes silent: one timer per read in the transport rather
        than a second asyncio timer of our own (measured: it costs ~15% of throughput).
        """
        http = self.http()
        ttft_deadline = asyncio.get_running_loop().time() + self.timeouts.ttft_s
        request = http.build_request(
            "POST", self.url, json=body, headers=_STREAM_HEADERS, timeout=self._stream_timeout
        )
        response = await _within(ttft_deadline, "ttft", http.send(request, stream=True))
        try:
            if response.status_code != 200:
                raise await self._status_error(response)
            async for item in _read_stream(response, ttft_deadline):
                yield item
        finally:
            await response.aclose()


_STREAM_HEADERS = {"accept": "text/event-stream", "accept-encoding": "identity"}


class _map_transport_errors:
    """Context manager turning transport exceptions into ProviderError."""

    def __init__(self, timeout_kind: ErrorKind = "timeout") -> None:
        self.timeout_kind = timeout_kind

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, ProviderError):
            return False
        if isinstance(exc, httpx.PoolTimeout):
            raise ProviderError("pool", "no free connection in the pool") from exc
        if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError):
            raise ProviderError(self.timeout_kind, type(exc).__name__) from exc
        if isinstance(exc, httpx.HTTPError | aiohttp.ClientError | OSError):
            raise ProviderError("network", f"{type(exc).__name__}: {exc}"[:200]) from exc
        return False


async def _within(deadline: float, kind: ErrorKind, awaitable: Any) -> Any:
    with _map_transport_errors():
        try:
            async with asyncio.timeout_at(deadline):
                return await awaitable
        except TimeoutError:
            raise ProviderError(kind, f"no data within the {kind} limit") from None


async def _read_stream(
    response: httpx.Response, ttft_deadline: float
) -> AsyncIterator[StreamText | StreamEnd]:
    chunks = response.aiter_bytes().__aiter__()
    parser = _SSEParser()
    try:
        while not parser.got_content and not parser.done:
            try:
                raw = await _within(ttft_deadline, "ttft", anext(chunks))  # type: ignore[arg-type]
            except StopAsyncIteration:
                break
            for item in parser.feed(raw):
                yield item
        with _map_transport_errors(timeout_kind="stall"):
            while not parser.done:
                try:
                    raw = await anext(chunks)  # type: ignore[arg-type]
                except StopAsyncIteration:
                    break
                for item in parser.feed(raw):
                    yield item
    except ProviderError as error:
        error.received_text = parser.text
        raise
    yield parser.end()


class _SSEParser:
    """Server-sent events from an OpenAI-compatible stream, one `data:` line per event."""

    def __init__(self) -> None:
        self.buffer = b""
        self.pieces: list[str] = []
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.model = ""
        self.done = False
        self.got_content = False

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def feed(self, raw: bytes) -> list[StreamText]:
        self.buffer += raw
        *lines, self.buffer = self.buffer.split(b"\n")
        out: list[StreamText] = []
        for line in lines:
            if not line.startswith(b"data:"):
                continue  # blank separators, comments (keep-alive pings), event names
            data = line[5:].strip()
            if data == b"[DONE]":
                self.done = True
                break
            piece = self._event(data)
            if piece:
                self.got_content = True
                self.pieces.append(piece)
                out.append(StreamText(piece))
        return out

    def _event(self, data: bytes) -> str:
        try:
            event = json.loads(data)
        except ValueError:
            raise ProviderError(
                "protocol", "malformed JSON in stream", received_text=self.text
            ) from None
        if not isinstance(event, dict):
            raise ProviderError("protocol", "stream event is not an object")
        if "error" in event:
            message = str((event.get("error") or {}).get("message", "error event"))[:200]
            raise ProviderError("status", message, status=502, received_text=self.text)
        self.model = event.get("model") or self.model
        self.usage = parse_usage(event.get("usage")) or self.usage
        choices = event.get("choices") or []
        if not choices:
            return ""
        choice = choices[0]
        self.finish_reason = choice.get("finish_reason") or self.finish_reason
        return (choice.get("delta") or {}).get("content") or ""

    def end(self) -> StreamEnd:
        if self.finish_reason is None:
            raise ProviderError(
                "cut", "stream ended before a finish_reason", received_text=self.text
            )
        return StreamEnd(self.finish_reason, self.usage, self.model)


def _parse_completion(content: bytes, requested_model: str) -> RawCompletion:
    try:
        data = json.loads(content)
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ProviderError("protocol", "malformed completion body") from None
    return RawCompletion(
        text=text,
        finish_reason=choice.get("finish_reason") or "stop",
        usage=parse_usage(data.get("usage")),
        model=data.get("model") or requested_model,
    )
