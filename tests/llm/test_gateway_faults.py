"""Every injected fault ends in a correct reply or a clean fallback, with the right attempts."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from llm.budget import RequestBudget
from llm.types import Delta, Reset
from tests.llm.conftest import (
    FAST_RETRY,
    FAST_TIMEOUTS,
    ask,
    collect,
    offline_answer,
    visible_text,
)

PRIMARY = "claude-sonnet-4.5"  # the empathy stage's model
BACKUP = "backup-model"
REPLY = f"[{PRIMARY}] You said: where is my order"
BACKUP_REPLY = f"[{BACKUP}] You said: where is my order"


def count(server, model: str) -> int:
    return server.stats_json()["models"].get(model, {}).get("count", 0)


def times(server, model: str) -> list[float]:
    return server.stats_json()["models"][model]["times"]


async def test_plain_and_streamed_answers_agree(make_gateway):
    gateway = make_gateway()
    plain = await gateway.complete(ask(), offline=offline_answer)
    events, streamed = await collect(gateway.stream(ask(), offline=offline_answer))
    assert plain.text == streamed.text == visible_text(events) == REPLY
    assert sum(isinstance(e, Delta) for e in events) > 3
    assert plain.usage == streamed.usage and plain.usage.completion_tokens == 7
    assert streamed.ttft_ms is not None and not streamed.offline and not streamed.degraded


async def test_429_waits_for_retry_after(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["429:0.2"]}})
    completion = await make_gateway().complete(ask(), offline=offline_answer)
    assert completion.text == REPLY
    first, _ = completion.calls
    assert (first.outcome, first.status_code, first.retry_after_s) == ("error", 429, 0.2)
    arrived = times(fake_server, PRIMARY)
    assert len(arrived) == 2 and arrived[1] - arrived[0] >= 0.2


async def test_429_with_http_date_retry_after(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["429date:1"]}})
    completion = await make_gateway().complete(ask(), offline=offline_answer)
    assert completion.text == REPLY
    waited = completion.calls[0].retry_after_s
    assert waited is not None and 0 <= waited <= 1.0
    arrived = times(fake_server, PRIMARY)
    assert arrived[1] - arrived[0] >= waited * 0.9


async def test_long_retry_after_moves_to_the_fallback_without_waiting(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["429:30"]}})
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    gateway = make_gateway(fallback_models=(BACKUP,), sleep=sleep)
    completion = await gateway.complete(ask(), offline=offline_answer)
    assert completion.text == BACKUP_REPLY and completion.model == BACKUP
    assert count(fake_server, PRIMARY) == 1
    assert slept == []  # the 30 s Retry-After was not waited out


async def test_5xx_is_retried_with_exponential_backoff(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["500", "503"]}})
    completion = await make_gateway(rng=lambda: 1.0).complete(ask(), offline=offline_answer)
    assert completion.text == REPLY
    assert [c.outcome for c in completion.calls] == ["error", "error", "ok"]
    t = times(fake_server, PRIMARY)
    # rng pinned to the top of the jitter range: 0.01 s, then 0.02 s
    assert t[1] - t[0] >= 0.01 and t[2] - t[1] >= 0.02


async def test_persistent_5xx_falls_back_to_the_next_model(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["503*"]}})
    gateway = make_gateway(fallback_models=(BACKUP,))
    completion = await gateway.complete(ask(), offline=offline_answer)
    assert completion.model == BACKUP and completion.text == BACKUP_REPLY
    assert count(fake_server, PRIMARY) == FAST_RETRY.max_attempts
    assert not completion.degraded


@pytest.mark.parametrize("status", ["400", "401", "403"])
async def test_client_errors_are_never_retried(make_gateway, fake_server, status):
    fake_server.control({"faults": {PRIMARY: [status]}})
    gateway = make_gateway(fallback_models=(BACKUP,))
    completion = await gateway.complete(ask(), offline=offline_answer)
    assert count(fake_server, PRIMARY) == 1
    assert completion.calls[0].status_code == int(status)
    assert completion.model == BACKUP


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_hung_server_times_out_and_falls_back(make_gateway, fake_server, streaming):
    fake_server.control({"faults": {PRIMARY: ["hang*"]}})
    timeouts = replace(FAST_TIMEOUTS, read_s=0.15, ttft_s=0.15)
    gateway = make_gateway(
        fallback_models=(BACKUP,), timeouts=timeouts, retry=replace(FAST_RETRY, max_attempts=2)
    )
    if streaming:
        _, completion = await collect(gateway.stream(ask(), offline=offline_answer))
    else:
        completion = await gateway.complete(ask(), offline=offline_answer)
    assert completion.model == BACKUP
    assert count(fake_server, PRIMARY) == 2
    assert {c.error.split(":")[0] for c in completion.calls[:2]} == {
        "ttft" if streaming else "timeout"
    }


@pytest.mark.parametrize("streaming", [False, True])
async def test_malformed_json_is_retried(make_gateway, fake_server, streaming):
    fake_server.control({"faults": {PRIMARY: ["malformed"]}})
    gateway = make_gateway()
    if streaming:
        events, completion = await collect(gateway.stream(ask(), offline=offline_answer))
        assert visible_text(events) == REPLY
    else:
        completion = await gateway.complete(ask(), offline=offline_answer)
    assert completion.text == REPLY
    assert completion.calls[0].error.startswith("protocol")
    assert count(fake_server, PRIMARY) == 2


async def test_a_stream_cut_midway_resets_and_retries(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["cut:2"]}})
    events, completion = await collect(make_gateway().stream(ask(), offline=offline_answer))
    kinds = [type(e).__name__ for e in events]
    assert kinds[:3] == ["Delta", "Delta", "Reset"]
    assert visible_text(events) == completion.text == REPLY
    assert [c.outcome for c in completion.calls] == ["error", "ok"]
    assert completion.calls[0].usage.completion_tokens > 0  # a cut stream is still billed


async def test_a_plain_body_cut_midway_is_retried(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["cut"]}})
    completion = await make_gateway().complete(ask(), offline=offline_answer)
    assert completion.text == REPLY and count(fake_server, PRIMARY) == 2


async def test_a_stall_after_the_first_token_is_cut(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["stall:1*"]}})
    timeouts = replace(FAST_TIMEOUTS, stream_idle_s=0.1)
    gateway = make_gateway(fallback_models=(BACKUP,), timeouts=timeouts)
    events, completion = await collect(gateway.stream(ask(), offline=offline_answer))
    assert isinstance(events[0], Delta) and isinstance(events[1], Reset)
    assert visible_text(events) == BACKUP_REPLY and completion.model == BACKUP
    assert {c.error.split(":")[0] for c in completion.calls if c.outcome == "error"} == {"stall"}


async def test_slow_first_token_hits_the_ttft_limit(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["slow:400"]}})
    gateway = make_gateway(timeouts=replace(FAST_TIMEOUTS, ttft_s=0.1))
    events, completion = await collect(gateway.stream(ask(), offline=offline_answer))
    assert completion.text == REPLY
    assert completion.calls[0].error.startswith("ttft")
    assert not any(isinstance(e, Reset) for e in events)  # nothing shown before the retry


async def test_length_truncation_moves_down_the_chain_with_more_room(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["length"]}})
    gateway = make_gateway(fallback_models=(BACKUP,))
    events, completion = await collect(gateway.stream(ask(), offline=offline_answer))
    assert completion.model == BACKUP and not completion.truncated
    assert completion.calls[0].outcome == "length"
    assert any(isinstance(e, Reset) for e in events) and visible_text(events) == BACKUP_REPLY
    sent = fake_server.stats_json()["models"]
    assert (
        sent[BACKUP]["last_request"]["max_tokens"]
        == 2 * sent[PRIMARY]["last_request"]["max_tokens"]
    )


async def test_length_on_the_last_model_goes_offline_by_default(make_gateway):
    completion = await make_gateway().complete(ask(max_tokens=2), offline=offline_answer)
    assert completion.offline and completion.degraded
    assert completion.text == "offline answer for empathy"
    assert completion.calls[0].outcome == "length"


async def test_length_on_the_last_model_can_be_kept_flagged(make_gateway):
    gateway = make_gateway(length_fallback_to_offline=False)
    completion = await gateway.complete(ask(max_tokens=2), offline=offline_answer)
    assert completion.truncated and completion.finish_reason == "length"
    assert completion.text == f"[{PRIMARY}] You "


async def test_every_model_down_ends_offline_with_a_reset(make_gateway, fake_server):
    fake_server.control({"faults": {"*": ["cut:1*"]}})
    gateway = make_gateway(fallback_models=(BACKUP,))
    events, completion = await collect(gateway.stream(ask(), offline=offline_answer))
    assert completion.offline and completion.degraded and completion.cost_usd > 0
    assert isinstance(events[-2], Delta) and visible_text(events) == "offline answer for empathy"
    assert count(fake_server, PRIMARY) == count(fake_server, BACKUP) == 3


async def test_retry_budget_is_shared_by_the_stages_of_one_message(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["500*"]}})
    budget = RequestBudget(token_cap=10_000, retries=1)
    gateway = make_gateway()
    first = await gateway.complete(ask(), offline=offline_answer, budget=budget)
    second = await gateway.complete(ask(), offline=offline_answer, budget=budget)
    assert first.degraded and second.degraded
    assert len(first.calls) == 3 and len(second.calls) == 2  # 2 attempts, then 1 (+ offline)


async def test_breaker_opens_skips_probes_once_and_closes(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["500*"]}})
    gateway = make_gateway(fallback_models=(BACKUP,))
    await gateway.complete(ask(), offline=offline_answer)
    assert gateway.breaker_states()[PRIMARY] == "open"
    skipped = await gateway.complete(ask(), offline=offline_answer)
    assert skipped.calls[0].outcome == "breaker_open" and skipped.model == BACKUP
    assert count(fake_server, PRIMARY) == 3
    await asyncio.sleep(0.35)  # the test breaker cools down in 0.3 s
    assert gateway.breaker_states()[PRIMARY] == "half_open"
    fake_server.control({"clear_faults": True})
    probe = await gateway.complete(ask(), offline=offline_answer)
    assert probe.model == PRIMARY and gateway.breaker_states()[PRIMARY] == "closed"
    assert count(fake_server, PRIMARY) == 4


async def test_a_failed_half_open_probe_reopens_the_breaker(make_gateway, fake_server):
    fake_server.control({"faults": {PRIMARY: ["500*"]}})
    gateway = make_gateway(fallback_models=(BACKUP,))
    await gateway.complete(ask(), offline=offline_answer)
    await asyncio.sleep(0.35)
    probe = await gateway.complete(ask(), offline=offline_answer)
    assert [c.model for c in probe.calls if c.outcome == "error"] == [PRIMARY]  # one probe only
    assert gateway.breaker_states()[PRIMARY] == "open"
    assert count(fake_server, PRIMARY) == 4


async def test_without_a_base_url_the_offline_engine_answers(make_gateway):
    gateway = make_gateway(base_url="")
    events, completion = await collect(gateway.stream(ask(), offline=offline_answer))
    assert completion.offline and not completion.degraded and completion.cost_usd == 0
    assert [e.text for e in events[:-1]] == ["offline ", "answer ", "for ", "empathy"]
