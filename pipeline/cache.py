"""The fast lane's answer cache. Keys carry a version that is bumped whenever an article, the
store policy or a loyalty tier is saved, so a cached answer dies with the data it rests on, not
only by TTL."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

VERSION_KEY = "pipeline:kb-version"
TTL_S = 3600


def knowledge_version() -> int:
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def bump_knowledge_version(**_: object) -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)


def _key(intent: str, slugs: tuple[str, ...]) -> str:
    digest = hashlib.sha256(f"{intent}|{'|'.join(slugs)}".encode()).hexdigest()[:24]
    return f"pipeline:fast:{knowledge_version()}:{digest}"


def cached_answer(intent: str, slugs: tuple[str, ...]) -> str | None:
    return cache.get(_key(intent, slugs))


def store_answer(intent: str, slugs: tuple[str, ...], text: str) -> None:
    cache.set(_key(intent, slugs), text, timeout=TTL_S)
