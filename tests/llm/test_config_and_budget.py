"""Configuration from settings, key validation at start, and the token budgets."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.apps import apps
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured

from llm.budget import CustomerBudget, RequestBudget
from llm.config import GatewayConfig, api_key_problem, load_config, validate_config
from llm.gateway import get_gateway
from llm.tokens import estimate_prompt_tokens
from llm.types import BudgetExceeded, Usage
from tests.llm.conftest import TEST_KEY, ask, offline_answer

SECRET = "sk-live-supersecret-000111222"


def test_settings_become_a_typed_config():
    config = load_config(
        {
            "BASE_URL": "http://127.0.0.1:9/v1/",
            "API_KEY": SECRET,
            "MODELS": {"intent": "tiny", "empathy": ""},
            "FALLBACK_MODELS": ["b", "tiny"],
            "PRICES": "tiny=0.1/0.2",
            "CUSTOMER_DAILY_TOKENS": 5,
            "RETRY": {"MAX_ATTEMPTS": 2},
            "REQUEST_TOKEN_CAP": 99,
        }
    )
    assert config.base_url == "http://127.0.0.1:9/v1" and config.customer_daily_tokens == 5
    assert config.chain("intent") == ("tiny", "b")  # a fallback equal to the primary is skipped
    assert config.chain("empathy") == ("claude-sonnet-4.5", "b", "tiny")
    assert config.prices["tiny"].output_per_mtok == 0.2
    assert config.retry.max_attempts == 2 and config.request_token_cap == 99


def test_the_key_never_shows_in_reprs():
    config = GatewayConfig(base_url="http://127.0.0.1:9/v1", api_key=SECRET)
    assert SECRET not in repr(config)
    from llm.gateway import Gateway

    gateway = Gateway(config)
    assert SECRET not in repr(gateway) and SECRET not in repr(gateway.client)


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "empty"),
        ("sk-abc\n", "whitespace"),
        ("Bearer sk-abc", "Bearer"),
        ("<your-api-key>", "placeholder"),
        ("changeme", "placeholder"),
        ("sk-é", "non-ASCII"),
    ],
)
def test_missing_or_malformed_keys_fail_clearly_without_echoing(key, fragment):
    config = GatewayConfig(base_url="https://gateway.example/v1", api_key=key)
    with pytest.raises(ImproperlyConfigured, match=fragment) as caught:
        validate_config(config)
    assert key.strip() == "" or key.strip() not in str(caught.value)


def test_offline_mode_and_local_keys_are_accepted():
    validate_config(GatewayConfig(base_url="", api_key=""))
    validate_config(GatewayConfig(base_url="http://localhost:11434/v1", api_key="ollama"))
    assert api_key_problem(TEST_KEY) is None
    with pytest.raises(ImproperlyConfigured, match="http"):
        validate_config(GatewayConfig(base_url="localhost:8000", api_key="local"))


def test_app_start_validates_the_configured_key(settings):
    settings.LLM = {**settings.LLM, "BASE_URL": "http://127.0.0.1:9/v1", "API_KEY": "x y"}
    with pytest.raises(ImproperlyConfigured, match="whitespace"):
        apps.get_app_config("llm").ready()


def test_the_singleton_follows_settings(settings):
    settings.LLM = {**settings.LLM, "BASE_URL": ""}
    first = get_gateway()
    assert first is get_gateway() and not first.config.configured
    settings.LLM = {**settings.LLM, "BASE_URL": "http://127.0.0.1:9/v1", "API_KEY": TEST_KEY}
    assert get_gateway() is not first and get_gateway().config.configured


async def test_errors_and_logs_never_carry_the_key(make_gateway, fake_server, caplog):
    fake_server.options.api_key = "the-right-key"  # our key is refused with a 401
    caplog.set_level(logging.DEBUG)
    completion = await make_gateway(api_key=SECRET).complete(ask(), offline=offline_answer)
    assert completion.calls[0].status_code == 401 and completion.degraded
    assert SECRET not in repr(completion) and SECRET not in caplog.text


def test_request_budget_caps_tokens_across_stages():
    budget = RequestBudget(token_cap=1_000, retries=1)
    assert budget.completion_allowance(prompt_tokens=100, wanted=500) == 500
    budget.charge(Usage(600, 200))
    assert budget.completion_allowance(prompt_tokens=100, wanted=500) == 100
    with pytest.raises(BudgetExceeded) as caught:
        budget.completion_allowance(prompt_tokens=190, wanted=500)
    assert caught.value.scope == "request"
    assert budget.take_retry() and not budget.take_retry()


async def test_customer_daily_budget_is_counted_in_the_cache():
    budget = CustomerBudget(LocMemCache(f"b-{uuid.uuid4()}", {}), daily_tokens=100)
    await budget.check("cust-1")
    await budget.charge("cust-1", 60)
    await budget.charge("cust-1", 50)
    assert await budget.used("cust-1") == 110 and await budget.used("cust-2") == 0
    with pytest.raises(BudgetExceeded) as caught:
        await budget.check("cust-1")
    assert caught.value.scope == "customer" and 0 < caught.value.retry_after_s <= 86_400
    assert "cust-1" not in budget.key("cust-1")  # no customer identifiers in cache keys


async def test_the_gateway_charges_and_then_refuses_a_customer(make_gateway):
    gateway = make_gateway(customer_daily_tokens=30)
    request = ask(customer_key="customer:7")
    first = await gateway.complete(request, offline=offline_answer)
    second = await gateway.complete(request, offline=offline_answer)
    assert await gateway.customers.used("customer:7") == 2 * first.usage.total_tokens
    assert second.usage.total_tokens == first.usage.total_tokens
    with pytest.raises(BudgetExceeded) as caught:
        await gateway.complete(request, offline=offline_answer)
    assert caught.value.calls[0].outcome == "budget" and caught.value.retry_after_s > 0
    other = await gateway.complete(ask(customer_key="customer:8"), offline=offline_answer)
    assert not other.offline


async def test_a_request_cap_spent_by_earlier_stages_raises(make_gateway, fake_server):
    budget = RequestBudget(token_cap=40, retries=2)
    gateway = make_gateway()
    await gateway.complete(ask(stage="intent"), offline=offline_answer, budget=budget)
    with pytest.raises(BudgetExceeded):
        await gateway.complete(ask(stage="reasoning"), offline=offline_answer, budget=budget)
    assert fake_server.stats_json()["total"] == 1


async def test_max_tokens_follow_the_stage_tier_and_the_request_cap(make_gateway, fake_server):
    gateway = make_gateway(
        max_tokens={"intent": 50, "retrieval": 60, "reasoning": 70, "empathy": 80}
    )
    await gateway.complete(ask(stage="intent"), offline=offline_answer)
    await gateway.complete(
        ask(stage="reasoning"),
        offline=offline_answer,
        budget=RequestBudget(token_cap=60, retries=0),
    )
    sent = fake_server.stats_json()["models"]
    assert sent["gemini-2.5-flash"]["last_request"]["max_tokens"] == 50
    assert sent["gemini-2.5-flash"]["last_request"]["temperature"] == 0.1
    prompt = estimate_prompt_tokens(ask().messages)
    assert sent["gpt-4.1"]["last_request"]["max_tokens"] == 60 - prompt  # what the cap leaves


async def test_long_histories_are_trimmed_to_the_context_window(make_gateway, fake_server):
    history = [{"role": "system", "content": "be kind"}, {"role": "user", "content": "first"}]
    history += [{"role": "assistant", "content": "filler " * 200}] * 30
    history += [{"role": "user", "content": "where is my order"}]
    gateway = make_gateway(default_context_window=2_000)
    request = ask()
    from dataclasses import replace

    completion = await gateway.complete(
        replace(request, messages=tuple(history)), offline=offline_answer
    )
    sent = fake_server.stats_json()["models"]["claude-sonnet-4.5"]["last_request"]["messages"]
    assert sent[0]["content"] == "be kind" and sent[1]["content"] == "first"
    assert sent[-1]["content"] == "where is my order" and len(sent) < len(history)
    assert completion.usage.prompt_tokens <= 2_000 - 900
