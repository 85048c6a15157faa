"""Database side of a pipeline run: load the turn, persist the reply, its trace and any handoff.

Sync functions (the ORM): respond.py calls them through sync_to_async.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from conversations.models import Conversation, Message
from conversations.services import HandoffState, handoff_enqueue, message_create
from pipeline.models import ModelCall, PipelineTrace
from pipeline.router import LOW_CONFIDENCE
from pipeline.run import PipelineInput
from pipeline.types import ReplyDone
from support_bot.sql import insert
from support_bot.sql import sql_name as _q

_ORDER_REF = re.compile(r"(?:ORD-?|#|order\s+(?:number\s+|no\.?\s*)?)(\d{3,12})", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    customer_id: int | None
    status: str  # the conversation's
    existing_reply: Message | None
    pipeline_input: PipelineInput


@dataclass(frozen=True)
class RunOutcome:
    reply_id: str
    text: str
    done: ReplyDone | None
    error: str
    latency_ms: float


# load_turn runs once per customer message. Its three reads are hand-written: through the ORM
# they cost 1.8 ms of CPU a message on SQLite, mostly compiling the queries; as plain SQL, 0.1 ms.
_M, _C, _T = Message, Conversation, PipelineTrace
_TURN_SQL = (
    f"SELECT m.{_q(_M, 'seq')}, m.{_q(_M, 'text')}, c.{_q(_C, 'id')}, c.{_q(_C, 'customer')},"
    f" c.{_q(_C, 'verified_in_chat')}, c.{_q(_C, 'status')},"
    f" (SELECT r.{_q(_M, 'id')} FROM {_q(_M)} r"
    f"  WHERE r.{_q(_M, 'reply_to')} = m.{_q(_M, 'id')} AND r.{_q(_M, 'sender')} = %s)"
    f" FROM {_q(_M)} m JOIN {_q(_C)} c ON c.{_q(_C, 'id')} = m.{_q(_M, 'conversation')}"
    f" WHERE m.{_q(_M, 'id')} = %s AND m.{_q(_M, 'sender')} = %s"
)
_EARLIER_SQL = (
    f"SELECT {_q(_M, 'text')} FROM {_q(_M)}"
    f" WHERE {_q(_M, 'conversation')} = %s AND {_q(_M, 'sender')} = %s AND {_q(_M, 'seq')} < %s"
    f" ORDER BY {_q(_M, 'seq')} DESC LIMIT 10"
)
_RUNS_SQL = (
    f"SELECT {_q(_T, 'confidence')}, {_q(_T, 'outcome')} FROM {_q(_T)}"
    f" WHERE {_q(_T, 'conversation')} = %s ORDER BY {_q(_T, 'created_at')} DESC LIMIT 3"
)


def load_turn(*, message_id: str) -> Turn | None:
    """The message with its conversation (and its bot reply's id, if it has one), the texts of
    the customer's ten messages before it, and the outcome of the conversation's last runs."""
    customer, bot = Message.Sender.CUSTOMER, Message.Sender.BOT
    with connection.cursor() as cursor:
        message_key = Message._meta.pk.get_db_prep_value(message_id, connection)
        cursor.execute(_TURN_SQL, [bot, message_key, customer])
        row = cursor.fetchone()
        if row is None:
            return None
        seq, text, conversation_key, customer_id, verified, status, reply_key = row
        cursor.execute(_EARLIER_SQL, [conversation_key, customer, seq])
        earlier = [earlier_text for (earlier_text,) in cursor.fetchall()]
        cursor.execute(_RUNS_SQL, [conversation_key])
        runs = cursor.fetchall()
    refs = tuple(
        dict.fromkeys(ref for earlier_text in earlier for ref in _ORDER_REF.findall(earlier_text))
    )
    conversation_id = Conversation._meta.pk.to_python(conversation_key)
    given = PipelineInput(
        text=text,
        conversation_id=str(conversation_id),
        customer_id=customer_id,
        verified_in_chat=bool(verified),
        earlier_order_refs=refs,
        low_confidence_streak=_streak(runs, lambda run: run[0] < LOW_CONFIDENCE),
        failure_streak=_streak(runs, lambda run: run[1] == PipelineTrace.Outcome.FAILED),
    )
    existing = Message.objects.get(pk=reply_key) if reply_key is not None else None
    return Turn(
        message_id=Message._meta.pk.to_python(message_id),
        conversation_id=conversation_id,
        customer_id=customer_id,
        status=status,
        existing_reply=existing,
        pipeline_input=given,
    )


def _streak(runs: list[tuple[float, str]], test) -> int:
    count = 0
    for run in runs:
        if not test(run):
            break
        count += 1
    return count


def persist_outcome(*, turn: Turn, outcome: RunOutcome) -> tuple[Message, HandoffState | None]:
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
            message_id=outcome.reply_id,
        )
        reply = write.message
        if not write.created:  # a concurrent run answered first: its reply and trace stand
            return reply, None
        if done is not None and done.verified_customer_id and turn.customer_id is None:
            Conversation.objects.filter(pk=turn.conversation_id).update(
                customer_id=done.verified_customer_id, verified_in_chat=True
            )
        _save_trace(turn, outcome, reply, handoff_reason)
        handoff = (
            handoff_enqueue(
                conversation_id=turn.conversation_id,
                reason=handoff_reason,
                intent=done.intent.primary if done else "",
            )
            if handoff_reason
            else None
        )
    return reply, handoff


def _save_trace(
    turn: Turn, outcome: RunOutcome, reply: Message, handoff_reason: str | None
) -> None:
    done = outcome.done
    stages = list(done.stages) if done else []
    calls = [call for stage in stages for call in stage.detail.get("calls", [])]
    trace = PipelineTrace(
        conversation_id=turn.conversation_id,
        message_id=turn.message_id,
        reply=reply,
        customer_id=turn.customer_id or (done.verified_customer_id if done else None),
        lane=done.lane if done else "human",
        intent=done.intent.primary if done else "",
        secondary_intents=list(done.intent.secondary) if done else [],
        confidence=done.intent.confidence if done else 0,
        outcome=_outcome(done, handoff_reason),
        handoff_reason=(handoff_reason or "")[:200],
        degraded=bool(done and done.degraded),
        cached=bool(done and done.cached),
        latency_ms=outcome.latency_ms,
        model_ms=sum(s.latency_ms for s in stages if s.model != "rules"),
        prompt_tokens=sum(s.prompt_tokens for s in stages),
        completion_tokens=sum(s.completion_tokens for s in stages),
        reasoning_tokens=sum(s.reasoning_tokens for s in stages),
        cost_usd=Decimal(str(round(sum(s.cost_usd for s in stages), 6))),
        retries=sum(s.retries for s in stages),
        repairs=sum(s.repairs for s in stages),
        verifier_rejections=sum(len(s.detail.get("rejections", [])) for s in stages),
        facts=_jsonable(done.facts) if done and done.facts else {},
        plan=_jsonable(done.plan) if done and done.plan else {},
        stages=[_stage_json(s) for s in stages],
        error=outcome.error,
    )
    insert([trace])
    insert(
        [
            ModelCall(
                trace=trace,
                stage=c.stage,
                model=c.model,
                provider=c.provider,
                attempt=c.attempt,
                prompt_tokens=c.usage.prompt_tokens,
                completion_tokens=c.usage.completion_tokens,
                reasoning_tokens=c.usage.reasoning_tokens,
                latency_ms=c.latency_ms,
                ttft_ms=c.ttft_ms,
                cost_usd=Decimal(str(round(c.cost_usd, 6))),
                outcome=c.outcome,
                error=(c.error or "")[:300],
            )
            for c in calls
        ]
    )


def _outcome(done: ReplyDone | None, handoff_reason: str | None) -> str:
    if done is None:
        return PipelineTrace.Outcome.FAILED
    return PipelineTrace.Outcome.HANDOFF if handoff_reason else PipelineTrace.Outcome.ANSWERED


def _stage_json(stage: Any) -> dict[str, Any]:
    data = {
        f.name: _jsonable(getattr(stage, f.name))
        for f in dataclasses.fields(stage)
        if f.name != "detail"
    }
    data["detail"] = _jsonable({k: v for k, v in stage.detail.items() if k != "calls"})
    data["calls"] = len(stage.detail.get("calls", []))
    return data


def _jsonable(value: Any) -> Any:
    """JSON-ready in one pass: dataclasses become dicts (like dataclasses.asdict, without its
    deep copies), dates, decimals and the like become strings."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)
