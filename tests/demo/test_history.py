"""`seed_demo --history`: weeks of past conversations that make the ops pages mean something:
priced model calls every day, handoffs, CSAT, failures, verifier rejections, golden-set runs
with a regression; idempotent."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from conversations.models import Conversation
from demo.history import HISTORY_MARK
from llm.pricing import cost_usd, price_table
from llm.types import Usage
from ops.dashboard import dashboard_get
from ops.ledger import ledger_get
from ops.models import EvalRun
from ops.periods import period_last
from pipeline.models import ModelCall, PipelineTrace

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Conversation.objects.filter(visitor_key__startswith=HISTORY_MARK).count(),
        PipelineTrace.objects.count(),
        ModelCall.objects.count(),
        EvalRun.objects.count(),
    )


def test_history_gives_the_dashboard_and_the_ledger_trends(demo_store: Any) -> None:
    out = StringIO()
    call_command("seed_demo", "--history", stdout=out)
    assert "History:" in out.getvalue()

    board = dashboard_get(period=period_last(30))
    assert len(board.daily) >= 28  # a cost point per day, not one
    assert all(cost > 0 for _, cost, _ in board.daily)
    assert board.verifier.rejected_runs > 0
    assert sum(lane.failed for lane in board.traffic.lanes) > 0
    assert board.traffic.degraded > 0 and board.traffic.cached > 0
    res = board.resolution
    assert 0.5 < res.resolution_rate < 0.9
    assert 0.05 < res.handoff_rate < 0.3 and 0.02 < res.reopen_rate < 0.25
    assert res.csat_bot_n > 0 and res.csat_agent_n > 0
    assert res.cost_per_resolved > 0
    assert len(board.evaluation.daily) >= 28 and len(board.evaluation.regressions) == 1
    ledger = ledger_get(period=period_last(30))
    assert ledger.resolved < ledger.requests  # conversations resolved, not replies sent


def test_model_calls_are_priced_from_the_price_table(demo_store: Any) -> None:
    call_command("seed_demo", "--history", stdout=StringIO())
    prices = price_table()
    for call in ModelCall.objects.filter(outcome="ok")[:50]:
        usage = Usage(call.prompt_tokens, call.completion_tokens, call.reasoning_tokens)
        assert call.cost_usd == Decimal(str(round(cost_usd(call.model, usage, prices), 6)))
    per_trace = PipelineTrace.objects.annotate(calls_cost=Sum("calls__cost_usd"), n=Count("calls"))
    for trace in per_trace.filter(n__gt=0)[:50]:
        assert trace.cost_usd == trace.calls_cost


def test_history_is_idempotent(demo_store: Any) -> None:
    call_command("seed_demo", "--history", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", "--history", stdout=StringIO())
    assert _counts() == first
