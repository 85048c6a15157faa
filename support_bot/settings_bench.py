"""The production settings, for the processes the `scale` bench section starts, with two names
of their own on the shared Redis: the Celery queue and the cache's key prefix.

The bench runs on the Redis that REDIS_URL names, which other work may use too (a CI run, a
developer's stack): without a queue of its own, another worker on that Redis could take the
bench's replies (and look for their messages in another database), and a cached rules
snapshot of another database could answer the bench's chats. Both names come from the bench's
own database, which every process of one run shares, so no other variable is read. Neither
changes what a reply costs.
"""

from __future__ import annotations

from support_bot.settings import *  # noqa: F403  (the production settings, as they are)
from support_bot.settings import CACHES, DATABASES

BENCH_RUN = f"bench-scale-{DATABASES['default']['NAME']}"
CELERY_TASK_DEFAULT_QUEUE = BENCH_RUN
CACHES = {**CACHES, "default": {**CACHES["default"], "KEY_PREFIX": BENCH_RUN}}
