"""The demo history's golden-set runs: one scheduled run a day over the history's weeks, so the
dashboard's pass-rate chart and regression list have something to show. Every case key starts
with DEMO_CASE_PREFIX, which is how a new seed finds the runs to replace."""

from __future__ import annotations

import datetime as dt
import random

from ops.evaluation import CaseOutcome, eval_run_record
from ops.models import EvalRun

DEMO_CASE_PREFIX = "demo-"
GOLDEN_CASES = 12
CASE_NAMES = (
    "where is my order",
    "expedite for a birthday",
    "refund a damaged mug",
    "cancel before shipping",
    "change the address",
    "charged twice",
    "VIP discount on an order",
    "invoice for the last order",
    "jacket in navy",
    "lost parcel replacement",
    "return window",
    "talk to a person",
)

# Golden-set runs --------------------------------------------------------------------------------

STAGE_ORDER = ("intent", "retrieval", "reasoning", "empathy")


def seed_eval_runs(rng: random.Random, *, now: dt.datetime, days: int) -> int:
    """One scheduled run a day; a case or two flaky in the middle weeks, and one case that
    passed yesterday and fails today at retrieval (a regression to read on the dashboard)."""
    for day in range(days, -1, -1):
        at = (now - dt.timedelta(days=day)).replace(hour=3, minute=0, second=0, microsecond=0)
        if at > now:
            at -= dt.timedelta(days=1)
        outcomes = []
        for n in range(1, GOLDEN_CASES + 1):
            stage = ""
            if day == 0 and n == 7:
                stage = "retrieval"
            elif 9 <= day <= 13 and n == 3:
                stage = "reasoning"
            elif rng.random() < 0.02:
                stage = rng.choice(STAGE_ORDER)
            outcomes.append(
                CaseOutcome(
                    case_key=f"{DEMO_CASE_PREFIX}{n}",
                    name=f"demo case {n}: {CASE_NAMES[(n - 1) % len(CASE_NAMES)]}",
                    passed=not stage,
                    first_changed=stage,
                    changed_stages=(stage,) if stage else (),
                )
            )
        eval_run_record(
            suite="golden", outcomes=outcomes, trigger=EvalRun.Trigger.SCHEDULE, started_at=at
        )
    return days + 1
