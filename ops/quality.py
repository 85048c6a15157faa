"""Selectors for what went wrong: which verifier checks reject plans and reply sentences, and
the top failure clusters (failed, handed-off and degraded traces grouped by a normalised
signature). Free text is normalised in Python, over a bounded number of grouped rows."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max, Q

from ops.periods import Period, ratio, signature
from ops.traces import Summary, summary_get, traces_in
from pipeline.models import ModelCall, PipelineTrace

CHECK_SAMPLE = 500  # latest rejected plans read to say which checks failed
DRIFT_SAMPLE = 200  # latest full-lane replies read for the empathy sentence checks
SIGNATURE_ROWS = 500  # distinct (reason, error) groups read to build failure clusters


@dataclass(frozen=True)
class VerifierSummary:
    reasoning_runs: int
    rejected_runs: int
    rejection_rate: float | None
    rejections: int
    rescued_by_repair: int
    fell_back_to_rules: int
    checks: tuple[tuple[str, int], ...]
    checks_from: int
    drift_sampled: int
    drift_replies: int
    drift_checks: tuple[tuple[str, int], ...]


_CHECKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^amount \$"), "amount not in the facts"),
    (re.compile(r"^date "), "date not in the facts"),
    (re.compile(r"^order "), "order id not the customer's"),
    (re.compile(r"% is not in the facts"), "percentage not in the facts"),
    (re.compile(r"^number "), "number not in the facts"),
    (re.compile(r"^action .* not allowed"), "action not allowed by policy"),
    (re.compile(r" states .*, the rules say "), "amount differs from the rules"),
    (re.compile(r"not valid JSON|has no steps"), "plan not valid JSON / shape"),
)
_MISSING_STEP = re.compile(r"^missing step (\w+)")


def check_name(problem: str) -> str:
    """The verifier check a problem message came from (its wording is in pipeline/rules/verifier.py
    and pipeline/stages/reasoning.py)."""
    missing = _MISSING_STEP.match(problem)
    if missing:
        return f"missing step: {missing.group(1)}"
    for pattern, name in _CHECKS:
        if pattern.search(problem):
            return name
    return signature(problem, limit=60)


def verifier_get(*, period: Period, summary: Summary | None = None) -> VerifierSummary:
    lane = (summary or summary_get(period=period)).lane("full")
    full = traces_in(period).filter(lane="full")
    rejected = full.filter(verifier_rejections__gt=0).order_by("-created_at")
    endings = rejected.aggregate(
        rescued=Count("id", filter=Q(plan__source="model-repaired")),
        fell_back=Count("id", filter=Q(plan__source="deterministic")),
    )
    plans = list(rejected.values_list("plan__rejections", flat=True)[:CHECK_SAMPLE])
    checks = Counter(check_name(str(p)) for problems in plans for p in problems or [])
    stages = list(full.order_by("-created_at").values_list("stages", flat=True)[:DRIFT_SAMPLE])
    drift = [_empathy_drift(s) for s in stages]
    drift_checks = Counter(check_name(str(p)) for problems in drift for p in problems)
    return VerifierSummary(
        reasoning_runs=lane.requests,
        rejected_runs=lane.rejected,
        rejection_rate=ratio(lane.rejected, lane.requests),
        rejections=lane.rejections,
        rescued_by_repair=endings["rescued"],
        fell_back_to_rules=endings["fell_back"],
        checks=tuple(checks.most_common(8)),
        checks_from=len(plans),
        drift_sampled=len(stages),
        drift_replies=sum(1 for problems in drift if problems),
        drift_checks=tuple(drift_checks.most_common(5)),
    )


def _empathy_drift(stages: list | None) -> list:
    for stage in stages or []:
        if isinstance(stage, dict) and stage.get("stage") == "empathy":
            return list((stage.get("detail") or {}).get("drift") or [])
    return []


# Top failure clusters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureCluster:
    signature: str
    kind: str
    traces: int
    share: float | None
    example_trace_id: int


def failure_clusters_get(
    *, period: Period, summary: Summary | None = None, top: int = 3
) -> tuple[FailureCluster, ...]:
    """Failed, handed-off and degraded traces grouped by a normalised signature of what went
    wrong: the error for failures, the reason for handoffs, the failing model call for
    answers the offline engine had to give."""
    traces = traces_in(period)
    total = (summary or summary_get(period=period)).total
    clusters: dict[tuple[str, str], list[int]] = {}
    rows = (
        traces.filter(outcome__in=[PipelineTrace.Outcome.FAILED, PipelineTrace.Outcome.HANDOFF])
        .values_list("outcome", "handoff_reason", "error")
        .annotate(n=Count("id"), example=Max("id"))
        .order_by("-n")[:SIGNATURE_ROWS]
    )
    for outcome, reason, error, n, example in rows:
        text = error if outcome == PipelineTrace.Outcome.FAILED and error else reason
        _add(clusters, (outcome, signature(text) or "(no reason recorded)"), n, example)
    degraded = (
        ModelCall.objects.filter(trace__in=traces.filter(degraded=True), provider="remote")
        .exclude(outcome="ok")
        .values_list("stage", "model", "outcome", "error")
        .annotate(n=Count("trace_id", distinct=True), example=Max("trace_id"))
        .order_by("-n")[:SIGNATURE_ROWS]
    )
    for stage, model, outcome, error, n, example in degraded:
        key = ("degraded", f"{stage} · {model} · {outcome}: {signature(error)}")
        _add(clusters, key, n, example)
    ranked = sorted(clusters.items(), key=lambda item: (-item[1][0], item[0]))[:top]
    return tuple(
        FailureCluster(
            signature=sig, kind=kind, traces=n, share=ratio(n, total), example_trace_id=ex
        )
        for (kind, sig), (n, ex) in ranked
    )


def _add(clusters: dict, key: tuple[str, str], n: int, example: int) -> None:
    count, latest = clusters.get(key, (0, 0))
    clusters[key] = [count + n, max(latest, example)]
