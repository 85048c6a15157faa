"""Traces of the pipeline: each stage's (model, tokens, latency, cost, retries) from the gateway's
completions, and each run's, saved with its model calls beside the reply it produced."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from llm.types import Completion
from pipeline.models import ModelCall, PipelineTrace
from pipeline.types import ReplyDone, StageDetail, StageTrace
from support_bot.sql import sql_name


def stage_trace(
    stage: str,
    completions: Sequence[Completion],
    *,
    repairs: int = 0,
    detail: StageDetail | None = None,
) -> StageTrace:
    last = completions[-1]
    calls = [call for c in completions for call in c.calls]
    return StageTrace(
        stage=stage,
        model=last.model,
        offline=last.offline,
        latency_ms=sum(c.latency_ms for c in completions),
        prompt_tokens=sum(c.usage.prompt_tokens for c in completions),
        completion_tokens=sum(c.usage.completion_tokens for c in completions),
        reasoning_tokens=sum(c.usage.reasoning_tokens for c in completions),
        cost_usd=sum(c.cost_usd for c in completions),
        retries=sum(1 for call in calls if call.provider == "remote" and call.attempt > 1),
        repairs=repairs,
        detail=dataclasses.replace(
            detail or StageDetail(),
            calls=tuple(calls),
            degraded=any(c.degraded for c in completions),
        ),
    )


def no_model_trace(stage: str, latency_ms: float, detail: StageDetail | None = None) -> StageTrace:
    return StageTrace(
        stage=stage,
        model="rules",
        offline=True,
        latency_ms=latency_ms,
        detail=detail or StageDetail(),
    )


@dataclass(frozen=True)
class RunRecord:
    """One pipeline run as the trace stores it."""

    conversation_id: uuid.UUID
    message_id: uuid.UUID
    reply_id: uuid.UUID | str
    customer_id: int | None
    done: ReplyDone | None
    error: str
    latency_ms: float
    handoff_reason: str | None


def trace_save(run: RunRecord) -> PipelineTrace:
    """The run's trace and its model calls (call inside the reply's transaction)."""
    done, handoff_reason = run.done, run.handoff_reason
    stages = list(done.stages) if done else []
    calls = [call for stage in stages for call in stage.detail.calls]
    trace = PipelineTrace(
        conversation_id=run.conversation_id,
        message_id=run.message_id,
        reply_id=run.reply_id,
        customer_id=run.customer_id or (done.verified_customer_id if done else None),
        lane=done.lane if done else "human",
        intent=done.intent.primary if done else "",
        secondary_intents=list(done.intent.secondary) if done else [],
        confidence=done.intent.confidence if done else 0,
        outcome=_outcome(done, handoff_reason),
        handoff_reason=(handoff_reason or "")[:200],
        degraded=bool(done and done.degraded),
        cached=bool(done and done.cached),
        latency_ms=run.latency_ms,
        model_ms=sum(s.latency_ms for s in stages if s.model != "rules"),
        prompt_tokens=sum(s.prompt_tokens for s in stages),
        completion_tokens=sum(s.completion_tokens for s in stages),
        reasoning_tokens=sum(s.reasoning_tokens for s in stages),
        cost_usd=Decimal(str(round(sum(s.cost_usd for s in stages), 6))),
        retries=sum(s.retries for s in stages),
        repairs=sum(s.repairs for s in stages),
        verifier_rejections=sum(len(s.detail.rejections) for s in stages),
        facts=jsonable(done.facts) if done and done.facts else {},
        plan=jsonable(done.plan) if done and done.plan else {},
        stages=[_stage_json(s) for s in stages],
        error=run.error,
    )
    PipelineTrace.objects.bulk_create([trace])
    ModelCall.objects.bulk_create(
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
    return trace


def _outcome(done: ReplyDone | None, handoff_reason: str | None) -> str:
    if done is None:
        return PipelineTrace.Outcome.FAILED
    return PipelineTrace.Outcome.HANDOFF if handoff_reason else PipelineTrace.Outcome.ANSWERED


def _stage_json(stage: Any) -> dict[str, Any]:
    data = {
        f.name: jsonable(getattr(stage, f.name))
        for f in dataclasses.fields(stage)
        if f.name != "detail"
    }
    data["detail"] = jsonable(stage.detail.saved())
    data["calls"] = len(stage.detail.calls)
    return data


def jsonable(value: Any) -> Any:
    """JSON-ready in one pass: dataclasses become dicts (like dataclasses.asdict, without its
    deep copies), dates, decimals and the like become strings."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


_T = PipelineTrace
_RUNS_SQL = (
    f"SELECT {sql_name(_T, 'confidence')}, {sql_name(_T, 'outcome')} FROM {sql_name(_T)}"
    f" WHERE {sql_name(_T, 'conversation')} = %s ORDER BY {sql_name(_T, 'created_at')} DESC LIMIT 3"
)


@dataclass(frozen=True)
class RunStreaks:
    """How many of the conversation's latest runs in a row were unsure, and failed."""

    low_confidence: int
    failures: int


def run_streaks(*, conversation_id: uuid.UUID | str, low_confidence: float) -> RunStreaks:
    with connection.cursor() as cursor:
        key = PipelineTrace._meta.get_field("conversation").get_db_prep_value(
            conversation_id, connection
        )
        cursor.execute(_RUNS_SQL, [key])
        runs = cursor.fetchall()
    return RunStreaks(
        low_confidence=_streak(runs, lambda run: run[0] < low_confidence),
        failures=_streak(runs, lambda run: run[1] == PipelineTrace.Outcome.FAILED),
    )


def _streak(runs: list[tuple[float, str]], test: Callable[[tuple[float, str]], bool]) -> int:
    count = 0
    for run in runs:
        if not test(run):
            break
        count += 1
    return count
