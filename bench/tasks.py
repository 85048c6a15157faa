"""The Celery bench's task: it only notes when it started, so what is measured is the queue.

The worker finds it through the app's autodiscovery (bench is an installed app). Each run
writes "seq enqueued started" to a Redis list named by the bench, read back after the run.
"""

from __future__ import annotations

import time

import redis
from celery import shared_task
from django.conf import settings

_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    """One connection per worker process, made on first use (after the prefork fork)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


@shared_task(ignore_result=True)
def stamp(seq: int, enqueued_at: float, result_key: str) -> None:
    """Take the start time first: everything after it is outside the measured latency."""
    started_at = time.time()
    _redis().rpush(result_key, f"{seq} {enqueued_at!r} {started_at!r}")
