"""Patch: Django's caches, with async methods that do not queue behind the ORM, and one Redis
client per configuration for the whole process.

Pinned: Django>=5.2,<5.3 (pyproject.toml); RedisCache overrides the private `_cache` property and
reuses RedisCacheClient's key and serializer internals. Upstream: django/django#18459 (open):
RedisCacheClient's connections are not reused across cache instances, and Django builds one
instance per thread and async context. Tests that fail without it: tests/support_bot/test_cache.py
::test_redis_caches_built_per_context_share_one_client_and_its_connections and
::test_every_async_method_works_without_the_orm_thread.

Django's async cache methods default to `sync_to_async(..., thread_sensitive=True)`, so each one
waits its turn on the single thread that also runs every ORM call. The live chat path touches the
cache a dozen times a reply (rate limit, token budget, the stream buffer a reconnecting socket
resumes from), and each hop queued behind database work.

- LocMemCache (embedded defaults): an operation is dict work under a lock held for microseconds,
  so it is simply done on the event loop.
- RedisCache (REDIS_URL): the async methods use redis.asyncio, one client per event loop, closed
  with its loop, and the same keys and serializer as Django's sync methods, so the two read each
  other's entries. In a Celery worker answering 400 chats at once, the cache's round trips on the
  ORM's thread were half of that thread's time (py-spy).
"""

# ruff: noqa: ASYNC109 (`timeout` is the cache entry's lifetime, in Django's own signatures)

from __future__ import annotations

import asyncio
import threading
import types
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property
from redis import asyncio as aioredis


class LocMemCache(DjangoLocMemCache):
    async def aadd(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None
    ) -> bool:
        return self.add(key, value, timeout, version)

    async def aget(self, key: str, default: Any = None, version=None) -> Any:
        return self.get(key, default, version)

    async def aset(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None
    ) -> None:
        self.set(key, value, timeout, version)

    async def atouch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version=None) -> bool:
        return self.touch(key, timeout, version)

    async def adelete(self, key: str, version=None) -> bool:
        return self.delete(key, version)

    async def aget_many(self, keys: Any, version=None) -> dict[str, Any]:
        return self.get_many(keys, version)

    async def ahas_key(self, key: str, version=None) -> bool:
        return self.has_key(key, version)

    async def aincr(self, key: str, delta: int = 1, version=None) -> int:
        return self.incr(key, delta, version)  # atomic under the cache's lock, unlike get+set

    async def adecr(self, key: str, delta: int = 1, version=None) -> int:
        return self.incr(key, -delta, version)

    async def aset_many(self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version=None):
        return self.set_many(data, timeout, version)

    async def adelete_many(self, keys: Any, version=None) -> None:
        self.delete_many(keys, version)

    async def aclear(self) -> None:
        self.clear()


# INCRBY only if the key exists, in one step: Django's sync incr checks EXISTS, then INCRBY.
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


# Shared by every RedisCache instance. Django builds a cache instance per thread and per async
# context (each socket's consumer, each Celery task), and Django's Redis client keeps its pools on
# the instance, so each instance opened connections of its own and nothing closed them: 2.3-2.7
# new connections per reply, and a worker went from 510 to 736 in one 10 s run. Clients are kept
# per configuration (and per event loop for the async ones) instead.
_sync_clients: dict[str, RedisCacheClient] = {}
_async_clients: dict[tuple[asyncio.AbstractEventLoop, str], aioredis.Redis] = {}
_lock = threading.Lock()
# Per process and event loop; a cache command takes well under a millisecond.
ASYNC_POOL = {"max_connections": 64, "timeout": 10}


class RedisCache(DjangoRedisCache):
    """Django's RedisCache with one client per configuration for the whole process, and async
    methods on redis.asyncio. The sync methods use every server in LOCATION as Django does; the
    async ones use the first (the writer), with the OPTIONS Django passes to redis-py's pool."""

    @cached_property
    def _config(self) -> str:
        return repr((self._servers, sorted(self._options.items(), key=lambda item: item[0])))

    @cached_property
    def _cache(self) -> RedisCacheClient:  # Django's own property builds one per instance
        with _lock:
            client = _sync_clients.get(self._config)
            if client is None:
                client = _sync_clients[self._config] = self._class(self._servers, **self._options)
            return client

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        key = (loop, self._config)
        client = _async_clients.get(key)
        if client is None:
            options = {
                name: value
                for name, value in self._options.items()
                if name not in {"serializer", "pool_class", "parser_class"}
            }
            if not any(known[0] is loop for known in _async_clients):
                _close_with(loop)
            # A bounded pool that waits for a free connection: hundreds of chats on one loop
            # would otherwise open hundreds of connections, and redis-py refuses past its cap.
            pool = aioredis.BlockingConnectionPool.from_url(
                self._servers[0], **{**ASYNC_POOL, **options}
            )
            client = _async_clients[key] = aioredis.Redis(connection_pool=pool)
        return client

    def _dumps(self, value: Any) -> Any:
        return self._cache._serializer.dumps(value)

    def _loads(self, raw: Any) -> Any:
        return self._cache._serializer.loads(raw)

    async def aadd(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        seconds = self.get_backend_timeout(timeout)
        client = self._client()
        if seconds == 0:  # as Django: added and gone at once
            if added := bool(await client.set(key, self._dumps(value), nx=True)):
                await client.delete(key)
            return added
        return bool(await client.set(key, self._dumps(value), ex=seconds, nx=True))

    async def aget(self, key: str, default: Any = None, version=None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        raw = await self._client().get(key)
        return default if raw is None else self._loads(raw)

    async def aset(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        seconds = self.get_backend_timeout(timeout)
        if seconds == 0:
            await self._client().delete(key)
        else:
            await self._client().set(key, self._dumps(value), ex=seconds)

    async def atouch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            return bool(await self._client().persist(key))
        return bool(await self._client().expire(key, seconds))

    async def adelete(self, key: str, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._client().delete(key))

    async def aget_many(self, keys: Any, version=None) -> dict[str, Any]:
        names = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not names:
            return {}
        raws = await self._client().mget(list(names))
        return {
            names[name]: self._loads(raw)
            for name, raw in zip(names, raws, strict=True)
            if raw is not None
        }

    async def ahas_key(self, key: str, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._client().exists(key))

    async def aincr(self, key: str, delta: int = 1, version=None) -> int:
        name = self.make_and_validate_key(key, version=version)
        value = await self._client().eval(_INCR_EXISTING, 1, name, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)

    async def aset_many(self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version=None):
        if not data:
            return []
        seconds = self.get_backend_timeout(timeout)
        async with self._client().pipeline() as pipeline:
            for key, value in data.items():
                name = self.make_and_validate_key(key, version=version)
                if seconds == 0:
                    pipeline.delete(name)
                else:
                    pipeline.set(name, self._dumps(value), ex=seconds)
            await pipeline.execute()
        return []

    async def adelete_many(self, keys: Any, version=None) -> None:
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        if names:
            await self._client().delete(*names)


def _close_with(loop: asyncio.AbstractEventLoop) -> None:
    """Close a loop's clients when the loop closes (asyncio.run, async_to_sync), as
    channels_redis does for its layers: their connections cannot be used from another loop."""
    close = loop.close

    def closing(self_loop: asyncio.AbstractEventLoop) -> None:
        for key in [key for key in _async_clients if key[0] is loop]:
            client = _async_clients.pop(key)
            if not loop.is_running():
                loop.run_until_complete(client.aclose(close_connection_pool=True))
        self_loop.close = close  # type: ignore[method-assign]
        close()

    loop.close = types.MethodType(closing, loop)  # type: ignore[method-assign]
