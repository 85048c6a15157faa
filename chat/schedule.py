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

from chat.reply import reply_answer
from chat.tasks import answer_message

logger = logging.getLogger(__name__)

_running: set[asyncio.Task[None]] = set()


async def reply_schedule(*, message_id: uuid.UUID | str, conversation_id: uuid.UUID | str) -> None:
    """Start answering a just-persisted customer message; returns at once."""
    if settings.REDIS_URL:
        try:
            await sync_to_async(_enqueue)(message_id=str(message_id))
            return
        except (KombuError, RedisError, OSError) as exc:
            # The broker is down (Redis restarting): answer here rather than never.
            logger.warning("cannot enqueue %s (%s); answering in this process", message_id, exc)
    task = asyncio.get_running_loop().create_task(
        reply_answer(message_id=str(message_id), conversation_id=str(conversation_id))
    )
    _running.add(task)  # a strong reference: the loop keeps only weak ones
    task.add_done_callback(_task_done)


def _enqueue(*, message_id: str) -> None:
    # on_commit: a worker must never look for a message that is not committed yet.
    transaction.on_commit(lambda: answer_message.delay(message_id))


def _task_done(task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("reply task failed", exc_info=task.exception())


async def reply_tasks_wait() -> None:
    """Wait for the web process's reply tasks (tests, and a graceful shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
