"""Celery tasks: the bot's reply to one customer message, when REDIS_URL puts it on a worker."""

from __future__ import annotations

import datetime as dt
import logging
import time

import redis.exceptions
from celery import shared_task
from channels.db import aclose_old_connections
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from chat.recovery import (
    abandoned_messages,
    message_hand_over,
    reply_lease_hold,
    reply_lease_take_sync,
)
from chat.reply import OUTER_GRACE_S, ReplyFailed, reply_attempt, reply_fallback
from conversations.live import LivePublisher
from conversations.models import Message
from support_bot import worker_loop

logger = logging.getLogger(__name__)

# Worth another attempt: the database or Redis went away for a moment.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)
MAX_RETRIES = 6


def retry_countdown(retries: int) -> int:
    return min(60, 2**retries)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def answer_message(message_id: str) -> None:
    """Idempotent: a redelivered or retried run finds the reply already written and only
    publishes it again (respond_to_message guarantees it).

    A transient failure is retried here, in the worker, after a backoff, rather than by
    Celery's retry: that sends a new message through the broker, and when Redis is what went
    away the retry is refused and the customer's message is never answered (found by
    tests/chaos, Redis restarted under traffic)."""
    for attempt in range(MAX_RETRIES + 1):
        try:
            _lease_hold(message_id)
            worker_loop.run(_answer, message_id, attempt >= MAX_RETRIES)
            return
        except TRANSIENT_ERRORS as exc:
            if attempt >= MAX_RETRIES:
                raise
            logger.warning("answer_message %s: %s; retrying", message_id, exc, exc_info=True)
            time.sleep(retry_countdown(attempt))


def _lease_hold(message_id: str) -> None:
    """The recovery sweeps leave the message alone while this run may be working on it."""
    try:
        reply_lease_hold(message_id)
    except TRANSIENT_ERRORS:  # Redis is away: the run goes on, a sweep may requeue it
        logger.warning("answer_message %s: no lease", message_id, exc_info=True)


async def _answer(message_id: str, last_attempt: bool) -> None:
    # On a worker's shared loop the ORM runs on asgiref's one sync thread, outside Celery's
    # per-task connection care: drop a connection that broke or aged out, as Channels does.
    await aclose_old_connections()
    try:
        await _answer_now(message_id, last_attempt)
    finally:
        await aclose_old_connections()


async def _answer_now(message_id: str, last_attempt: bool) -> None:
    conversation_id = await _conversation_id(message_id)
    if conversation_id is None:
        logger.error("answer_message: no customer message %s", message_id)
        return
    publish = LivePublisher(conversation_id)
    try:
        await reply_attempt(message_id=message_id, publish=publish)
    except ReplyFailed as exc:
        if isinstance(exc.__cause__, TRANSIENT_ERRORS) and not last_attempt:
            raise exc.__cause__ from exc
        logger.exception("answering message %s failed; sending the fallback", message_id)
        await reply_fallback(message_id=message_id, publish=publish)
    finally:
        await publish.aclose()


async def _conversation_id(message_id: str) -> str | None:
    found = (
        await Message.objects.filter(pk=message_id)
        .values_list("conversation_id", flat=True)
        .afirst()
    )
    return str(found) if found else None


# With the broker, a message may wait in its queue before a worker starts it (and takes its
# lease): it counts as lost only past the pipeline's own limit and the outer grace, twice over.
SWEEP_AFTER = dt.timedelta(seconds=2 * (settings.PIPELINE_TIMEOUT_S + OUTER_GRACE_S))


@shared_task
def unanswered_sweep() -> int:
    """Re-queue what nobody answered (Celery beat, every minute); a message waiting longer than
    chat.recovery.HAND_OVER_AFTER goes to a person instead. answer_message is idempotent, so a
    message answered meanwhile costs one lookup, not a second reply."""
    found = abandoned_messages(now=timezone.now(), settled=SWEEP_AFTER)
    for item in found:
        if not item.late:
            answer_message.delay(item.message_id)
        elif reply_lease_take_sync(item.message_id):
            message_hand_over(message_id=item.message_id)
    if found:
        logger.warning("re-queued or handed over %d unanswered customer messages", len(found))
    return len(found)
