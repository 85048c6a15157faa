"""Our client and the official openai SDK, pointed at the same fake server, see the same
answers: text, stream pieces, finish_reason and usage, plain, streamed and in JSON mode."""

from __future__ import annotations

import json

import pytest
from openai import AsyncOpenAI

from llm.client import ChatClient, StreamText, build_body
from tests.llm.conftest import FAST_TIMEOUTS, TEST_KEY

CASES = [
    dict(model="gpt-4.1", messages=[{"role": "user", "content": "Where is order #4521?"}]),
    dict(
        model="gemini-2.5-flash",
        messages=[
            {"role": "system", "content": "Classify."},
            {"role": "user", "content": "refund please"},
        ],
        json_mode=True,
    ),
    dict(
        model="deepseek-v3.2", messages=[{"role": "user", "content": "a b c d e f"}], max_tokens=3
    ),
]


@pytest.fixture
async def clients(fake_server):
    fake_server.options.reasoning_tokens = 4
    ours = ChatClient(base_url=fake_server.base_url, api_key=TEST_KEY, timeouts=FAST_TIMEOUTS)
    sdk = AsyncOpenAI(base_url=fake_server.base_url, api_key=TEST_KEY, max_retries=0)
    yield ours, sdk
    await ours.aclose()
    await sdk.close()


def sdk_args(case: dict) -> dict:
    args = {"model": case["model"], "messages": case["messages"], "temperature": 0.3}
    if case.get("max_tokens"):
        args["max_tokens"] = case["max_tokens"]
    if case.get("json_mode"):
        args["response_format"] = {"type": "json_object"}
    return args


def our_body(case: dict, stream: bool) -> dict:
    return build_body(
        model=case["model"],
        messages=case["messages"],
        max_tokens=case.get("max_tokens"),
        temperature=0.3,
        json_mode=bool(case.get("json_mode")),
        stream=stream,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["model"])
async def test_plain_completions_match_the_sdk(clients, case):
    ours, sdk = clients
    reference = await sdk.chat.completions.create(**sdk_args(case))
    raw = await ours.complete(our_body(case, stream=False))
    choice = reference.choices[0]
    assert raw.text == choice.message.content and raw.finish_reason == choice.finish_reason
    assert raw.usage.prompt_tokens == reference.usage.prompt_tokens
    assert raw.usage.completion_tokens == reference.usage.completion_tokens
    assert (
        raw.usage.reasoning_tokens
        == reference.usage.completion_tokens_details.reasoning_tokens
        == 4
    )
    if case.get("json_mode"):
        assert json.loads(raw.text)["echo"] == "refund please"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["model"])
async def test_streams_match_the_sdk(clients, case):
    ours, sdk = clients
    reference_pieces, finish, usage = [], None, None
    stream = await sdk.chat.completions.create(
        **sdk_args(case), stream=True, stream_options={"include_usage": True}
    )
    async for event in stream:
        if event.choices:
            reference_pieces.append(event.choices[0].delta.content or "")
            finish = event.choices[0].finish_reason or finish
        usage = event.usage or usage
    items = [item async for item in ours.stream(our_body(case, stream=True))]
    pieces = [item.text for item in items if isinstance(item, StreamText)]
    assert pieces == [p for p in reference_pieces if p]
    end = items[-1]
    assert end.finish_reason == finish
    assert (end.usage.prompt_tokens, end.usage.completion_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
