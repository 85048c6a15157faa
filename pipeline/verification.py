"""Proof of identity in the chat: an anonymous visitor names an order number and the e-mail it was
placed with.

One attempt names exactly one identity and costs one indexed query, so a message listing many
numbers or e-mails is no attempt at all (the visitor is asked for one of each). Failed attempts
are counted in Django's cache (shared by every process with REDIS_URL) per conversation and per
visitor, so a new conversation does not reset them; once either count reaches
VERIFY_ATTEMPTS_PER_HOUR nothing more is checked and a person takes over. Sync: retrieval runs
off the event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core.cache import cache

from orders import selectors
from orders.models import Customer

WINDOW_S = 60 * 60
LOCKED_REASON = "too many failed verification attempts"

Outcome = Literal["verified_now", "needed", "ambiguous", "failed", "locked"]


@dataclass(frozen=True)
class Attempt:
    customer: Customer | None
    outcome: Outcome


def verify_in_chat(
    *,
    order_refs: tuple[str, ...],
    emails: tuple[str, ...],
    conversation_id: str,
    visitor_key: str,
) -> Attempt:
    numbers = set(order_refs)
    addresses = {e.strip().lower() for e in emails}
    if not numbers or not addresses:
        return Attempt(None, "needed")
    if len(numbers) > 1 or len(addresses) > 1:
        return Attempt(None, "ambiguous")
    keys = _counter_keys(conversation_id, visitor_key)
    if not _take_attempt(keys):
        return Attempt(None, "locked")
    customer = selectors.customer_verify(order_number=order_refs[0], email=emails[0])
    if customer is None:
        return Attempt(None, "failed")
    _give_back(keys)  # only failures count against the visitor
    return Attempt(customer, "verified_now")


def verify_counted(
    *, check: Callable[[], Customer | None], conversation_id: str, visitor_key: str
) -> Attempt:
    """Any other proof of identity (the flows' e-mail, or name and zip) under the same limits:
    the attempt is counted first, a success gives it back, past the limit nothing is checked."""
    keys = _counter_keys(conversation_id, visitor_key)
    if not _take_attempt(keys):
        return Attempt(None, "locked")
    customer = check()
    if customer is None:
        return Attempt(None, "failed")
    _give_back(keys)
    return Attempt(customer, "verified_now")


def _counter_keys(conversation_id: str, visitor_key: str) -> tuple[str, ...]:
    visitor = visitor_key or f"conversation:{conversation_id}"
    return tuple(dict.fromkeys([f"conversation:{conversation_id}", visitor]))


def _take_attempt(keys: tuple[str, ...]) -> bool:
    """Count the attempt before checking it, so concurrent attempts cannot slip past the limit
    together; a count that went over is given back and the attempt is refused."""
    counts = [_incr(f"verify:failed:{key}") for key in keys]
    if max(counts) <= settings.VERIFY_ATTEMPTS_PER_HOUR:
        return True
    _give_back(keys)
    return False


def _give_back(keys: tuple[str, ...]) -> None:
    for key in keys:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            cache.decr(f"verify:failed:{key}")


def _incr(key: str) -> int:
    cache.add(key, 0, timeout=WINDOW_S)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_S)
        return 1
