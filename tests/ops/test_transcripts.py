"""Transcripts in the admin: messages inline with each bot reply linked to its trace, the trace
page's stages, verdicts and JSON, filters and search, escaping, and pinned query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ops.roles import OPS
from tests.factories import ConversationFactory, CustomerFactory
from tests.ops.trace_builders import make_trace, staff_user

pytestmark = pytest.mark.django_db

XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
STAGES = [
    {
        "stage": "reasoning",
        "model": "gpt-4.1",
        "latency_ms": 812.5,
        "prompt_tokens": 2000,
        "completion_tokens": 500,
        "reasoning_tokens": 200,
        "cost_usd": 0.008,
        "retries": 1,
        "repairs": 1,
        "detail": {"verdict": "accepted", "rejections": ["amount $12.00 is not in the facts"]},
    },
    {
        "stage": "empathy",
        "model": "claude-sonnet-4.5",
        "latency_ms": 400.0,
        "detail": {"drift": [], "fell_back_to_plan": True},
    },
]


@pytest.fixture
def ops_client(client):
    client.force_login(staff_user("olive", OPS))
    return client


def _conversation_url(conversation_id) -> str:
    return reverse("admin:conversations_conversation_change", args=[conversation_id])


def test_each_bot_reply_links_to_its_trace(ops_client) -> None:
    trace = make_trace(reply="Your parcel is in Chicago.")
    second = make_trace(conversation=trace.conversation, lane="full", reply="Refund sent.")

    html = ops_client.get(_conversation_url(trace.conversation_id)).content.decode()

    for each in (trace, second):
        assert reverse("admin:pipeline_pipelinetrace_change", args=[each.pk]) in html
    assert html.count('class="trace-link"') == 2  # bot replies only, not customer messages


def test_trace_page_shows_stages_verdicts_fallbacks_and_json(ops_client) -> None:
    trace = make_trace(
        lane="full",
        stages=STAGES,
        facts={"order_number": "ORD-4521", "deadline": "2026-12-10"},
        plan={"headline": "Ship a replacement", "source": "model-repaired"},
        degraded=True,
        calls=[
            {"stage": "reasoning", "model": "gpt-4.1", "attempt": 1, "outcome": "error",
             "error": "HTTP 503"},
            {"stage": "reasoning", "model": "gpt-4.1", "attempt": 2,
             "cost_usd": Decimal("0.008")},
        ],
    )  # fmt: skip

    response = ops_client.get(reverse("admin:pipeline_pipelinetrace_change", args=[trace.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "verdict: accepted; rejected: amount $12.00 is not in the facts" in html
    assert "fell back to the plan&#x27;s own words" in html
    assert "reasoning: gpt-4.1 attempt 1 error HTTP 503" in html
    assert "providers failed: the offline engine answered" in html
    assert "&quot;order_number&quot;: &quot;ORD-4521&quot;" in html  # pretty-printed JSON
    assert "812.5" in html and "claude-sonnet-4.5" in html
    assert _conversation_url(trace.conversation_id) in html
    assert 'name="_save"' not in html  # read-only


def test_xss_in_a_message_is_escaped_in_transcript_and_trace(ops_client) -> None:
    trace = make_trace(text=XSS, plan={"headline": XSS}, stages=[{"stage": "x", "detail": {}}])

    pages = [
        ops_client.get(_conversation_url(trace.conversation_id)).content.decode(),
        ops_client.get(
            reverse("admin:pipeline_pipelinetrace_change", args=[trace.pk])
        ).content.decode(),
        ops_client.get(reverse("admin:conversations_message_changelist")).content.decode(),
    ]

    for html in pages:
        assert "<script>alert(" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def _listed(client, **params) -> set[str]:
    response = client.get(reverse("admin:conversations_conversation_changelist"), params)
    assert response.status_code == 200
    return {str(row.pk) for row in response.context["cl"].result_list}


def test_filters_by_lane_outcome_intent_csat_and_search(ops_client) -> None:
    fast = make_trace(lane="fast", text="what is your return policy")
    human = make_trace(lane="human", outcome="handoff", text="I want a lawyer")
    make_trace(conversation=human.conversation, lane="human", outcome="handoff")
    rated = ConversationFactory(csat_score=2, intent="refund_request")
    make_trace(conversation=rated, lane="full", intent="refund_request", text="refund ORD-77")

    assert _listed(ops_client, lane="human") == {str(human.conversation_id)}
    assert _listed(ops_client, outcome="answered") == {str(fast.conversation_id), str(rated.pk)}
    assert _listed(ops_client, intent="refund_request") == {str(rated.pk)}
    assert _listed(ops_client, csat_score="2") == {str(rated.pk)}
    assert _listed(ops_client, q="lawyer") == {str(human.conversation_id)}


def test_search_by_customer_email(ops_client) -> None:
    customer = CustomerFactory(email="findme@example.test")
    mine = ConversationFactory(customer=customer)
    ConversationFactory()

    assert _listed(ops_client, q="findme@example.test") == {str(mine.pk)}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_transcript_pages_do_not_query_per_row(ops_client) -> None:
    conversation = make_trace(customer=CustomerFactory()).conversation
    make_trace()
    urls = [
        reverse("admin:conversations_conversation_changelist"),
        reverse("admin:conversations_message_changelist"),
        reverse("admin:pipeline_pipelinetrace_changelist"),
        _conversation_url(conversation.pk),
    ]
    few = [_count(ops_client, url) for url in urls]
    for _ in range(6):
        make_trace(conversation=conversation, customer=CustomerFactory())
        make_trace(customer=CustomerFactory())
    many = [_count(ops_client, url) for url in urls]

    assert many == few


def test_trace_figures_read_plainly_with_one_label_for_how_it_was_answered(ops_client) -> None:
    """No 783.7087049999809, and no Degraded ✗ icon beside a stage saying it was degraded."""
    trace = make_trace(latency_ms=783.7087049999809, degraded=True, stages=STAGES)

    page = ops_client.get(reverse("admin:pipeline_pipelinetrace_change", args=[trace.pk]))
    listing = ops_client.get(reverse("admin:pipeline_pipelinetrace_changelist"))
    transcript = ops_client.get(_conversation_url(trace.conversation_id))

    for response in (page, listing, transcript):
        html = response.content.decode()
        assert "784 ms" in html
        assert "783.7087" not in html
    for response in (page, listing):
        html = response.content.decode()
        assert "offline engine (the model providers failed)" in html
        assert "icon-no.svg" not in html and "icon-yes.svg" not in html
