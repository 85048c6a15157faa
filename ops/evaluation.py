"""Evaluation runs kept over time: each run of a suite is stored with a row per case, so the
dashboard can show the pass rate day by day and list the regressions: cases that passed in the
previous run and fail in the latest, with the stage that changed first.

Suites are named: `golden` (promoted transcript turns, ops.golden) and `dialogues` (the
project's scripted dialogues, chat.dialogues, scored as ../shared/dialogues.md says; a failed
case's "stage" is the part of the score that failed: actions, say or handoff).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from chat.dialogues import Replayer, cases_read
from ops.golden import CaseReport, golden_cases_replay
from ops.models import EvalCaseResult, EvalRun, GoldenCase
from ops.periods import Period
from orders.models import Customer

GOLDEN = "golden"
DIALOGUES = "dialogues"


@dataclass(frozen=True)
class CaseOutcome:
    case_key: str
    name: str
    passed: bool
    first_changed: str = ""
    changed_stages: tuple[str, ...] = ()
    error: str = ""


def outcome_from_report(report: CaseReport) -> CaseOutcome:
    return CaseOutcome(
        case_key=str(report.case_id),
        name=report.name[:200],
        passed=not report.changed,
        first_changed=report.first_changed or "",
        changed_stages=tuple(report.changed_stages),
        error=report.error,
    )


def eval_run_record(
    *,
    suite: str,
    outcomes: Iterable[CaseOutcome],
    trigger: str = EvalRun.Trigger.MANUAL,
    started_at: dt.datetime | None = None,
) -> EvalRun:
    outcomes = list(outcomes)
    with transaction.atomic():
        run = EvalRun.objects.create(
            suite=suite,
            trigger=trigger,
            started_at=started_at or timezone.now(),
            finished_at=timezone.now(),
            total=len(outcomes),
            passed=sum(o.passed for o in outcomes),
        )
        EvalCaseResult.objects.bulk_create(
            EvalCaseResult(
                run=run,
                case_key=o.case_key,
                name=o.name,
                passed=o.passed,
                first_changed=o.first_changed,
                changed_stages=list(o.changed_stages),
                error=o.error,
            )
            for o in outcomes
        )
    return run


def golden_eval_run(*, trigger: str = EvalRun.Trigger.MANUAL) -> tuple[EvalRun, list[CaseReport]]:
    """Replay every golden case and store the run."""
    started = timezone.now()
    reports = golden_cases_replay(GoldenCase.objects.order_by("pk"))
    run = eval_run_record(
        suite=GOLDEN,
        outcomes=[outcome_from_report(r) for r in reports],
        trigger=trigger,
        started_at=started,
    )
    return run, reports


def dialogues_eval_run(*, paths: Iterable[Path], trigger: str = EvalRun.Trigger.MANUAL) -> EvalRun:
    """Replay the scripted dialogues of every file whose store is in this database (a store
    without the τ² import skips its cases) and store the run, one row per case."""
    started = timezone.now()
    present = set(Customer.objects.values_list("store__code", flat=True).distinct())
    cases = [case for path in paths for case in cases_read(path) if case.store in present]
    replayer = Replayer()
    outcomes = []
    for case in cases:
        result = replayer.run(case)
        failed = result.as_json()["failed"]
        outcomes.append(
            CaseOutcome(
                case_key=case.id[:64],
                name=(case.turns[0] if case.turns else case.id)[:200],
                passed=result.passed,
                first_changed=failed[0] if failed else "",
                changed_stages=tuple(failed),
                error=result.error,
            )
        )
    return eval_run_record(suite=DIALOGUES, outcomes=outcomes, trigger=trigger, started_at=started)


# Reads for the dashboard.


@dataclass(frozen=True)
class Regression:
    case_key: str
    name: str
    stage: str
    changed_stages: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class EvalTrend:
    suite: str
    daily: tuple[tuple[str, float], ...]  # (UTC day, pass rate of that day's last run)
    latest: EvalRun | None
    previous: EvalRun | None
    regressions: tuple[Regression, ...]


def eval_trend_get(*, suite: str = GOLDEN, period: Period) -> EvalTrend:
    runs = list(
        EvalRun.objects.filter(
            suite=suite, started_at__gte=period.start, started_at__lt=period.end
        ).order_by("started_at")[:1000]
    )
    last_of_day: dict[str, EvalRun] = {}
    for run in runs:
        last_of_day[f"{run.started_at:%Y-%m-%d}"] = run
    daily = tuple(
        (day, run.pass_rate) for day, run in last_of_day.items() if run.pass_rate is not None
    )
    latest, previous = _latest_two(suite, period)
    return EvalTrend(suite, daily, latest, previous, _regressions(latest, previous))


def _latest_two(suite: str, period: Period) -> tuple[EvalRun | None, EvalRun | None]:
    runs = list(
        EvalRun.objects.filter(suite=suite, started_at__lt=period.end).order_by("-started_at")[:2]
    )
    return (runs[0] if runs else None), (runs[1] if len(runs) > 1 else None)


def _regressions(latest: EvalRun | None, previous: EvalRun | None) -> tuple[Regression, ...]:
    if latest is None or previous is None:
        return ()
    passed_before = set(previous.results.filter(passed=True).values_list("case_key", flat=True))
    failing = latest.results.filter(passed=False, case_key__in=passed_before).order_by("case_key")
    return tuple(
        Regression(r.case_key, r.name, r.first_changed, tuple(r.changed_stages), r.error)
        for r in failing
    )
