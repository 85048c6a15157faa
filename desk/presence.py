"""Which agents are at the desk right now: each open queue or console socket of an agent holds
a mark that its pings renew, and closing the socket removes it. An agent is here while any of
their sockets is, so closing the browser ends their presence at once, and a browser that died
without closing its sockets (a crash, a lost network) ends it after DESK_PRESENCE_TIMEOUT_S
without a ping. Round-robin only hands conversations to agents who are both marked available
and here, so a handoff never goes to someone who went home with "available" on.

Kept in the cache (Redis with REDIS_URL), so every process agrees. One agent's sockets update
one entry by read-and-write; two of them racing at the same instant can lose a mark, which the
next ping (every PING_INTERVAL_S) restores.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

PING_INTERVAL_S = 30  # the desk pages ping this often (static/desk/*.js)
ANY_SOCKET = "-"  # a mark not tied to one socket: the agent just pressed a button on a page

Marks = dict[str, float]  # socket (channel name) -> when its mark lapses, epoch seconds


def _key(user_id: int) -> str:
    return f"desk:seen:{user_id}"


def _timeout_s() -> int:
    return settings.DESK_PRESENCE_TIMEOUT_S


def _live(marks: Marks | None, now: float) -> Marks:
    return {socket: until for socket, until in (marks or {}).items() if until > now}


def _marked(marks: Marks | None, socket: str) -> Marks:
    now = time.time()
    live = _live(marks, now)
    if socket != ANY_SOCKET:
        live.pop(ANY_SOCKET, None)  # a socket of theirs is open now: it speaks for them
    return {**live, socket: now + _timeout_s()}


def _unmarked(marks: Marks | None, socket: str) -> Marks:
    live = _live(marks, time.time())
    live.pop(socket, None)
    return live


def agent_seen(user_id: int, socket: str = ANY_SOCKET) -> None:
    cache.set(_key(user_id), _marked(cache.get(_key(user_id)), socket), _timeout_s())


async def agent_seen_async(user_id: int, socket: str = ANY_SOCKET) -> None:
    marks = _marked(await cache.aget(_key(user_id)), socket)
    await cache.aset(_key(user_id), marks, _timeout_s())


async def agent_left_async(user_id: int, socket: str) -> None:
    """One socket closed; the agent stays here only if another of theirs is open."""
    marks = _unmarked(await cache.aget(_key(user_id)), socket)
    if marks:
        await cache.aset(_key(user_id), marks, _timeout_s())
    else:
        await cache.adelete(_key(user_id))


def agent_gone(user_id: int) -> None:
    cache.delete(_key(user_id))


def agents_here(user_ids: Iterable[int]) -> set[int]:
    ids = list(user_ids)
    found = cache.get_many([_key(user_id) for user_id in ids])
    now = time.time()
    return {user_id for user_id in ids if _live(found.get(_key(user_id)), now)}
