"""The reply job: answer one persisted customer message, exactly once, and publish the protocol's
frames (status lines, the streamed deltas, the final message, a handoff).

Run by the web process's background task (chat.schedule, embedded defaults), the Celery worker
(chat.tasks, with REDIS_URL) and the terminal chat alike. Never silent: a pipeline that fails or
hangs still ends in an honest reply and a place in the human queue.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction

from chat.turns import ReplyWrite, RunOutcome, reply_persist, turn_load
from conversations.live import LivePublisher, publish_on_commit, stream_shown_text
from conversations.models import Conversation, Message
from conversations.selectors import message_frame
from conversations.services import message_create
from desk.queue import handoff_enqueue
from pipeline.run import PipelineInput, run_pipeline
from pipeline.types import ReplyDelta, ReplyDone, StageStatus

logger = logging.getLogger(__name__)
Publish = Callable[[dict[str, Any]], Awaitable[None]]
REPLY_NAMESPACE = uuid.UUID("5d1c2b8e-3f4a-4b6c-9d7e-8f9a0b1c2d3e")
FALLBACK_TEXT = (
    "I'm sorry, something went wrong on my side while I was working on this. "
    "I've passed your message to a member of our team, who will pick it up here."
)


def reply_id_for(message_id: str | uuid.UUID) -> uuid.UUID:
    """The bot reply's id is fixed by the message it answers, so a retried run cannot fork it."""
    return uuid.uuid5(REPLY_NAMESPACE, str(message_id))


@dataclass
class _Stream:
    """The reply's deltas. `shown` is what an earlier, dead run of this reply already streamed
    (conversations.live keeps it): customers may have seen it, so it stays the reply's start.
    While this run's text repeats it, nothing is sent; the first piece that goes past it or
    departs from it is sent, and the rest follows. The deltas still add up to `text`."""

    publish: Publish
    message_id: str
    reply_id: str
    index: int = 0
    text: str = ""
    shown: str = ""
    generated: str | None = ""  # this run's text while it only repeats `shown`; then None

    def __post_init__(self) -> None:
        self.text = self.shown

    async def delta(self, piece: str) -> None:
        if not piece:
            return
        if self.generated is not None:
            piece = self._beyond_shown(piece)
            if not piece:
                return
        self.text += piece
        frame = {
            "type": "delta",
            "message_id": self.reply_id,
            "reply_to": self.message_id,
            "index": self.index,
            "text": piece,
        }
        self.index += 1
        await self.publish(frame)

    def _beyond_shown(self, piece: str) -> str:
        """The part of this run's piece that the customer has not been shown yet."""
        generated = self.generated + piece
        if self.shown.startswith(generated):
            self.generated = generated  # a repeat of what is on screen already
            return ""
        self.generated = None  # past or away from what was shown: stream freely from here
        if generated.startswith(self.shown):
            return generated[len(self.shown) :]
        return piece


async def respond_to_message(
    *,
    message_id: str,
    publish: Publish,
    timeout_s: float | None = None,
    now: dt.datetime | None = None,
) -> None:
    """`now` is the clock a replayed case runs on (chat.dialogues); None: the real time."""
    turn = await sync_to_async(turn_load)(message_id=message_id)
    if turn is None:
        return
    if now is not None:
        turn = dataclasses.replace(
            turn, pipeline_input=dataclasses.replace(turn.pipeline_input, now=now)
        )
    if turn.record.existing_reply is not None:
        await publish(message_frame(turn.record.existing_reply))
        return
    if turn.record.status == Conversation.Status.ASSIGNED:
        return  # a human owns the conversation: the bot stays silent
    reply_id = str(reply_id_for(message_id))
    shown = await _shown_before(turn.conversation_id, str(message_id), reply_id)
    stream = _Stream(publish, str(message_id), reply_id, shown=shown)
    started = time.perf_counter()
    done, error = await _run(turn.pipeline_input, stream, timeout_s or settings.PIPELINE_TIMEOUT_S)
    if done is None:
        await stream.delta((" " if stream.text else "") + FALLBACK_TEXT)
    outcome = RunOutcome(
        reply_id=stream.reply_id,
        text=stream.text,
        done=done,
        error=error,
        latency_ms=(time.perf_counter() - started) * 1000,
    )
    await _flush(publish)  # every delta out before the final message that ends them
    write = await sync_to_async(reply_persist)(turn=turn, outcome=outcome)
    await _written(publish, write)


async def _flush(publish: Publish) -> None:
    if isinstance(publish, LivePublisher):
        await publish.flush()


async def _written(publish: Publish, write: ReplyWrite) -> None:
    """The reply is written. Its frames went to the conversation's sockets on commit; a live
    publisher only forgets its resume buffer, another listener (the terminal chat, a replay) is
    handed them. A reply a concurrent run wrote first is sent again."""
    if not write.created:
        await publish(message_frame(write.message))
    elif isinstance(publish, LivePublisher):
        await publish.finished(write.frames[0])
    else:
        for frame in write.frames:
            await publish(frame)


async def _shown_before(conversation_id: Any, message_id: str, reply_id: str) -> str:
    try:
        return await stream_shown_text(conversation_id, message_id, reply_id)
    except Exception:  # the cache is down: then no socket could have been sent a delta either
        logger.warning("no stream buffer for %s", message_id, exc_info=True)
        return ""


async def _run(
    given: PipelineInput, stream: _Stream, timeout_s: float
) -> tuple[ReplyDone | None, str]:
    done = None
    try:
        async with asyncio.timeout(timeout_s):
            async for event in run_pipeline(given):
                if isinstance(event, StageStatus):
                    await stream.publish(
                        {
                            "type": "status",
                            "reply_to": stream.message_id,
                            "stage": event.stage,
                            "text": event.text,
                        }
                    )
                elif isinstance(event, ReplyDelta):
                    await stream.delta(event.text)
                elif isinstance(event, ReplyDone):
                    done = event
    except TimeoutError:
        logger.warning(
            "pipeline timed out after %.0fs for message %s", timeout_s, stream.message_id
        )
        return None, f"timed out after {timeout_s:.0f}s"
    except Exception as exc:  # never silence: any failure ends in a fallback reply and a handoff
        logger.exception("pipeline failed for message %s", stream.message_id)
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return done, ""


# respond_to_message has its own PIPELINE_TIMEOUT_S; this outer limit only catches a respond
# that hangs outside the pipeline (the database, the channel layer).
OUTER_GRACE_S = 15.0
FALLBACK_REASON = "the assistant failed to answer"
OUTER_FALLBACK_TEXT = (
    "I'm sorry, something went wrong on my side and I couldn't finish this answer. "
    "I've passed your message to a member of our team, who will pick it up here."
)


class ReplyFailed(Exception):
    """respond_to_message crashed or hung; carries the cause for the caller's retry policy."""


async def reply_attempt(*, message_id: str, publish: LivePublisher) -> None:
    """One run of the pipeline for a message; ReplyFailed if respond itself crashed or hung."""
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
    reply_id = str(reply_id_for(message_id))
    message = await Message.objects.select_related("conversation").aget(pk=message_id)
    if message.conversation.status == Conversation.Status.ASSIGNED:
        return  # an agent owns the conversation and answers it
    existing = await Message.objects.filter(pk=reply_id).afirst()
    if existing is not None:  # respond got as far as its reply: send that one again
        await publish(message_frame(existing))
        return
    streamed = publish.sent_text(reply_id)
    text = f"{streamed} {OUTER_FALLBACK_TEXT}" if streamed else OUTER_FALLBACK_TEXT
    rest = text[len(streamed) :]
    await publish({"type": "delta", "message_id": reply_id, "reply_to": message_id, "text": rest})
    await publish.flush()
    write = await sync_to_async(reply_fallback_persist)(
        message=message, reply_id=reply_id, text=text
    )
    await _written(publish, write)


def reply_fallback_persist(
    *, message: Message, reply_id: str, text: str, reason: str = FALLBACK_REASON
) -> ReplyWrite:
    """The honest reply that ends a turn the bot could not answer, and a place in the queue."""
    with transaction.atomic():
        write = message_create(
            conversation_id=message.conversation_id,
            sender=Message.Sender.BOT,
            text=text,
            reply_to_id=message.pk,
            message_id=uuid.UUID(reply_id),
        )
        if not write.created:
            return ReplyWrite(write.message, created=False)
        frame = message_frame(write.message)
        publish_on_commit(message.conversation_id, frame)
        state = handoff_enqueue(conversation_id=message.conversation_id, reason=reason)
    return ReplyWrite(write.message, created=True, frames=(frame, state.frame()))
