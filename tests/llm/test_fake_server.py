"""The fake server itself: endpoints, control, stats, CLI options, helpers."""

from __future__ import annotations

import argparse
import json
import urllib.request

import pytest
from openai import AsyncOpenAI

from fakes.faults import FaultSchedule, parse_cli_fault, parse_fault
from fakes.llm_server import add_arguments, options_from_args, start_in_thread
from fakes.responder import echo_responder


def test_the_echo_responder_is_deterministic_and_request_dependent():
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
    }
    assert echo_responder(body) == echo_responder(body) == "[m] You said: b"
    body["response_format"] = {"type": "json_object"}
    assert json.loads(echo_responder(body)) == {"echo": "b", "model": "m"}


def test_fault_schedules_pop_in_order_and_sticky_faults_stay():
    schedule = FaultSchedule()
    schedule.set("a", ["500", "ok", "429:2"])
    schedule.set("*", ["503*"])
    assert [str(schedule.next_for("a")) for _ in range(4)] == ["500", "None", "429:2", "None"]
    assert str(schedule.next_for("b")) == str(schedule.next_for("b")) == "503*"
    assert parse_cli_fault("gpt-4.1=503,ok") == ("gpt-4.1", [parse_fault("503"), parse_fault("ok")])
    assert parse_cli_fault("hang*")[0] == "*"
    with pytest.raises(ValueError, match="unknown fault"):
        parse_fault("explode")


def test_cli_options_choose_a_responder_and_faults():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--ttft-ms",
            "5",
            "--fault",
            "gpt-4.1=429:3,ok",
            "--responder",
            "echo",
        ]
    )
    options = options_from_args(args)
    assert options.ttft_ms == 5 and options.responder is echo_responder
    assert options.faults == {"gpt-4.1": ["429:3", "ok"]}


def test_the_threaded_server_serves_models_control_and_stats():
    server = start_in_thread(faults={"x": ["500"]})
    try:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
            assert response.status == 200 and json.load(response)["object"] == "list"
        assert server.control(faults={"y": ["hang*"]})["faults"] == {"x": ["500"], "y": ["hang*"]}
        assert server.stats() == {"total": 0, "models": {}}
    finally:
        server.stop()


async def test_streamed_usage_and_pacing(fake_server):
    fake_server.control({"ttft_ms": 30, "tokens_per_s": 500})
    sdk = AsyncOpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0)
    stream = await sdk.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    events = [event async for event in stream]
    await sdk.close()
    assert (
        "".join(e.choices[0].delta.content or "" for e in events if e.choices)
        == "[m] You said: one two three"
    )
    assert all(e.usage is None for e in events)  # usage only when include_usage is asked for
    stats = fake_server.stats_json()["models"]["m"]
    assert stats["count"] == 1 and stats["faults"] == ["ok"]
