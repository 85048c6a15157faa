"""Caches keyed on the store's rules. A version, bumped whenever an article (and so its passages,
re-split on every save by knowledge.apps, including each import that changed it), the store
policy, a loyalty tier or an expedite option is saved or deleted (pipeline.apps), is part of every key, so
a cached answer or rules snapshot dies with the data it rests on, not only by TTL.

The version lives in the shared cache (Redis in production), so a change made in the admin reaches
every web process and worker at once. Rows changed behind the ORM's back (raw SQL,
QuerySet.update) fire no signal; the short RULES_TTL_S bounds how long the rules can lag then.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass

from django.core.cache import cache

from knowledge.search import PassageIndex, passage_index
from llm.embeddings import get_embedder
from orders.models import StorePolicy
from pipeline import selectors as views
from pipeline.types import ExpediteChoice

VERSION_KEY = "pipeline:kb-version"
TTL_S = 3600
RULES_TTL_S = 30.0


@dataclass(frozen=True)
class StoreRules:
    """What every message's retrieval and reasoning read: the policy row, the top tier, the
    expedite menu, and the knowledge base's passages with their words (knowledge.search)."""

    policy: StorePolicy
    top_tier_rank: int
    expedite_choices: tuple[ExpediteChoice, ...]
    knowledge: PassageIndex


_rules: dict[str, tuple[float, str, StoreRules]] = {}


def store_rules() -> StoreRules:
    """The current rules: four queries when they changed (the fourth reads the passages), else
    one cache read of the version."""
    version = knowledge_version()
    held = _rules.get("current")
    if held is not None and held[1] == version and time.monotonic() < held[0]:
        return held[2]
    rules = StoreRules(
        policy=StorePolicy.load(),
        top_tier_rank=views.top_tier_rank(),
        expedite_choices=views.expedite_choices(),
        knowledge=passage_index(embedder=get_embedder()),
    )
    _rules["current"] = (time.monotonic() + RULES_TTL_S, version, rules)
    return rules


def knowledge_version() -> str:
    return cache.get_or_set(VERSION_KEY, _new_version, timeout=None)


async def aknowledge_version() -> str:
    """knowledge_version from the event loop: on the embedded cache, no hop to the ORM's thread."""
    return await cache.aget_or_set(VERSION_KEY, _new_version, timeout=None)


def bump_knowledge_version(**_: object) -> None:
    """A fresh random version, not a counter: after a cache flush a counter could come back to a
    value an old snapshot still carries."""
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def _new_version() -> str:
    return uuid.uuid4().hex[:16]


def forget_rules() -> None:
    """Drop this process's snapshot (tests roll the database back without any signal)."""
    _rules.clear()


async def answer_key(intent: str, parts: tuple[str, ...], *, language: str = "en") -> str:
    """The fast lane's cache key for an answer built from these passages under today's rules,
    in the customer's language."""
    version = await aknowledge_version()
    digest = hashlib.sha256(f"{intent}|{language}|{'|'.join(parts)}".encode()).hexdigest()[:24]
    return f"pipeline:fast:{version}:{digest}"


async def cached_answer(key: str) -> str | None:
    return await cache.aget(key)


async def store_answer(key: str, text: str) -> None:
    await cache.aset(key, text, timeout=TTL_S)
