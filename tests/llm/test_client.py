"""The HTTP client alone, on httpx.MockTransport: request shape, parsing, error mapping."""

from __future__ import annotations

import asyncio
import gc
import json
import uuid

import httpx
import pytest
from django.core.cache.backends.locmem import LocMemCache

from llm.client import ChatClient, ProviderError, StreamEnd, StreamText, build_body
from llm.gateway import Gateway
from tests.llm.conftest import FAST_TIMEOUTS, TEST_KEY, ask, offline_answer, test_config

URL = "http://models.test/v1"


def client_for(handler) -> ChatClient:
    return ChatClient(
        base_url=URL,
        api_key=TEST_KEY,
        timeouts=FAST_TIMEOUTS,
        transport=httpx.MockTransport(handler),
    )


def sse(*events: object) -> bytes:
    lines = [f"data: {json.dumps(e) if not isinstance(e, str) else e}\n\n" for e in events]
    return "".join(lines).encode()


def chunk(content: str | None = None, finish: str | None = None, usage=None) -> dict:
    delta = {} if content is None else {"content": content}
    choices = [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"model": "m", "choices": choices, "usage": usage}


def test_request_body_follows_the_protocol():
    body = build_body(
        model="m",
        messages=({"role": "user", "content": "hi"},),
        max_tokens=10,
        temperature=0.2,
        json_mode=True,
        stream=True,
    )
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 10,
        "temperature": 0.2,
        "response_format": {"type": "json_object"},
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_plain_completion_sends_the_key_and_parses_usage():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "model": "m-2025",
                "choices": [
                    {"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": 5,
                    "completion_tokens": 9,
                    "completion_tokens_details": {"reasoning_tokens": 7},
                },
            },
        )

    client = client_for(handler)
    raw = await client.complete({"model": "m", "messages": []})
    assert (raw.text, raw.finish_reason, raw.model) == ("hi", "stop", "m-2025")
    assert (raw.usage.prompt_tokens, raw.usage.completion_tokens, raw.usage.reasoning_tokens) == (
        5,
        9,
        7,
    )
    assert seen[0].url == f"{URL}/chat/completions"
    assert seen[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    await client.aclose()


async def test_stream_events_split_across_network_chunks_are_reassembled():
    body = sse(
        chunk("Hel"),
        chunk("lo"),
        chunk(finish="stop"),
        chunk(usage={"prompt_tokens": 3, "completion_tokens": 2}),
        "[DONE]",
    )

    async def pieces():
        for i in range(0, len(body), 7):  # cut everywhere, even inside "data:"
            yield body[i : i + 7]

    client = client_for(lambda request: httpx.Response(200, content=pieces()))
    items = [item async for item in client.stream({"model": "m"})]
    assert [i.text for i in items if isinstance(i, StreamText)] == ["Hel", "lo"]
    end = items[-1]
    assert (
        isinstance(end, StreamEnd) and end.finish_reason == "stop" and end.usage.total_tokens == 5
    )


async def test_comments_and_role_only_chunks_are_ignored():
    body = b": keep-alive\n\n" + sse(
        {"choices": [{"delta": {"role": "assistant"}}]},
        chunk("ok"),
        chunk(finish="length"),
        "[DONE]",
    )
    client = client_for(lambda request: httpx.Response(200, content=body))
    items = [item async for item in client.stream({"model": "m"})]
    assert [type(i).__name__ for i in items] == ["StreamText", "StreamEnd"]
    assert items[-1].finish_reason == "length" and items[-1].usage is None


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (sse(chunk("a"), "{oops"), "protocol"),
        (sse(chunk("a"), {"error": {"message": "overloaded"}}), "status"),
        (sse(chunk("a")), "cut"),  # the connection ended with no finish_reason
    ],
)
async def test_broken_streams_raise_classified_errors(body, kind):
    client = client_for(lambda request: httpx.Response(200, content=body))
    with pytest.raises(ProviderError) as caught:
        [item async for item in client.stream({"model": "m"})]
    assert caught.value.kind == kind and caught.value.retryable


async def test_status_errors_carry_retry_after_and_redact_the_key():
    def handler(request: httpx.Request) -> httpx.Response:
        message = f"key {TEST_KEY} is rate limited"
        return httpx.Response(
            429, headers={"retry-after-ms": "1500"}, json={"error": {"message": message}}
        )

    with pytest.raises(ProviderError) as caught:
        await client_for(handler).complete({"model": "m"})
    error = caught.value
    assert (error.status, error.retry_after_s, error.retryable) == (429, 1.5, True)
    assert TEST_KEY not in str(error) and "***" in str(error)


async def test_connection_errors_are_retryable_network_errors():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ProviderError) as caught:
        await client_for(handler).complete({"model": "m"})
    assert caught.value.kind == "network" and caught.value.retryable


async def test_gateway_on_a_mock_transport_stops_retrying_on_401():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        model = json.loads(request.content)["model"]
        calls.append(model)
        return httpx.Response(401, json={"error": {"message": "bad key"}})

    gateway = Gateway(
        test_config(URL, fallback_models=("backup",)),
        transport=httpx.MockTransport(handler),
        cache=LocMemCache(f"c-{uuid.uuid4()}", {}),
    )
    completion = await gateway.complete(ask(), offline=offline_answer)
    assert calls == ["claude-sonnet-4.5", "backup"]  # one attempt each, then offline
    assert completion.degraded and completion.text == "offline answer for empathy"
    await gateway.aclose()


async def test_events_with_crlf_and_no_space_after_data_are_read():
    body = (
        b'data:{"model":"m","choices":[{"delta":{"content":"a"}}]}\r\n\r\n'
        b'data: {"model":"m","choices":[{"delta":{"content":"b"},"finish_reason":"stop"}]}  \r\n'
        b"\r\n: ping\r\ndata: [DONE]  \r\n\r\n"
    )
    client = client_for(lambda request: httpx.Response(200, content=body))
    items = [item async for item in client.stream({"model": "m"})]
    assert [i.text for i in items if isinstance(i, StreamText)] == ["a", "b"]
    assert items[-1] == StreamEnd("stop", None, "m")


async def test_batches_carry_every_piece_of_a_read_in_order():
    body = sse(chunk("a"), chunk(""), chunk("b"), chunk(finish="stop"), "[DONE]")
    client = client_for(lambda request: httpx.Response(200, content=body))
    batches = [batch async for batch in client.stream_batches({"model": "m"})]
    assert batches == [["a", "b"], StreamEnd("stop", None, "m")]


async def test_the_client_sends_given_cookies_but_keeps_none_from_responses():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"set-cookie": "session=abc"}, content=sse("[DONE]"))

    client = client_for(handler)
    with pytest.raises(ProviderError):  # no finish_reason: a cut stream
        [item async for item in client.stream({"model": "m"})]
    assert not client.http().cookies
    await client.aclose()


async def test_a_finished_stream_leaves_no_reference_cycle(fake_server):
    """httpx links a response and its stream both ways; left to the cycle collector, that
    made it run every few requests under load and pause every stream in flight."""
    client = ChatClient(base_url=fake_server.base_url, api_key=TEST_KEY, timeouts=FAST_TIMEOUTS)
    body = build_body(
        model="m", messages=[], max_tokens=8, temperature=None, json_mode=False, stream=True
    )
    [item async for item in client.stream(body)]  # warm: the pool's own objects are long-lived
    gc.collect()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        for _ in range(3):
            [item async for item in client.stream(body)]
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, httpx.Response | httpx.Request)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert leaked == []
    await client.aclose()


async def test_sequential_streams_reuse_one_pooled_connection(fake_server):
    """Reading the body to its end after [DONE] returns the connection to the pool."""
    client = ChatClient(base_url=fake_server.base_url, api_key=TEST_KEY, timeouts=FAST_TIMEOUTS)
    body = build_body(
        model="m", messages=[], max_tokens=8, temperature=None, json_mode=False, stream=True
    )
    seen: set[int] = set()
    for _ in range(5):
        items = [item async for item in client.stream(body)]
        assert isinstance(items[-1], StreamEnd) and items[-1].finish_reason == "stop"
        seen.update(id(conn) for conn in fake_server.connections)
    assert len(seen) == 1
    await client.aclose()


async def test_the_body_is_read_to_its_end_after_done_so_the_connection_can_be_reused():
    finished: list[bool] = []

    async def body():
        yield sse(chunk("a", finish="stop"), "[DONE]")
        await asyncio.sleep(0.01)  # the end of the chunked body comes in a later packet
        yield b""
        finished.append(True)

    client = client_for(lambda request: httpx.Response(200, content=body()))
    items = [item async for item in client.stream({"model": "m"})]
    assert isinstance(items[-1], StreamEnd) and finished == [True]
