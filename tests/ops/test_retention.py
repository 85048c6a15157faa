"""The scheduled transcript purge: old transcripts lose their text in bounded batches, recent ones
are untouched, and the traces' cost, latency and token aggregates survive."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from conversations.models import Conversation, Message
from desk.models import ConversationNote
from ops.tasks import transcripts_purge
from pipeline.models import ModelCall, PipelineTrace
from tests.factories import ConversationFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def transcript(*, idle_days: int, traced: bool, customer: Any = None) -> Conversation:
    """A conversation last active `idle_days` ago: a customer message, the bot's reply, an agent
    message, a note and a CSAT comment; with `traced`, a trace and a model call on the turn."""
    at = timezone.now() - dt.timedelta(days=idle_days)
    conversation = ConversationFactory(customer=customer, csat_score=4, csat_comment="Call me")
    said = Message.objects.create(
        conversation=conversation,
        seq=1,
        sender="customer",
        text="Where is ORD-4521? I'm at 12 Elm St.",
        created_at=at,
    )
    reply = Message.objects.create(
        conversation=conversation, seq=2, sender="bot", text="On its way", reply_to=said
    )
    Message.objects.create(conversation=conversation, seq=3, sender="agent", text="Hi, Dana here")
    ConversationNote.objects.create(conversation=conversation, text="VIP, be nice")
    if traced:
        trace = PipelineTrace.objects.create(
            conversation=conversation,
            message=said,
            reply=reply,
            customer=customer,
            lane="full",
            intent="order_status",
            outcome="answered",
            latency_ms=812.5,
            prompt_tokens=900,
            completion_tokens=120,
            cost_usd=Decimal("0.004210"),
            facts={"order_number": "ORD-4521", "location": "Chicago, IL", "stalled": True},
            plan={
                "steps": [{"kind": "explain_status", "summary": "ORD-4521 is in Chicago"}],
                "rejections": ["amount $28.35 is not in the facts"],
            },
            stages=[{"stage": "queries", "latency_ms": 3.0, "detail": {"order": "ORD-4521"}}],
        )
        ModelCall.objects.create(
            trace=trace, stage="reasoning", model="gpt-4.1", provider="remote", attempt=1,
            outcome="ok", cost_usd=Decimal("0.004210"),
        )  # fmt: skip
    # updated_at is auto_now: set the last-activity clock behind the ORM's back.
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=3, updated_at=at)
    return conversation


def test_old_transcripts_are_purged_and_aggregates_kept(settings: Any) -> None:
    settings.TRANSCRIPT_RETENTION_DAYS = 90
    customer = CustomerFactory()
    old_bare = transcript(idle_days=120, traced=False)
    old_traced = transcript(idle_days=120, traced=True, customer=customer)
    recent = transcript(idle_days=10, traced=True)
    trace = PipelineTrace.objects.get(conversation=old_traced)

    summary = transcripts_purge.apply().get()  # the task itself, run here as a worker would

    assert (summary["deleted"], summary["stubbed"], summary["done"]) == (1, 1, True)
    assert not Conversation.objects.filter(pk=old_bare.pk).exists()
    stub = Conversation.objects.get(pk=old_traced.pk)
    assert stub.anonymised_at is not None and stub.csat_comment == "" and stub.csat_score == 4
    assert list(stub.messages.values_list("pk", "text")) == [(trace.message_id, "")]
    assert not ConversationNote.objects.filter(conversation=stub).exists()
    kept = PipelineTrace.objects.get(pk=trace.pk)
    assert kept.reply_id is None and kept.customer_id == customer.pk
    assert (kept.lane, kept.intent, kept.outcome) == ("full", "order_status", "answered")
    assert (kept.latency_ms, kept.prompt_tokens, kept.completion_tokens) == (812.5, 900, 120)
    assert kept.cost_usd == Decimal("0.004210") and kept.calls.count() == 1
    assert "ORD-4521" not in str([kept.facts, kept.plan, kept.stages])
    assert kept.facts["stalled"] is True and kept.plan["steps"] == [{"kind": "explain_status"}]
    # Verifier rejections stay, masked, so the dashboard still clusters them.
    assert kept.plan["rejections"] == ["amount $##.## is not in the facts"]
    untouched = Conversation.objects.get(pk=recent.pk)
    assert untouched.anonymised_at is None and untouched.messages.count() == 3
    assert untouched.csat_comment == "Call me"


def test_purge_runs_in_bounded_batches_and_is_idempotent(settings: Any) -> None:
    settings.TRANSCRIPT_RETENTION_DAYS = 30
    old = [transcript(idle_days=40 + i, traced=i % 2 == 0) for i in range(5)]

    first = transcripts_purge.apply(kwargs={"batch_size": 2, "max_batches": 1}).get()
    assert (first["batches"], first["deleted"] + first["stubbed"], first["done"]) == (1, 2, False)
    # Oldest first: the two conversations idle longest went in the first batch.
    purged = {c.pk for c in old[3:]}
    remaining = Conversation.objects.filter(pk__in=purged, anonymised_at__isnull=True)
    assert not remaining.exists()

    rest = transcripts_purge.apply(kwargs={"batch_size": 2}).get()
    assert rest["deleted"] + rest["stubbed"] == 3 and rest["done"]
    again = transcripts_purge.apply().get()
    assert (again["deleted"], again["stubbed"], again["batches"]) == (0, 0, 0)
    assert Conversation.objects.count() == 3  # the traced stubs
    assert PipelineTrace.objects.count() == 3


def test_retention_follows_last_activity_not_creation(settings: Any) -> None:
    settings.TRANSCRIPT_RETENTION_DAYS = 30
    conversation = transcript(idle_days=200, traced=False)
    Message.objects.create(
        conversation=conversation, seq=4, sender="customer", text="still there?", id=uuid.uuid4()
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())

    summary = transcripts_purge.apply().get()

    assert summary["deleted"] == 0
    assert Conversation.objects.get(pk=conversation.pk).messages.count() == 4
