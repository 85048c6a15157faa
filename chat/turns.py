"""A turn of the conversation as the reply job sees it: the customer message loaded with what the
pipeline needs, and the outcome written back in one transaction (the bot's reply, the run's trace
with its model calls, the customer verified in the chat, the handoff when the run asks for one).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from conversations.live import publish_on_commit
from conversations.models import Message
from conversations.proposals import proposal_open, state_save
from conversations.selectors import TurnRecord, message_frame, turn_record
from conversations.services import (
    conversation_language_set,
    conversation_verify,
    message_create,
)
from desk.queue import handoff_enqueue
from pipeline.run import PipelineInput, pipeline_input_for
from pipeline.tracing import RunRecord, trace_save
from pipeline.types import ReplyDone


@dataclass(frozen=True)
class Turn:
    record: TurnRecord
    pipeline_input: PipelineInput

    @property
    def message_id(self) -> uuid.UUID:
        return self.record.message_id

    @property
    def conversation_id(self) -> uuid.UUID:
        return self.record.conversation_id


@dataclass(frozen=True)
class RunOutcome:
    reply_id: str
    text: str
    done: ReplyDone | None
    error: str
    latency_ms: float


@dataclass(frozen=True)
class ReplyWrite:
    message: Message
    created: bool  # False: a concurrent run answered first, and its reply and trace stand
    frames: tuple[dict[str, Any], ...] = ()  # what went to the sockets on commit, in order


def turn_load(*, message_id: str) -> Turn | None:
    record = turn_record(message_id=message_id)
    if record is None:
        return None
    return Turn(record=record, pipeline_input=pipeline_input_for(record))


def reply_persist(*, turn: Turn, outcome: RunOutcome) -> ReplyWrite:
    """Write the outcome. Its `message` frame, then any `proposal` or `handoff` frame, go to the
    customer's sockets when this commits; the caller has already flushed the reply's deltas.
    The flows' state is saved in the same transaction, so a restart resumes where it stood."""
    done = outcome.done
    handoff_reason = (
        "the assistant failed: " + outcome.error if done is None else done.handoff_reason
    )
    with transaction.atomic():
        write = message_create(
            conversation_id=turn.conversation_id,
            sender=Message.Sender.BOT,
            text=outcome.text,
            reply_to_id=turn.message_id,
            message_id=uuid.UUID(outcome.reply_id),
        )
        if not write.created:
            return ReplyWrite(write.message, created=False)
        frame = message_frame(write.message)
        if done is not None and done.degraded:
            frame["degraded"] = True
        publish_on_commit(turn.conversation_id, frame)
        if done is not None and done.verified_customer_id and turn.record.customer_id is None:
            conversation_verify(
                conversation_id=turn.conversation_id, customer_id=done.verified_customer_id
            )
        if done is not None and done.language != turn.record.language:
            conversation_language_set(conversation_id=turn.conversation_id, language=done.language)
        trace_save(
            RunRecord(
                conversation_id=turn.conversation_id,
                message_id=turn.message_id,
                reply_id=write.message.pk,
                customer_id=turn.record.customer_id,
                done=done,
                error=outcome.error,
                latency_ms=outcome.latency_ms,
                handoff_reason=handoff_reason,
            )
        )
        frames = [frame]
        if done is not None and done.flow_state is not None:
            state_save(conversation_id=turn.conversation_id, data=done.flow_state)
        if done is not None and done.proposal is not None and not handoff_reason:
            proposal = proposal_open(
                conversation_id=turn.conversation_id,
                name=done.proposal.name,
                arguments=done.proposal.args,
                summary=done.proposal.summary,
                reply_to_id=write.message.pk,
            )
            frames.append(proposal.frame())
        if handoff_reason:
            state = handoff_enqueue(
                conversation_id=turn.conversation_id,
                reason=handoff_reason,
                intent=done.intent.primary if done else "",
            )
            frames.append(state.frame())
    return ReplyWrite(write.message, created=True, frames=tuple(frames))
