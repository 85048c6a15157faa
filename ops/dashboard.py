"""Selectors for the ops dashboard: the operator's eight questions, answered by aggregate queries
over the pipeline traces of one period.

One grouped scan of the period (ops.traces.summary_get) feeds the lane mix, retry budget,
refusal rate and verifier counts; latency percentiles, cost by model, the queue, and the
quality questions (ops.quality) each add one or two bounded queries. Nothing loads every trace.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from conversations.models import Conversation
from desk.models import HandoffEvent
from llm.config import load_config
from llm.pricing import price_for
from ops.evaluation import DIALOGUES, EvalTrend, eval_trend_get
from ops.periods import Period, percentile_cont, ratio, signature
from ops.quality import FailureCluster, VerifierSummary, failure_clusters_get, verifier_get
from ops.resolution import Resolution, resolution_get
from ops.traces import (
    ZERO,
    LaneCounts,
    Summary,
    daily_buckets,
    latency_percentiles,
    model_usage_rows,
    summary_get,
    traces_in,
)
from pipeline.models import ModelCall, PipelineTrace

LANES = ("fast", "full", "human")
SIGNATURE_ROWS = 500
QUEUE_ROWS = 10_000


# 1 and 5. Lanes, traffic split, p50/p95 latency per lane -----------------------------------------


@dataclass(frozen=True)
class LaneRow:
    lane: str
    requests: int
    share: float | None
    answered: int
    handoff: int
    failed: int
    cost_usd: Decimal
    p50_ms: float | None = None
    p95_ms: float | None = None


@dataclass(frozen=True)
class Traffic:
    total: int
    lanes: tuple[LaneRow, ...]
    cached: int
    degraded: int


def traffic_get(*, period: Period, summary: Summary | None = None) -> Traffic:
    summary = summary or summary_get(period=period)
    latency = latency_percentiles(period=period, summary=summary)
    names = [*LANES, *sorted({lane.lane for lane in summary.lanes} - set(LANES))]
    total = summary.total
    return Traffic(
        total=total,
        lanes=tuple(_lane_row(summary.lane(name), total, latency.get(name)) for name in names),
        cached=summary.sum("cached"),
        degraded=summary.sum("degraded"),
    )


def _lane_row(counts: LaneCounts, total: int, latency: tuple | None) -> LaneRow:
    p50, p95 = latency or (None, None)
    return LaneRow(
        lane=counts.lane,
        requests=counts.requests,
        share=ratio(counts.requests, total),
        answered=counts.answered,
        handoff=counts.handoff,
        failed=counts.failed,
        cost_usd=counts.cost_usd,
        p50_ms=p50,
        p95_ms=p95,
    )


# 3. Retry budget and retry success ---------------------------------------------------------------


@dataclass(frozen=True)
class RetrySummary:
    budget_per_request: int
    attempts_per_model: int
    requests: int
    requests_retried: int
    requests_exhausted: int
    retries: int
    retry_calls: int
    retry_calls_ok: int
    success_rate: float | None
    histogram: tuple[tuple[str, int], ...]


def retry_get(*, period: Period, summary: Summary | None = None) -> RetrySummary:
    summary = summary or summary_get(period=period)
    budget = summary.retry_budget
    spread: Counter[int] = Counter()
    for lane in summary.lanes:
        spread.update(lane.retry_spread)
    # Only traces that retried can hold an attempt > 1: the join stays small.
    calls = ModelCall.objects.filter(
        trace__in=traces_in(period).filter(retries__gt=0), provider="remote", attempt__gt=1
    ).aggregate(n=Count("id"), ok=Count("id", filter=Q(outcome="ok")))
    histogram = [(str(n), spread[n]) for n in range(1, budget)] + [(f"{budget}+", spread[budget])]
    return RetrySummary(
        budget_per_request=budget,
        attempts_per_model=load_config().retry.max_attempts,
        requests=summary.total,
        requests_retried=summary.sum("retried"),
        requests_exhausted=summary.sum("exhausted"),
        retries=summary.sum("retries"),
        retry_calls=calls["n"],
        retry_calls_ok=calls["ok"],
        success_rate=ratio(calls["ok"], calls["n"]),
        histogram=tuple(histogram),
    )


# 4. Refusal policy and refusal rate ---------------------------------------------------------------


@dataclass(frozen=True)
class RefusalSummary:
    requests: int
    handoffs: int
    rate: float | None
    reasons: tuple[tuple[str, int], ...]


def refusal_get(*, period: Period, summary: Summary | None = None) -> RefusalSummary:
    summary = summary or summary_get(period=period)
    rows = (
        traces_in(period)
        .filter(outcome=PipelineTrace.Outcome.HANDOFF)
        .values_list("handoff_reason")
        .annotate(n=Count("id"))
        .order_by("-n")[:SIGNATURE_ROWS]
    )
    reasons: Counter[str] = Counter()
    for reason, n in rows:
        reasons[signature(reason) or "(no reason recorded)"] += n
    handoffs = summary.sum("handoff")
    return RefusalSummary(
        requests=summary.total,
        handoffs=handoffs,
        rate=ratio(handoffs, summary.total),
        reasons=tuple(reasons.most_common()),
    )


# 6. Cost per request: input, reasoning, output, tools ---------------------------------------------


@dataclass(frozen=True)
class CostSplit:
    requests: int
    input_usd: float
    reasoning_usd: float
    output_usd: float
    tools_usd: float
    recorded_usd: float

    @property
    def total_usd(self) -> float:
        return self.input_usd + self.reasoning_usd + self.output_usd + self.tools_usd

    def per_request(self, part: float) -> float | None:
        return ratio(part, self.requests)


def cost_split_get(
    *, period: Period, summary: Summary | None = None, usage: list[dict] | None = None
) -> CostSplit:
    """Reasoning tokens are part of completion tokens (billed once, at the output price), so
    output here is completion minus reasoning. Tools are database queries: no per-call price."""
    usage = model_usage_rows(period=period) if usage is None else usage
    prices = load_config().prices
    parts = {"input": 0.0, "reasoning": 0.0, "output": 0.0}
    for row in usage:
        price = price_for(row["model"], prices)
        reasoning = row["reasoning"] or 0
        parts["input"] += (row["prompt"] or 0) * price.input_per_mtok / 1e6
        parts["reasoning"] += reasoning * price.output_per_mtok / 1e6
        parts["output"] += ((row["completion"] or 0) - reasoning) * price.output_per_mtok / 1e6
    return CostSplit(
        requests=(summary or summary_get(period=period)).total,
        input_usd=parts["input"],
        reasoning_usd=parts["reasoning"],
        output_usd=parts["output"],
        tools_usd=0.0,
        recorded_usd=float(sum((row["cost"] or ZERO for row in usage), ZERO)),
    )


# 7. Human queue depth and SLA -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueHealth:
    queued: int
    overdue: int
    assigned: int
    oldest_wait_s: float | None
    median_wait_s: float | None
    pickups: int
    median_pickup_s: float | None


def queue_get(*, period: Period) -> QueueHealth:
    now = timezone.now()
    status = Conversation.Status
    counts = Conversation.objects.filter(status__in=[status.QUEUED, status.ASSIGNED]).aggregate(
        queued=Count("pk", filter=Q(status=status.QUEUED)),
        overdue=Count("pk", filter=Q(status=status.QUEUED, sla_due_at__lt=now)),
        assigned=Count("pk", filter=Q(status=status.ASSIGNED)),
    )
    waiting = Conversation.objects.filter(status=status.QUEUED, queued_at__isnull=False)
    waits = [
        (now - at).total_seconds()
        for at in waiting.order_by("-queued_at").values_list("queued_at", flat=True)[:QUEUE_ROWS]
    ]
    pickups = _pickup_waits(period)
    return QueueHealth(
        queued=counts["queued"],
        overdue=counts["overdue"],
        assigned=counts["assigned"],
        oldest_wait_s=waits[-1] if waits else None,
        median_wait_s=percentile_cont(waits, 0.5),
        pickups=len(pickups),
        median_pickup_s=percentile_cont(sorted(pickups), 0.5),
    )


def _pickup_waits(period: Period) -> list[float]:
    """Seconds from each queueing in the period to the next claim or assignment."""
    kinds = [HandoffEvent.Kind.QUEUED, HandoffEvent.Kind.CLAIMED, HandoffEvent.Kind.ASSIGNED]
    events = (
        HandoffEvent.objects.filter(at__gte=period.start, at__lt=period.end, kind__in=kinds)
        .order_by("conversation_id", "at")
        .values_list("conversation_id", "kind", "at")[:QUEUE_ROWS]
    )
    waiting: dict[object, object] = {}
    waits = []
    for conversation_id, kind, at in events:
        if kind == HandoffEvent.Kind.QUEUED:
            waiting.setdefault(conversation_id, at)
        elif conversation_id in waiting:
            waits.append((at - waiting.pop(conversation_id)).total_seconds())
    return waits


# The page --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    period: Period
    traffic: Traffic
    verifier: VerifierSummary
    retries: RetrySummary
    refusals: RefusalSummary
    cost: CostSplit
    queue: QueueHealth
    clusters: tuple[FailureCluster, ...]
    daily: tuple[tuple[str, float, int], ...]
    resolution: Resolution
    evaluation: EvalTrend
    dialogues: EvalTrend


def dashboard_get(*, period: Period) -> Dashboard:
    summary = summary_get(period=period)
    return Dashboard(
        period=period,
        traffic=traffic_get(period=period, summary=summary),
        verifier=verifier_get(period=period, summary=summary),
        retries=retry_get(period=period, summary=summary),
        refusals=refusal_get(period=period, summary=summary),
        cost=cost_split_get(period=period, summary=summary),
        queue=queue_get(period=period),
        clusters=failure_clusters_get(period=period, summary=summary),
        daily=tuple((day, float(cost), n) for day, n, cost, _ in daily_buckets(period=period)),
        resolution=resolution_get(period=period),
        evaluation=eval_trend_get(period=period),
        dialogues=eval_trend_get(suite=DIALOGUES, period=period),
    )
