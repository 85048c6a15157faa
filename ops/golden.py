"""Golden cases: a transcript turn frozen with the data behind it, replayed as a regression test.

Promotion stores the customer's text, the clock (the message's time), a snapshot of everything
the pipeline read (the customer and tier, their orders with items, shipments, scans and refunds,
the store policy, tiers, shipping and expedite options, the knowledge base) and what each stage
produced, read from the run's trace.

Replay restores the snapshot inside a transaction that is always rolled back, runs the pipeline
at the case's clock on a private cache, and compares stage by stage. Live rows are never
committed to, and the fast lane's shared answer cache never sees snapshot data.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import models, transaction

from chat.turns import turn_load
from conversations.models import Conversation
from llm.config import load_config
from llm.gateway import Gateway
from ops import snapshot as snapshots
from ops.models import GoldenCase
from pipeline.models import PipelineTrace
from pipeline.rules.router import LOW_CONFIDENCE
from pipeline.run import PipelineInput, run_pipeline
from pipeline.tracing import jsonable as trace_jsonable  # the trace's own JSON form, for parity
from pipeline.types import ReplyDone

STAGES = ("intent", "retrieval", "reasoning", "empathy")
SIGNED_IN = {"signed_in", "verified_before"}


# -- promotion --


@dataclass(frozen=True)
class Promotion:
    conversation_id: uuid.UUID
    case: GoldenCase | None
    skipped: str = ""


def golden_case_promote(
    *, conversation_id: uuid.UUID, actor_id: int | None = None, message_id: uuid.UUID | None = None
) -> Promotion:
    """Promote one answered customer message (by default the conversation's latest)."""
    conversation = Conversation.objects.get(pk=conversation_id)
    if conversation.anonymised_at is not None:
        return Promotion(conversation.pk, None, "its transcript was erased")
    traces = (
        PipelineTrace.objects.filter(conversation=conversation, reply__isnull=False)
        .exclude(outcome=PipelineTrace.Outcome.FAILED)
        .select_related("message", "reply", "customer__tier")
    )
    if message_id is not None:
        traces = traces.filter(message_id=message_id)
    trace = traces.order_by("-message__seq").first()
    if trace is None:
        return Promotion(conversation.pk, None, "no answered customer message with a trace")
    if GoldenCase.objects.filter(message=trace.message).exists():
        return Promotion(conversation.pk, None, "that message is already a golden case")
    given = _input_at(trace)
    customer = trace.customer or conversation.customer
    clock = trace.message.created_at
    case = GoldenCase.objects.create(
        name=f"{trace.intent or 'unknown'}: {trace.message.text[:100]}",
        conversation=conversation,
        message=trace.message,
        customer_text=trace.message.text,
        customer_email=customer.email if customer and given["signed_in"] else "",
        now=clock,
        snapshot={"input": given, **snapshots.capture(customer=customer, clock=clock)},
        expected=expected_from_trace(trace),
        created_by_id=actor_id,
    )
    return Promotion(conversation.pk, case)


def _input_at(trace: PipelineTrace) -> dict[str, Any]:
    """What the run knew before the message: identity, earlier order numbers, streaks."""
    verification = _queries_detail(trace.stages).get("verification", "")
    turn = turn_load(message_id=str(trace.message_id))
    earlier = list(
        PipelineTrace.objects.filter(
            conversation_id=trace.conversation_id, message__seq__lt=trace.message.seq
        ).order_by("-message__seq")[:3]
    )
    return {
        "signed_in": verification in SIGNED_IN,
        "verified_in_chat": verification == "verified_before",
        "earlier_order_refs": list(turn.pipeline_input.earlier_order_refs) if turn else [],
        "low_confidence_streak": _streak(earlier, lambda t: t.confidence < LOW_CONFIDENCE),
        "failure_streak": _streak(earlier, lambda t: t.outcome == PipelineTrace.Outcome.FAILED),
    }


def _streak(traces: list[PipelineTrace], test: Any) -> int:
    count = 0
    for trace in traces:
        if not test(trace):
            break
        count += 1
    return count


# -- what each stage produced --


def expected_from_trace(trace: PipelineTrace) -> dict[str, Any]:
    return _stage_results(
        primary=trace.intent,
        secondary=list(trace.secondary_intents),
        queries=_queries_detail(trace.stages),
        facts=trace.facts,
        lane=trace.lane,
        handoff_reason=trace.handoff_reason or None,
        plan=trace.plan,
        reply=trace.reply.text if trace.reply else "",
    )


def observed_from_done(done: ReplyDone) -> dict[str, Any]:
    stages = [{"stage": s.stage, "detail": s.detail.saved()} for s in done.stages]
    return _stage_results(
        primary=done.intent.primary,
        secondary=list(done.intent.secondary),
        queries=trace_jsonable(_queries_detail(stages)),
        facts=trace_jsonable(dataclasses.asdict(done.facts)) if done.facts else {},
        lane=done.lane,
        handoff_reason=(done.handoff_reason or "")[:200] or None,
        plan=trace_jsonable(dataclasses.asdict(done.plan)) if done.plan else {},
        reply=done.text,
    )


def _queries_detail(stages: list[dict[str, Any]]) -> dict[str, Any]:
    return next((s.get("detail") or {} for s in stages if s.get("stage") == "queries"), {})


def _stage_results(
    *,
    primary: str,
    secondary: list[str],
    queries: dict[str, Any],
    facts: dict[str, Any],
    lane: str,
    handoff_reason: str | None,
    plan: dict[str, Any],
    reply: str,
) -> dict[str, Any]:
    """Key results per stage. Plan wording is left to the empathy reply; the plan is compared
    by its decisions (each action's kind, amount and date)."""
    return {
        "intent": {"primary": primary, "secondary": secondary},
        "retrieval": {
            "verification": queries.get("verification"),
            "order": queries.get("order"),
            "articles": queries.get("articles", []),
            "facts": facts,
        },
        "reasoning": {
            "lane": lane,
            "handoff_reason": handoff_reason,
            "actions": [
                {"kind": s.get("kind"), "amount": s.get("amount"), "date": s.get("date")}
                for s in plan.get("steps", [])
            ],
        },
        "empathy": {"reply": reply},
    }


# -- replay --


@dataclass(frozen=True)
class CaseReport:
    case_id: int
    name: str
    diffs: dict[str, dict[str, tuple[Any, Any]]]
    error: str = ""

    @property
    def changed_stages(self) -> list[str]:
        return [stage for stage in STAGES if self.diffs.get(stage)]

    @property
    def changed(self) -> bool:
        return bool(self.error or self.changed_stages)

    @property
    def first_changed(self) -> str | None:
        stages = self.changed_stages
        return stages[0] if stages else ("error" if self.error else None)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "name": self.name,
            "changed": self.changed,
            "first_changed": self.first_changed,
            "changed_stages": self.changed_stages,
            "error": self.error or None,
            "diffs": {
                stage: {path: {"expected": e, "actual": a} for path, (e, a) in paths.items()}
                for stage, paths in self.diffs.items()
                if paths
            },
        }


def golden_cases_replay(cases: models.QuerySet[GoldenCase] | None = None) -> list[CaseReport]:
    cases = GoldenCase.objects.order_by("pk") if cases is None else cases
    return [golden_case_replay(case) for case in cases]


def golden_case_replay(case: GoldenCase) -> CaseReport:
    try:
        observed = _observe(case)
    except Exception as exc:  # a crash is a change too; report it with the others
        return CaseReport(case.pk, case.name, {}, error=f"{type(exc).__name__}: {exc}"[:500])
    diffs = {
        stage: _diff(case.expected.get(stage, {}), observed.get(stage, {})) for stage in STAGES
    }
    return CaseReport(case.pk, case.name, diffs)


def _observe(case: GoldenCase) -> dict[str, Any]:
    """Restore, replay, and always roll back. The pipeline's ORM calls run through
    sync_to_async(thread_sensitive=True), which async_to_sync routes back to this thread, so they
    see (and write) only this uncommitted transaction."""
    with private_cache() as cache, transaction.atomic():
        try:
            customer_id = snapshots.restore(case.snapshot)
            given = _pipeline_input(case, customer_id)
            done = async_to_sync(_run)(given, Gateway(load_config(), cache=cache))
        finally:
            transaction.set_rollback(True)
    if done is None:
        raise RuntimeError("the pipeline ended without a reply")
    return observed_from_done(done)


def _pipeline_input(case: GoldenCase, customer_id: int | None) -> PipelineInput:
    given = case.snapshot.get("input", {})
    return PipelineInput(
        text=case.customer_text,
        conversation_id=str(uuid.uuid4()),
        customer_id=customer_id if given.get("signed_in") else None,
        verified_in_chat=bool(given.get("verified_in_chat")),
        earlier_order_refs=tuple(given.get("earlier_order_refs", ())),
        low_confidence_streak=int(given.get("low_confidence_streak", 0)),
        failure_streak=int(given.get("failure_streak", 0)),
        now=case.now,
    )


async def _run(given: PipelineInput, gateway: Gateway) -> ReplyDone | None:
    done = None
    try:
        async for event in run_pipeline(given, gateway=gateway):
            if isinstance(event, ReplyDone):
                done = event
    finally:
        await gateway.aclose()
    return done


@contextmanager
def private_cache() -> Iterator[LocMemCache]:
    """Swap the default cache for a private one: the fast lane's answers, the knowledge-version
    bumps fired by restoring policy rows, and customer budgets all stay out of the shared cache."""
    live = caches["default"]
    private = LocMemCache(f"golden-{uuid.uuid4()}", {})
    caches["default"] = private
    try:
        yield private
    finally:
        caches["default"] = live


def _diff(expected: Any, actual: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in sorted(set(expected) | set(actual), key=str):
            out.update(_diff(expected.get(key), actual.get(key), f"{path}.{key}" if path else key))
        return out
    return {} if _same(expected, actual) else {path or "value": (expected, actual)}


def _same(expected: Any, actual: Any) -> bool:
    numbers = (int, float, Decimal)
    if (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        return Decimal(str(expected)) == Decimal(str(actual))
    return expected == actual


__all__ = [
    "CaseReport",
    "Promotion",
    "golden_case_promote",
    "golden_case_replay",
    "golden_cases_replay",
]
