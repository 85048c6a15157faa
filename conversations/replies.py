"""Getting a bot reply for a persisted customer message, off the consumer's receive() path.

Embedded defaults (no REDIS_URL): an asyncio task in the web process. With REDIS_URL: the Celery
task conversations.tasks.answer_message, enqueued after the message's commit. Either way the
reply's frames reach sockets through the channel layer (conversations.live).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from conversations.chat import handoff_frame
from conversations.live import LivePublisher
from conversations.models import Conversation, Message
from conversations.selectors import message_frame
from conversations.services import handoff_enqueue, message_create

logger = logging.getLogger(__name__)

# respond_to_message has its own PIPELINE_TIMEOUT_S; this outer limit only catches a respond
# that hangs outside the pipeline (the database, the channel layer).
OUTER_GRACE_S = 15.0
FALLBACK_TEXT = (
    "I'm sorry, something went wrong on my side and I couldn't finish this answer. "
    "I've passed your message to a member of our team, who will pick it up here."
)
FAILED_REASON = "the assistant failed to answer"
_running: set[asyncio.Task[None]] = set()


class ReplyFailed(Exception):
    """respond_to_message crashed or hung; carries the cause for the caller's retry policy."""


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
    from conversations.tasks import answer_message

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


async def reply_attempt(*, message_id: str, publish: LivePublisher) -> None:
    """One run of the pipeline for a message; ReplyFailed if respond itself crashed or hung."""
    from pipeline.respond import respond_to_message

    limit = settings.PIPELINE_TIMEOUT_S + OUTER_GRACE_S
    try:
        await asyncio.wait_for(respond_to_message(message_id=message_id, publish=publish), limit)
    except Exception as exc:
        raise ReplyFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        await publish.flush()


async def reply_answer(*, message_id: str, conversation_id: str) -> None:
    """reply_attempt, and on failure an honest fallback reply plus a place in the queue."""
    publish = LivePublisher(conversation_id)
    try:
        await reply_attempt(message_id=message_id, publish=publish)
    except ReplyFailed:
        logger.exception("answering message %s failed; sending the fallback", message_id)
        await reply_fallback(message_id=message_id, publish=publish)
    finally:
        await publish.aclose()


async def reply_fallback(*, message_id: str, publish: LivePublisher) -> None:
    """Finish the reply honestly. What was already streamed stays its start, so the deltas
    still add up to the final text."""
    from pipeline.respond import reply_id_for

    reply_id = str(reply_id_for(message_id))
    streamed = publish.sent_text(reply_id)
    text = f"{streamed} {FALLBACK_TEXT}" if streamed else FALLBACK_TEXT
    fallback = await sync_to_async(_fallback_persist)(
        message_id=message_id, reply_id=reply_id, text=text
    )
    if fallback is None:
        return
    if fallback.created:
        rest = text[len(streamed) :]
        await publish(
            {"type": "delta", "message_id": reply_id, "reply_to": message_id, "text": rest}
        )
    for frame in fallback.frames:
        await publish(frame)


@dataclass(frozen=True)
class _Fallback:
    created: bool
    frames: list[dict[str, Any]]


def _fallback_persist(*, message_id: str, reply_id: str, text: str) -> _Fallback | None:
    message = Message.objects.select_related("conversation").get(pk=message_id)
    if message.conversation.status == Conversation.Status.ASSIGNED:
        return None  # an agent owns the conversation and answers it
    with transaction.atomic():
        write = message_create(
            conversation_id=message.conversation_id,
            sender=Message.Sender.BOT,
            text=text,
            reply_to_id=message.pk,
            message_id=uuid.UUID(reply_id),
        )
        if not write.created:  # respond got as far as its reply: send that one again
            return _Fallback(False, [message_frame(write.message)])
        state = handoff_enqueue(conversation_id=message.conversation_id, reason=FAILED_REASON)
    return _Fallback(True, [message_frame(write.message), handoff_frame(state)])
