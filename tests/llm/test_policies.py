"""Pure policies: prices, token estimates and trimming, retry timing, the breaker state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from llm.breaker import CircuitBreaker
from llm.config import BreakerConfig, RetryConfig
from llm.pricing import DEFAULT_PRICES, Price, cost_usd, parse_prices, price_table
from llm.retry import backoff_s, parse_retry_after, retry_delay_s, status_is_retryable
from llm.tokens import estimate_prompt_tokens, estimate_text_tokens, trim_messages
from llm.types import Usage


def test_brief_output_prices_are_the_defaults():
    outputs = {m: p.output_per_mtok for m, p in DEFAULT_PRICES.items() if m != "default"}
    assert outputs == {
        "gemini-2.5-flash": 2.50,
        "deepseek-v3.2": 0.42,
        "gpt-4.1": 8.00,
        "claude-sonnet-4.5": 15.00,
    }


def test_cost_is_input_plus_output_with_reasoning_billed_once():
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000, reasoning_tokens=200_000)
    assert cost_usd("gpt-4.1", usage, DEFAULT_PRICES) == pytest.approx(2.00 + 4.00)


def test_prices_can_be_overridden_and_unknown_models_are_not_free():
    table = price_table("gpt-4.1=1/4, local-llama=0/0")
    assert table["gpt-4.1"] == Price(1.0, 4.0) and table["deepseek-v3.2"].output_per_mtok == 0.42
    assert cost_usd("local-llama", Usage(10, 10), table) == 0
    assert cost_usd("mystery", Usage(0, 1_000_000), table) == 15.00


@pytest.mark.parametrize("raw", ["gpt-4.1=2", "gpt-4.1", "=1/2", "x=a/b", "x=-1/2"])
def test_bad_price_entries_are_rejected_by_name(raw):
    with pytest.raises(ImproperlyConfigured, match="LLM_PRICES"):
        parse_prices(raw)


def test_token_estimate_errs_high():
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("a b c d e") == 5  # never fewer tokens than words
    assert estimate_text_tokens("x" * 400) == 100
    assert estimate_prompt_tokens([{"role": "user", "content": "hi"}]) == 3 + 4 + 1


def _history(turns: int) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": "You are the store's assistant."}]
    for i in range(turns):
        messages.append({"role": "user", "content": f"question {i} " + "word " * 40})
        messages.append({"role": "assistant", "content": f"answer {i} " + "word " * 40})
    messages.append({"role": "user", "content": "latest question"})
    return messages


def test_trimming_keeps_system_first_turn_and_latest_turns():
    messages = _history(20)
    trimmed = trim_messages(messages, 400)
    assert estimate_prompt_tokens(trimmed) <= 400
    assert trimmed[0] == messages[0] and trimmed[1] == messages[1]
    assert trimmed[-1]["content"] == "latest question"
    assert trimmed[-2] == messages[-2]  # the newest answer survives; the middle goes
    assert len(trimmed) < len(messages)
    contents = [m["content"] for m in trimmed]
    assert contents == [m["content"] for m in messages if m["content"] in contents]  # in order


def test_short_histories_are_untouched_and_a_huge_last_turn_is_shortened():
    messages = _history(1)
    assert trim_messages(messages, 10_000) == tuple(messages)
    huge = [{"role": "system", "content": "sys"}, {"role": "user", "content": "z" * 40_000}]
    trimmed = trim_messages(huge, 1_000)
    assert trimmed[0]["content"] == "sys" and estimate_prompt_tokens(trimmed) <= 1_000


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_only_transient_statuses_are_retryable():
    assert all(status_is_retryable(s) for s in (429, 500, 502, 503, 504))
    assert not any(status_is_retryable(s) for s in (400, 401, 403, 404, 422))


def test_full_jitter_backoff_is_capped_exponential():
    policy = RetryConfig(base_s=0.5, cap_s=3.0)
    assert [backoff_s(n, policy, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 3, 3]
    assert backoff_s(3, policy, lambda: 0.0) == 0.0


def test_retry_after_wins_over_backoff_unless_too_long():
    policy = RetryConfig(base_s=0.5, cap_s=3.0, max_retry_after_s=10)
    assert 4.0 <= retry_delay_s(1, 4.0, policy, lambda: 1.0) <= 4.1
    assert retry_delay_s(1, 60.0, policy) is None


def test_breaker_state_machine():
    now = [0.0]
    breaker = CircuitBreaker(BreakerConfig(failure_threshold=2, cooldown_s=10), lambda: now[0])
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.retry_in_s() == 10
    now[0] = 10.0
    assert breaker.state == "half_open"
    assert breaker.allow() and not breaker.allow()  # exactly one probe
    breaker.release()  # the probe was cancelled: another caller may probe
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    now[0] = 20.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failures == 0
