"""The project's caches answer their async methods without queueing behind the ORM's thread."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async

from support_bot.patches.django_cache import ASYNC_POOL, LocMemCache, RedisCache

KEYS = ["a", "b", "c", "d", "e", "f", "n", "zero", "never-set"]


def _forbid_the_orm_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_hop(*args, **kwargs):
        raise AssertionError("went through sync_to_async, behind the ORM's thread")

    monkeypatch.setattr("django.core.cache.backends.base.sync_to_async", no_hop)


@pytest.fixture
def redis_cache(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisCache]:
    _forbid_the_orm_thread(monkeypatch)
    cache = RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4()}"})
    yield cache
    cache.delete_many(KEYS)


@pytest.fixture(params=["embedded", "redis"])
def cache(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    if request.param == "redis":
        return request.getfixturevalue("redis_cache")
    _forbid_the_orm_thread(monkeypatch)
    return LocMemCache("test-cache", {})


async def test_every_async_method_works_without_the_orm_thread(cache: Any) -> None:
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
    await cache.aset("zero", 1, timeout=0)  # as Django: a zero timeout keeps nothing
    assert await cache.aadd("zero", 1, timeout=0) is True
    assert not await cache.ahas_key("zero")


async def test_incr_of_a_missing_key_is_an_error_as_in_django(cache: Any) -> None:
    with pytest.raises(ValueError):
        await cache.aincr("never-set")
    assert not await cache.ahas_key("never-set")  # and it is not created either


async def test_the_embedded_cache_clears_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid_the_orm_thread(monkeypatch)
    cache = LocMemCache("test-cache", {})
    await cache.aset("a", 1)
    await cache.aclear()
    assert await cache.aget("a") is None


async def test_a_customer_budget_outlives_a_thousand_busy_chats() -> None:
    """The project's cache (embedded or Redis) keeps a customer's daily count while many other
    chats write their own keys: a LocMemCache at Django's default 300 entries would cull it."""
    from django.core.cache import cache as project_cache

    from llm.budget import CustomerBudget

    budget = CustomerBudget(project_cache, daily_tokens=10_000)
    run = uuid.uuid4()  # Redis outlives a test run: keys of this run only
    await budget.charge(f"customer:first-{run}", 123)
    for index in range(1_000):
        await budget.charge(f"customer:other-{run}-{index}", 1)
        await project_cache.aset(f"chat:rate:other-{run}-{index}", 1, timeout=60)
    assert await budget.used(f"customer:first-{run}") == 123


# The Redis cache (REDIS_URL): async methods on redis.asyncio, one client per configuration.


async def test_redis_async_and_sync_methods_read_each_others_entries(
    redis_cache: RedisCache,
) -> None:
    cache = redis_cache
    await cache.aset("a", {"deltas": ["x", "y"]}, timeout=60)
    await cache.aset("n", 7, timeout=60)
    assert await sync_to_async(cache.get, thread_sensitive=False)("a") == {"deltas": ["x", "y"]}
    await sync_to_async(cache.set, thread_sensitive=False)("f", [1, 2], 60)
    await sync_to_async(cache.incr, thread_sensitive=False)("n", 3)
    assert await cache.aget("f") == [1, 2]
    assert await cache.aincr("n") == 11


async def test_redis_incr_is_atomic_under_concurrent_callers(redis_cache: RedisCache) -> None:
    await redis_cache.aset("n", 0, timeout=60)
    await asyncio.gather(*(redis_cache.aincr("n") for _ in range(200)))
    assert await redis_cache.aget("n") == 200


def test_redis_caches_built_per_context_share_one_client_and_its_connections(
    redis_url: str,
) -> None:
    """Django builds a cache instance per thread and per async context (each socket, each
    Celery task); each used to open connections of its own that nothing closed."""

    def connections() -> int:  # counts its own, closed on the way out
        with redis.Redis.from_url(redis_url) as client:
            return len(client.client_list())

    async def many_contexts() -> int:
        caches = [RedisCache(redis_url, {"KEY_PREFIX": "test-shared"}) for _ in range(200)]
        assert len({id(cache._client()) for cache in caches}) == 1
        assert len({id(cache._cache) for cache in caches}) == 1
        await asyncio.gather(*(cache.aget("x") for cache in caches))
        await asyncio.gather(*(cache.aget("x") for cache in caches))
        return connections()

    before = connections()
    during = asyncio.run(many_contexts())
    assert during - before <= ASYNC_POOL["max_connections"]
    # asyncio.run closed its loop, and with it that loop's client and connections.
    assert connections() <= before + 1  # + the sync pool's one connection, kept for reuse
