"""The trace reads every ops page starts from: the period's traces, one per-lane summary row set
(so the eight questions share a single scan of the dashboard index), per-day buckets, and
per-(model, stage) usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Count, Expression, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate

from llm.config import load_config
from ops.periods import Period, percentile_cont
from pipeline.models import ModelCall, PipelineTrace

ZERO = Decimal("0")
_OUTCOME = PipelineTrace.Outcome


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate; the fraction is a constant of ours, never input."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: object) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def traces_in(period: Period) -> QuerySet[PipelineTrace]:
    return PipelineTrace.objects.filter(created_at__gte=period.start, created_at__lt=period.end)


@dataclass(frozen=True)
class LaneCounts:
    """One lane's counters over the period; every column is in the trace_dashboard index."""

    lane: str
    requests: int = 0
    answered: int = 0
    handoff: int = 0
    failed: int = 0
    cached: int = 0
    degraded: int = 0
    cost_usd: Decimal = ZERO
    retried: int = 0
    exhausted: int = 0
    retries: int = 0
    rejected: int = 0
    rejections: int = 0
    retry_spread: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    lanes: tuple[LaneCounts, ...]
    retry_budget: int

    @property
    def total(self) -> int:
        return sum(lane.requests for lane in self.lanes)

    def lane(self, name: str) -> LaneCounts:
        return next((lane for lane in self.lanes if lane.lane == name), LaneCounts(name))

    def sum(self, attribute: str) -> int:
        return sum(getattr(lane, attribute) for lane in self.lanes)


def summary_get(*, period: Period) -> Summary:
    budget = load_config().retry.request_retries
    # Annotation names differ from the columns: a filter on `retries` after an annotation
    # named `retries` would refer to the aggregate.
    counters = {
        "requests": Count("id"),
        "answered": Count("id", filter=Q(outcome=_OUTCOME.ANSWERED)),
        "handoff": Count("id", filter=Q(outcome=_OUTCOME.HANDOFF)),
        "failed": Count("id", filter=Q(outcome=_OUTCOME.FAILED)),
        "cached": Count("id", filter=Q(cached=True)),
        "degraded": Count("id", filter=Q(degraded=True)),
        "cost_usd": Sum("cost_usd"),
        "retried": Count("id", filter=Q(retries__gt=0)),
        "exhausted": Count("id", filter=Q(retries__gte=budget)),
        "retries": Sum("retries"),
        "rejected": Count("id", filter=Q(verifier_rejections__gt=0)),
        "rejections": Sum("verifier_rejections"),
        **{f"retried_{n}": Count("id", filter=Q(retries=n)) for n in range(1, budget)},
    }
    rows = (
        traces_in(period)
        .values("lane")
        .annotate(**{f"sum_{name}": value for name, value in counters.items()})
        .order_by("lane")
    )
    lanes = tuple(_lane_counts(row, budget) for row in rows)
    return Summary(lanes=lanes, retry_budget=budget)


def _lane_counts(row: dict, budget: int) -> LaneCounts:
    values = {name[4:]: value or 0 for name, value in row.items() if name.startswith("sum_")}
    spread = {n: values.pop(f"retried_{n}") for n in range(1, budget)}
    spread[budget] = values["exhausted"]
    values["cost_usd"] = values["cost_usd"] or ZERO
    return LaneCounts(lane=row["lane"], **values, retry_spread=spread)


def latency_percentiles(
    *, period: Period, summary: Summary
) -> dict[str, tuple[float | None, float | None]]:
    """Whole-run latency p50/p95 per lane, interpolated as percentile_cont does."""
    if connection.vendor == "postgresql":
        rows = (
            traces_in(period)
            .values("lane")
            .annotate(p50=PercentileCont("latency_ms", 0.5), p95=PercentileCont("latency_ms", 0.95))
            .order_by()
        )
        return {row["lane"]: (row["p50"], row["p95"]) for row in rows}
    return {
        lane.lane: _sorted_percentiles(period, lane.lane, lane.requests)
        for lane in summary.lanes
        if lane.requests
    }


def _sorted_percentiles(period: Period, lane: str, n: int) -> tuple[float | None, float | None]:
    """Two values per percentile, read at their offset in the lane's latencies sorted inside
    the (lane, created_at, latency_ms) index: no lane's latencies are pulled into Python."""
    ordered = traces_in(period).filter(lane=lane).order_by("latency_ms")
    result = []
    for fraction in (0.5, 0.95):
        low = int((n - 1) * fraction)
        pair = list(ordered.values_list("latency_ms", flat=True)[low : low + 2])
        position = (n - 1) * fraction - low
        result.append(percentile_cont(pair, position if len(pair) > 1 else 0.0))
    return result[0], result[1]


def utc_day(field_name: str) -> Expression:
    # SQLite keeps aware datetimes as UTC text: the first ten characters are the UTC day, which
    # spares TruncDate's per-row Python function. PostgreSQL truncates natively.
    if connection.vendor == "sqlite":
        return Substr(field_name, 1, 10)
    return TruncDate(field_name)


def daily_buckets(*, period: Period) -> list[tuple[str, int, Decimal, int]]:
    """(UTC day, requests, dollars, answered) per day with traffic, oldest first."""
    rows = (
        traces_in(period)
        .annotate(day=utc_day("created_at"))
        .values_list("day")
        .annotate(
            n=Count("id"),
            cost=Sum("cost_usd"),
            answered=Count("id", filter=Q(outcome=_OUTCOME.ANSWERED)),
        )
        .order_by("day")
    )
    return [(str(day)[:10], n, cost or ZERO, answered) for day, n, cost, answered in rows]


def model_usage_rows(*, period: Period) -> list[dict]:
    """Tokens and cost per (model, stage): the dashboard's cost split and the ledger's model
    and stage tables share this join (traces by the created_at index, calls by the
    modelcall_trace_usage covering index)."""
    return list(
        ModelCall.objects.filter(
            trace__created_at__gte=period.start, trace__created_at__lt=period.end
        )
        .values("model", "stage")
        .annotate(
            calls=Count("id"),
            prompt=Sum("prompt_tokens"),
            completion=Sum("completion_tokens"),
            reasoning=Sum("reasoning_tokens"),
            cost=Sum("cost_usd"),
        )
        .order_by()
    )
