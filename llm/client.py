"""The one module that speaks HTTP to model providers (OpenAI Chat Completions protocol).

One pooled httpx.AsyncClient per event loop (in practice one per process: the ASGI server's
loop, or a worker's). Its transport, chosen by `manage.py bench`, is AiohttpTransport below: a
thin httpx transport over one aiohttp ClientSession. It sustains several times httpx's own pool
at 200 concurrent streams, and, being ours, does less per request than httpx-aiohttp (no
per-request timeout object or header re-parsing, whole network reads instead of 16 KB chunks).
Errors leave this module as ProviderError, so the gateway never sees an httpx or aiohttp type.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import orjson
from httpx_aiohttp import AiohttpTransport as HttpxAiohttpTransport
from yarl import URL

from llm.config import TimeoutConfig
from llm.errors import ErrorKind, ProviderError
from llm.protocol import (
    RawCompletion,
    SSEParser,
    StreamEnd,
    StreamText,
    build_body,
    parse_completion,
)
from llm.retry import parse_retry_after
from support_bot.patches.httpx_cookies import ModelHTTPClient

_BODY_SNIPPET = 300


class AiohttpStream(httpx.AsyncByteStream):
    """A response body as aiohttp hands it over: whatever one socket read brought, so a whole
    burst of SSE events arrives as one chunk for the parser to split."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except aiohttp.ServerTimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "read timed out") from exc
        except aiohttp.ClientPayloadError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc)) from exc

    async def aclose(self) -> None:
        # Returns the connection to the pool when the body was read to the end, else closes it.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx requests over one aiohttp ClientSession (created lazily, on the running loop)."""

    def __init__(self, *, max_connections: int, keepalive_expiry: float = 30.0) -> None:
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._urls: dict[str, URL] = {}

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, keepalive_timeout=self.keepalive_expiry
            )
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        """One ClientTimeout per distinct setting, not one per request. aiohttp's `connect`
        covers the wait for a pooled connection plus connecting, as httpx's `pool` does."""
        limits = request.extensions.get("timeout") or {}
        key = (limits.get("connect"), limits.get("read"), limits.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(sock_connect=key[0], sock_read=key[1], connect=key[2])
            self._timeouts[key] = timeout
        return timeout

    def _url(self, request: httpx.Request) -> URL:
        text = str(request.url)
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) > 64:  # one or two endpoints in practice; never grow unbounded
                self._urls.clear()
            url = self._urls[text] = URL(text, encoded=True)
        return url

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = [
            (key.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
            for key, value in request.headers.raw
        ]
        try:
            response = await self._session_now().request(
                request.method,
                self._url(request),
                headers=headers,
                data=request.content or None,
                allow_redirects=False,
                timeout=self._timeout(request),
            )
        except aiohttp.SocketTimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
        except aiohttp.ServerTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=AiohttpStream(response),
            request=request,
            extensions={"reason_phrase": (response.reason or "").encode()},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


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
        self._merged_headers: weakref.WeakKeyDictionary[httpx.AsyncClient, httpx.Headers]
        self._merged_headers = weakref.WeakKeyDictionary()
        self._stream_url = httpx.URL(self.url)  # parsed once, not once per request
        self._stream_timeout = httpx.Timeout(
            connect=timeouts.connect_s,
            read=timeouts.stream_idle_s,
            write=timeouts.read_s,
            pool=timeouts.pool_s,
        ).as_dict()

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
            transport = AiohttpTransport(max_connections=self.pool_size)
        elif transport is None and self.transport_kind == "httpx-aiohttp":
            transport = HttpxAiohttpTransport(limits=limits)  # the previous choice, for the bench
        headers = {"Authorization": f"Bearer {self._api_key}"}
        return ModelHTTPClient(transport=transport, limits=limits, timeout=timeout, headers=headers)

    def _stream_headers(self, http: httpx.AsyncClient) -> httpx.Headers:
        """The client's headers plus the stream's, merged once per client instead of by
        build_request on every call (a third of httpx's cost per request)."""
        headers = self._merged_headers.get(http)
        if headers is None:
            headers = httpx.Headers(http.headers)
            headers.update(_STREAM_HEADERS)
            self._merged_headers[http] = headers
        return headers

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
            _unlink(response)
            if response.status_code != 200:
                raise await self._status_error(response)
        return parse_completion(response.content, str(body.get("model", "")))

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[StreamText | StreamEnd]:
        """A streamed completion: StreamText pieces, then one StreamEnd."""
        async for batch in self.stream_batches(body):
            if isinstance(batch, StreamEnd):
                yield batch
            else:
                for text in batch:
                    yield StreamText(text)

    async def stream_batches(self, body: dict[str, Any]) -> AsyncIterator[list[str] | StreamEnd]:
        """The same stream as `stream`, as the non-empty list of text pieces each network read
        brought, then one StreamEnd: the gateway's hot path, one generator hop per read.

        The time-to-first-token limit covers connecting, the headers and every read up to
        the first content. After that the transport's read timeout, set to stream_idle_s for
        streams, cuts a stream that goes silent: one timer per read in the transport rather
        than a second asyncio timer of our own (measured: it costs ~15% of throughput).
        """
        http = self.http()
        ttft_deadline = asyncio.get_running_loop().time() + self.timeouts.ttft_s
        request = httpx.Request(
            "POST",
            self._stream_url,
            headers=self._stream_headers(http),
            content=orjson.dumps(body),
            extensions={"timeout": self._stream_timeout},
        )
        response = await _within(ttft_deadline, "ttft", http.send(request, stream=True))
        parser = SSEParser()
        try:
            if response.status_code != 200:
                raise await self._status_error(response)
            async for batch in _read_batches(response, parser, ttft_deadline):
                if batch:
                    yield batch
        except ProviderError as error:
            error.received_text = parser.text
            raise
        finally:
            await response.aclose()
            _unlink(response)
        yield parser.end()


def _unlink(response: httpx.Response) -> None:
    """Break the cycle httpx leaves between a response and its stream (Response.stream ->
    BoundAsyncStream -> Response), so a finished request is freed at once by reference
    counting. Left to the cycle collector, ~35 objects a request made it run every dozen
    requests and pause every stream in flight (measured: ~20% of CPU and the whole p99 tail
    at 200 streams). Call only once the body is read or closed."""
    response.stream = _EMPTY_BODY


_EMPTY_BODY = httpx.ByteStream(b"")


_STREAM_HEADERS = {
    "accept": "text/event-stream",
    "accept-encoding": "identity",
    "content-type": "application/json",
}


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


async def _read_batches(
    response: httpx.Response, parser: SSEParser, ttft_deadline: float
) -> AsyncIterator[list[str]]:
    """The text pieces of each network read, as one list."""
    chunks = _body_chunks(response)
    while not parser.got_content and not parser.done:
        try:
            raw = await _within(ttft_deadline, "ttft", anext(chunks))  # type: ignore[arg-type]
        except StopAsyncIteration:
            return
        yield parser.feed(raw)
    with _map_transport_errors(timeout_kind="stall"):
        while not parser.done:
            try:
                raw = await anext(chunks)  # type: ignore[arg-type]
            except StopAsyncIteration:
                return
            yield parser.feed(raw)
    await _drain(chunks)


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """After [DONE] only the end of the chunked body is left, usually already received. Reading
    it puts the connection back in the pool (a body left unread closes it: measured, a fifth of
    the streams at 200 paid a new TCP connection) and ends the body generators here rather than
    in a finalizer task. A server that holds the body open after [DONE] costs _DRAIN_S."""
    try:
        async with asyncio.timeout(_DRAIN_S):
            async for _ in chunks:  # type: ignore[attr-defined]
                pass
    except (TimeoutError, httpx.HTTPError, aiohttp.ClientError, OSError):
        pass  # then the connection is closed instead of reused: nothing the caller must know


_DRAIN_S = 0.05


def _body_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The raw body: we asked for identity encoding, so httpx's decoder chain has nothing to do
    and is skipped (it costs a few generator hops per read). A server that compresses anyway
    still goes through it."""
    if "content-encoding" in response.headers:
        return response.aiter_bytes().__aiter__()
    return response.stream.__aiter__()  # type: ignore[union-attr]


__all__ = [
    "AiohttpTransport",
    "ChatClient",
    "ErrorKind",
    "ModelHTTPClient",
    "ProviderError",
    "RawCompletion",
    "StreamEnd",
    "StreamText",
    "build_body",
]
