"""Getting a bot reply for a persisted customer message, off the consumer's receive() path.

Embedded defaults (no REDIS_URL): an asyncio task in the web process. With REDIS_URL: the Celery
task chat.tasks.answer_message, enqueued after the message's commit. Either way the
reply's frames reach sockets through the channel layer (conversations.live).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from chat.recovery import reply_lease_take
from chat.reply import reply_answer
from chat.tasks import answer_message

logger = logging.getLogger(__name__)

_running: set[asyncio.Task[None]] = set()


async def reply_schedule(*, message_id: uuid.UUID | str, conversation_id: uuid.UUID | str) -> None:
    """Start answering a persisted customer message, unless a live process already is; returns
    at once."""
    if settings.REDIS_URL:
        try:
            await sync_to_async(_enqueue)(message_id=str(message_id))
            return
        except (KombuError, RedisError, OSError) as exc:
            # The broker is down (Redis restarting): answer here rather than never.
            logger.warning("cannot enqueue %s (%s); answering in this process", message_id, exc)
    # Taken before the task exists, so the recovery sweep never sees a scheduled reply as lost.
    if not await _lease_take(message_id):
        return
    task = asyncio.get_running_loop().create_task(
        reply_answer(message_id=str(message_id), conversation_id=str(conversation_id))
    )
    _running.add(task)  # a strong reference: the loop keeps only weak ones
    task.add_done_callback(_task_done)


async def _lease_take(message_id: uuid.UUID | str) -> bool:
    try:
        return await reply_lease_take(message_id)
    except (RedisError, OSError):  # no lease without the cache: answering twice beats never
        logger.warning("no reply lease for %s; answering anyway", message_id, exc_info=True)
        return True


def _enqueue(*, message_id: str) -> None:
    # on_commit: a worker must never look for a message that is not committed yet.
    transaction.on_commit(lambda: answer_message.delay(message_id))


def _task_done(task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("reply task failed", exc_info=task.exception())


async def reply_tasks_wait(timeout_s: float | None = None) -> bool:
    """Wait for the web process's reply tasks (tests, and a graceful shutdown); False if some
    still run after `timeout_s`. They are not cancelled: a shutdown leaves them to the restart."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout_s is None else loop.time() + timeout_s
    while _running:
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left <= 0:
            return False
        await asyncio.wait(list(_running), timeout=left)
    return True


def reply_tasks_running() -> int:
    return len(_running)
