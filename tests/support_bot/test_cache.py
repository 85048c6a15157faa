"""The embedded cache answers its async methods on the event loop, without a thread hop."""

from __future__ import annotations

import pytest

from support_bot.cache import LocMemCache


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> LocMemCache:
    def no_hop(*args, **kwargs):
        raise AssertionError("went through sync_to_async")

    monkeypatch.setattr("django.core.cache.backends.base.sync_to_async", no_hop)
    return LocMemCache("test-cache", {})


async def test_every_async_method_works_in_place(cache: LocMemCache) -> None:
    assert await cache.aadd("a", 1) is True
    assert await cache.aadd("a", 2) is False
    assert await cache.aget("a") == 1
    assert await cache.aget("missing", "default") == "default"
    await cache.aset("b", {"deltas": ["x"]}, timeout=60)
    assert await cache.aget_many(["a", "b", "missing"]) == {"a": 1, "b": {"deltas": ["x"]}}
    assert await cache.aincr("a", 5) == 6
    assert await cache.adecr("a") == 5
    assert await cache.ahas_key("b") and await cache.atouch("b", 10)
    assert await cache.aget_or_set("c", 3) == 3
    await cache.aset_many({"d": 4, "e": 5})
    await cache.adelete_many(["d"])
    assert await cache.adelete("e") is True
    assert not await cache.ahas_key("d")
    await cache.aclear()
    assert await cache.aget("a") is None


async def test_incr_of_a_missing_key_is_an_error_as_in_django(cache: LocMemCache) -> None:
    with pytest.raises(ValueError):
        await cache.aincr("never-set")


async def test_a_customer_budget_outlives_a_thousand_busy_chats() -> None:
    """The project's cache (embedded or Redis) keeps a customer's daily count while many other
    chats write their own keys: a LocMemCache at Django's default 300 entries would cull it."""
    from django.core.cache import cache as project_cache

    from llm.budget import CustomerBudget

    budget = CustomerBudget(project_cache, daily_tokens=10_000)
    await budget.charge("customer:first", 123)
    for index in range(1_000):
        await budget.charge(f"customer:other-{index}", 1)
        await project_cache.aset(f"chat:rate:other-{index}", 1, timeout=60)
    assert await budget.used("customer:first") == 123
