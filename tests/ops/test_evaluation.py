"""Golden-set runs kept over time: `eval_golden` and the daily beat task store each run, the
dashboard shows the pass rate by day, and a case that passed in the run before and fails now is
listed as a regression with the stage that changed."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ops.evaluation import CaseOutcome, eval_run_record, eval_trend_get
from ops.golden import golden_case_promote
from ops.models import EvalRun, GoldenCase
from ops.periods import period_last
from ops.roles import OPS
from ops.tasks import golden_eval
from tests.ops.flagship_turn import offline_engine, run_turn
from tests.ops.trace_builders import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline_engine")]
__all__ = ["offline_engine"]
DAY = dt.timedelta(days=1)


class _AnyInt:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, int)


ANY_INT = _AnyInt()


@pytest.fixture
def case(demo_store: Any) -> GoldenCase:
    promoted = golden_case_promote(conversation_id=run_turn().conversation_id)
    assert promoted.case is not None
    return promoted.case


def test_eval_golden_and_the_daily_task_store_each_run(case: GoldenCase) -> None:
    call_command("eval_golden", stdout=StringIO())
    golden_eval()
    runs = list(EvalRun.objects.order_by("started_at"))
    assert [(r.suite, r.trigger, r.total, r.passed) for r in runs] == [
        ("golden", "manual", 1, 1),
        ("golden", "schedule", 1, 1),
    ]
    assert runs[1].results.get().case_key == str(case.pk)
    assert settings.CELERY_BEAT_SCHEDULE["golden-eval"]["task"] == "ops.tasks.golden_eval"


def test_a_case_that_passed_before_and_fails_now_is_a_regression_with_its_stage(
    case: GoldenCase,
) -> None:
    call_command("eval_golden", stdout=StringIO())
    case.snapshot["policy"]["stalled_after_hours"] = 5000
    case.save(update_fields=["snapshot"])
    with pytest.raises(CommandError):
        call_command("eval_golden", stdout=StringIO())

    trend = eval_trend_get(period=period_last(7))
    (regression,) = trend.regressions
    assert regression.case_key == str(case.pk)
    assert regression.stage == "retrieval"
    assert (trend.latest.passed, trend.previous.passed) == (0, 1)


def _run(ago: dt.timedelta, passed: dict[str, bool], stage: str = "reasoning") -> EvalRun:
    outcomes = [
        CaseOutcome(key, f"case {key}", ok, "" if ok else stage, () if ok else (stage,))
        for key, ok in passed.items()
    ]
    return eval_run_record(suite="golden", outcomes=outcomes, started_at=timezone.now() - ago)


def test_other_suites_are_kept_apart_by_name() -> None:
    eval_run_record(suite="dialogues", outcomes=[CaseOutcome("d1", "refund flow", False, "turn 3")])
    _run(DAY, {"1": True})
    assert eval_trend_get(period=period_last(7)).latest.total == 1
    assert eval_trend_get(suite="dialogues", period=period_last(7)).latest.passed == 0


def test_the_dashboard_shows_the_pass_rate_over_time_and_the_regressions(client) -> None:
    _run(3 * DAY, {"1": True, "2": True, "3": False})
    _run(2 * DAY, {"1": True, "2": True, "3": True})
    _run(1 * DAY, {"1": True, "2": False, "3": True}, stage="empathy")
    trend = eval_trend_get(period=period_last(7))
    assert [round(rate, 2) for _, rate in trend.daily] == [0.67, 1.0, 0.67]

    client.force_login(staff_user("olive", OPS))
    html = client.get(reverse("ops:dashboard")).content.decode()
    assert "Golden-set pass rate per day (%)" in html
    assert ">100%</text>" in html  # the axis reads as a rate, not as dollars
    assert "#2 case 2</td><td>empathy" in html
    assert "#3 case 3" not in html  # failed before, passes now: no regression


def test_the_scripted_dialogues_run_daily_and_a_failing_case_is_a_regression(
    demo_store: Any, tmp_path, client, settings: Any
) -> None:
    """The beat task replays EVAL_DIALOGUE_FILES; cases of a store this database lacks are left
    out; a case that passed and now fails is listed with the part of the score that failed."""
    from ops.tasks import dialogues_eval

    case = {
        "id": "asks-for-a-person",
        "store": "demo",
        "visitor": {"signed_in": None},
        "turns": ["I would like to speak with a human agent please"],
        "expect": {"actions": [], "say": [], "handoff": True},
    }
    elsewhere = {**case, "id": "tau2-only", "store": "tau2-retail"}
    path = tmp_path / "dialogues.jsonl"
    path.write_text(f"{json.dumps(case)}\n{json.dumps(elsewhere)}\n")
    settings.EVAL_DIALOGUE_FILES = [path]

    assert dialogues_eval() == {"run": ANY_INT, "total": 1, "passed": 1}
    case["expect"]["handoff"] = False  # the same conversation now judged against another ending
    path.write_text(json.dumps(case) + "\n")
    assert dialogues_eval()["passed"] == 0

    trend = eval_trend_get(suite="dialogues", period=period_last(7))
    assert trend.latest.trigger == EvalRun.Trigger.SCHEDULE
    [regression] = trend.regressions
    assert (regression.case_key, regression.changed_stages) == ("asks-for-a-person", ("handoff",))
    client.force_login(staff_user("olive", OPS))
    html = client.get(reverse("ops:dashboard")).content.decode()
    assert "Scripted dialogues" in html and "asks-for-a-person: I would like" in html
