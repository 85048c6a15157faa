"""Which agents are at the desk right now: an agent's open queue or console socket marks them
seen, and pings keep it so. Round-robin only hands conversations to agents who are both marked
available and here, so a handoff never goes to someone who went home with "available" on.

Kept in the cache (Redis with REDIS_URL), so every process agrees.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

SEEN_TTL_S = 90  # the desk's sockets ping every 30 s
PING_INTERVAL_S = 30


def _key(user_id: int) -> str:
    return f"desk:seen:{user_id}"


def agent_seen(user_id: int) -> None:
    cache.set(_key(user_id), True, SEEN_TTL_S)


async def agent_seen_async(user_id: int) -> None:
    await cache.aset(_key(user_id), True, SEEN_TTL_S)


def agent_gone(user_id: int) -> None:
    cache.delete(_key(user_id))


def agents_here(user_ids: Iterable[int]) -> set[int]:
    ids = list(user_ids)
    found = cache.get_many([_key(user_id) for user_id in ids])
    return {user_id for user_id in ids if _key(user_id) in found}
