"""The embedded cache: Django's LocMemCache with its async methods run in place.

Django's async cache methods default to `sync_to_async(..., thread_sensitive=True)`, so each one
waits its turn on the single thread that also runs every ORM call. The live chat path touches the
cache a dozen times a reply (rate limit, token budget, the stream buffer a reconnecting socket
resumes from), and each hop queued behind database work. A LocMemCache operation is dict work
under a lock held for microseconds, so it is simply done on the event loop.
"""

# ruff: noqa: ASYNC109 (`timeout` is the cache entry's lifetime, in Django's own signatures)

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache


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
