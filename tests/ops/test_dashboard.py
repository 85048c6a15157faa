"""The dashboard's figures on a small hand-made set of traces, exact to the cent and millisecond,
on SQLite and (in the PostgreSQL pass) with percentile_cont; the page, its charts, its
permission and a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from desk.models import HandoffEvent
from ops.dashboard import dashboard_get, queue_get, refusal_get, retry_get, traffic_get
from ops.ledger import ledger_get
from ops.periods import percentile_cont, period_from_query, period_last, signature
from ops.quality import failure_clusters_get, verifier_get
from ops.roles import OPS
from tests.factories import ConversationFactory, CustomerFactory
from tests.ops.trace_builders import make_trace, staff_user

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
S = dt.timedelta(seconds=1)
REPAIRED_PLAN = {
    "source": "model-repaired",
    "rejections": ["amount $12.00 is not in the facts", "missing step apply_discount"],
}
FALLBACK_PLAN = {"source": "deterministic", "rejections": ["date 2026-01-01 is not in the facts"]}
HTTP_503 = "HTTP 503 from gpt-4.1: upstream unavailable"


@pytest.fixture
def traces() -> dict:
    customer = CustomerFactory(name="Vera Cost", email="vera@example.test")
    made = {
        "fast1": make_trace(
            ago=1 * H,
            latency_ms=100,
            cost="0.01",
            calls=[
                {
                    "stage": "empathy",
                    "model": "claude-sonnet-4.5",
                    "attempt": 1,
                    "prompt_tokens": 1000,
                    "completion_tokens": 300,
                    "cost_usd": Decimal("0.0075"),
                }
            ],
        ),
        "fast2": make_trace(ago=2 * H, latency_ms=300, cost="0.02", intent="faq"),
        "repaired": make_trace(
            ago=3 * H,
            lane="full",
            intent="refund_request",
            latency_ms=1000,
            cost="0.05",
            customer=customer,
            retries=1,
            repairs=1,
            verifier_rejections=2,
            plan=REPAIRED_PLAN,
            stages=[{"stage": "empathy", "detail": {"drift": ["number 7 is not in the facts"]}}],
            calls=[
                {
                    "stage": "intent",
                    "model": "gemini-2.5-flash",
                    "attempt": 1,
                    "prompt_tokens": 1000,
                    "completion_tokens": 100,
                    "cost_usd": Decimal("0.00055"),
                },
                {"stage": "reasoning", "model": "gpt-4.1", "attempt": 1, "outcome": "error"},
                {
                    "stage": "reasoning",
                    "model": "gpt-4.1",
                    "attempt": 2,
                    "prompt_tokens": 2000,
                    "completion_tokens": 500,
                    "reasoning_tokens": 200,
                    "cost_usd": Decimal("0.008"),
                },
            ],
        ),
        "degraded": make_trace(
            ago=4 * H,
            lane="full",
            intent="refund_request",
            latency_ms=2000,
            cost="0.03",
            customer=customer,
            retries=2,
            verifier_rejections=1,
            degraded=True,
            plan=FALLBACK_PLAN,
            calls=[
                *(
                    {
                        "stage": "reasoning",
                        "model": "gpt-4.1",
                        "attempt": n,
                        "outcome": "error",
                        "error": HTTP_503,
                    }
                    for n in (1, 2, 3)
                ),
                {"stage": "reasoning", "model": "offline", "provider": "offline", "attempt": 1},
            ],
        ),
        "failed": make_trace(
            ago=5 * H,
            lane="full",
            intent="shipping",
            outcome="failed",
            latency_ms=3000,
            cost="0.04",
            error="TimeoutError after 30.0 s in reasoning",
        ),
        "refund250": make_trace(
            ago=6 * H,
            lane="human",
            intent="refund_request",
            outcome="handoff",
            latency_ms=50,
            handoff_reason="refund of $250.00 is over the bot's $100.00 limit",
        ),
        "refund180": make_trace(
            ago=7 * H,
            lane="human",
            intent="refund_request",
            outcome="handoff",
            latency_ms=70,
            handoff_reason="refund of $180.00 is over the bot's $100.00 limit",
        ),
        "legal": make_trace(
            ago=8 * H,
            lane="human",
            intent="complaint",
            outcome="handoff",
            latency_ms=60,
            handoff_reason="legal threat",
        ),
    }
    # Outside the default 7-day period: must not count.
    make_trace(ago=dt.timedelta(days=10), latency_ms=99_999, cost="9.99", outcome="failed")
    return made


def test_lanes_traffic_split_and_latency_percentiles(traces: dict) -> None:
    traffic = traffic_get(period=period_last(7))

    assert traffic.total == 8
    assert traffic.degraded == 1
    lanes = {row.lane: row for row in traffic.lanes}
    assert [row.lane for row in traffic.lanes] == ["fast", "full", "human"]
    assert (lanes["fast"].requests, lanes["full"].requests, lanes["human"].requests) == (2, 3, 3)
    assert lanes["human"].share == pytest.approx(0.375)
    assert (lanes["full"].answered, lanes["full"].failed, lanes["human"].handoff) == (2, 1, 3)
    assert lanes["full"].cost_usd == Decimal("0.12")
    # percentile_cont: interpolated at (n - 1) * fraction on both databases.
    assert lanes["fast"].p50_ms == pytest.approx(200)
    assert lanes["fast"].p95_ms == pytest.approx(290)
    assert lanes["full"].p50_ms == pytest.approx(2000)
    assert lanes["full"].p95_ms == pytest.approx(2900)
    assert lanes["human"].p50_ms == pytest.approx(60)
    assert lanes["human"].p95_ms == pytest.approx(69)


def test_verifier_rejections_and_which_checks(traces: dict) -> None:
    verifier = verifier_get(period=period_last(7))

    assert (verifier.reasoning_runs, verifier.rejected_runs, verifier.rejections) == (3, 2, 3)
    assert verifier.rejection_rate == pytest.approx(2 / 3)
    assert (verifier.rescued_by_repair, verifier.fell_back_to_rules) == (1, 1)
    assert dict(verifier.checks) == {
        "amount not in the facts": 1,
        "missing step: apply_discount": 1,
        "date not in the facts": 1,
    }
    assert (verifier.drift_sampled, verifier.drift_replies) == (3, 1)
    assert dict(verifier.drift_checks) == {"number not in the facts": 1}


def test_retry_budget_and_success_rate(traces: dict) -> None:
    retries = retry_get(period=period_last(7))

    assert (retries.budget_per_request, retries.attempts_per_model) == (6, 3)
    assert (retries.requests, retries.requests_retried, retries.retries) == (8, 2, 3)
    assert retries.requests_exhausted == 0
    # Retried calls: the repaired trace's attempt 2 (ok), the degraded one's attempts 2 and 3.
    assert (retries.retry_calls, retries.retry_calls_ok) == (3, 1)
    assert retries.success_rate == pytest.approx(1 / 3)
    assert dict(retries.histogram)["1"] == 1
    assert dict(retries.histogram)["2"] == 1


def test_refusal_rate_groups_reasons_by_signature(traces: dict) -> None:
    refusals = refusal_get(period=period_last(7))

    assert (refusals.requests, refusals.handoffs) == (8, 3)
    assert refusals.rate == pytest.approx(0.375)
    assert refusals.reasons == (
        ("refund of $<amount> is over the bot's $<amount> limit", 2),
        ("legal threat", 1),
    )


def test_cost_per_request_split_from_tokens_and_prices(traces: dict) -> None:
    cost = dashboard_get(period=period_last(7)).cost

    assert cost.requests == 8
    # input: gemini 1000 x $0.30 + gpt-4.1 2000 x $2 + claude 1000 x $3 (per million tokens)
    assert cost.input_usd == pytest.approx(0.0073)
    # reasoning: 200 gpt-4.1 tokens at the output price, $8
    assert cost.reasoning_usd == pytest.approx(0.0016)
    # output: gemini 100 x $2.50 + gpt-4.1 (500 - 200) x $8 + claude 300 x $15
    assert cost.output_usd == pytest.approx(0.00715)
    assert cost.tools_usd == 0
    assert cost.per_request(cost.total_usd) == pytest.approx(0.01605 / 8)
    assert cost.recorded_usd == pytest.approx(0.01605)


def test_queue_depth_sla_and_waits() -> None:
    now = timezone.now()
    queued = Conversation.Status.QUEUED
    ConversationFactory(status=queued, queued_at=now - 10 * 60 * S, sla_due_at=now + H)
    ConversationFactory(status=queued, queued_at=now - 30 * 60 * S, sla_due_at=now - 60 * S)
    picked = ConversationFactory(status=Conversation.Status.ASSIGNED)
    again = ConversationFactory(status=Conversation.Status.RESOLVED)
    for conversation, queued_ago, claimed_ago in ((picked, 60, 50), (again, 40, 10)):
        HandoffEvent.objects.create(
            conversation=conversation, kind="queued", at=now - queued_ago * 60 * S
        )
        HandoffEvent.objects.create(
            conversation=conversation, kind="claimed", at=now - claimed_ago * 60 * S
        )

    queue = queue_get(period=period_last(7))

    assert (queue.queued, queue.overdue, queue.assigned) == (2, 1, 1)
    assert queue.median_wait_s == pytest.approx(1200, abs=5)
    assert queue.oldest_wait_s == pytest.approx(1800, abs=5)
    assert (queue.pickups, queue.median_pickup_s) == (2, pytest.approx(1200))


def test_top_three_failure_clusters(traces: dict) -> None:
    clusters = failure_clusters_get(period=period_last(7))

    assert [(c.kind, c.signature, c.traces) for c in clusters] == [
        ("handoff", "refund of $<amount> is over the bot's $<amount> limit", 2),
        ("degraded", "reasoning · gpt-4.1 · error: http <n> from gpt-<n>: upstream unavailable", 1),
        ("failed", "timeouterror after <n> s in reasoning", 1),
    ]
    assert clusters[0].example_trace_id == max(traces["refund250"].pk, traces["refund180"].pk)
    assert clusters[0].share == pytest.approx(0.25)


def test_cost_ledger_per_intent_customer_and_resolved_outcome(traces: dict, settings) -> None:
    settings.RESOLUTION_REOPEN_WINDOW_H = 0  # every conversation's window has closed
    ledger = ledger_get(period=period_last(7))

    assert (ledger.total_usd, ledger.requests, ledger.resolved) == (Decimal("0.15"), 8, 4)
    refund = next(row for row in ledger.by_intent if row.key == "refund_request")
    assert (refund.requests, refund.cost_usd, refund.resolved) == (4, Decimal("0.08"), 2)
    assert refund.per_resolved == Decimal("0.04")
    assert [(row.key, row.cost_usd) for row in ledger.by_customer] == [
        ("Vera Cost <vera@example.test>", Decimal("0.08"))
    ]
    models = {row.key: row for row in ledger.by_model}
    assert models["gpt-4.1"].requests == 5
    assert models["gpt-4.1"].cost_usd == Decimal("0.008")
    assert {row.key for row in ledger.by_stage} == {"intent", "reasoning", "empathy"}
    assert sum(row.requests for row in ledger.by_day) == 8
    assert sum(row.cost_usd for row in ledger.by_day) == Decimal("0.15")


def test_period_parsing_and_helpers() -> None:
    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    assert period_from_query({}, now=now).days == 7
    assert period_from_query({"days": "30"}, now=now).start == now - dt.timedelta(days=30)
    assert period_from_query({"days": "13"}, now=now).days == 7  # not a choice
    until = period_from_query({"days": "1", "until": "2026-03-01"}, now=now)
    assert (until.start, until.end) == (
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    assert period_from_query({"until": "not-a-date"}, now=now).end == now
    assert percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile_cont([], 0.5) is None
    assert signature("Order ORD-4521: $12.50 refund id 0f8fad5b-d9cb-469f-a165-70867728950e") == (
        "order ORD-<n>: $<amount> refund id <id>"
    )


def test_dashboard_page_renders_every_question_with_charts(client, traces: dict) -> None:
    client.force_login(staff_user("olive", OPS))

    response = client.get(reverse("ops:dashboard"))

    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Lanes and traffic split",
        "What the verifier rejects",
        "Retry budget and retry success",
        "Refusal policy and refusal rate",
        "Latency per lane",
        "Cost per request",
        "Human queue and SLA",
        "Top failure clusters",
    ):
        assert heading in html
    assert html.count('<svg class="ops-chart"') == 3
    assert 'id="site-name"' in html  # inside the admin's chrome
    latest_refund = max(traces["refund250"].pk, traces["refund180"].pk)
    assert reverse("admin:pipeline_pipelinetrace_change", args=[latest_refund]) in html


def test_chart_labels_are_escaped(client, traces: dict) -> None:
    make_trace(lane="<b>&x", latency_ms=5)  # lane holds 8 characters
    client.force_login(staff_user("olive", OPS))

    html = client.get(reverse("ops:dashboard")).content.decode()

    assert "<b>&x" not in html
    assert "&lt;b&gt;&amp;x" in html


def test_dashboard_query_count_does_not_grow_with_traffic(client, traces: dict) -> None:
    client.force_login(staff_user("olive", OPS))
    url = reverse("ops:dashboard")
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(20):
        make_trace(ago=n * H, lane="full", latency_ms=n, verifier_rejections=1, plan=FALLBACK_PLAN)
    with CaptureQueriesContext(connection) as after:
        client.get(url)

    assert len(after) == len(before)
    assert len(after) <= 32  # each evaluation suite (golden, dialogues) reads its runs apart


def test_ledger_page_shows_cost_per_resolved_outcome(client, traces: dict, settings) -> None:
    settings.RESOLUTION_REOPEN_WINDOW_H = 0
    client.force_login(staff_user("olive", OPS))

    response = client.get(reverse("ops:ledger"), {"days": "7"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "refund_request" in html
    assert "$0.04" in html  # per resolved refund
    assert "Vera Cost" in html
