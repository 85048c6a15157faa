"""support_bot.sql.insert: the hot path's lean INSERT saves rows as the ORM would."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from conversations.models import Message
from conversations.services import message_create
from pipeline.models import ModelCall, PipelineTrace
from support_bot.sql import insert
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def _turn() -> tuple[Message, Message]:
    conversation = ConversationFactory()
    asked = message_create(conversation_id=conversation.pk, sender="customer", text="hi").message
    reply = message_create(
        conversation_id=conversation.pk, sender="bot", text="hello", reply_to_id=asked.pk
    ).message
    return asked, reply


def test_rows_read_back_as_the_orm_wrote_them() -> None:
    asked, reply = _turn()
    trace = PipelineTrace(
        conversation_id=asked.conversation_id,
        message_id=asked.pk,
        reply=reply,
        lane="full",
        intent="shipping",
        outcome=PipelineTrace.Outcome.ANSWERED,
        latency_ms=12.5,
        cost_usd=Decimal("0.001234"),
        facts={"order": {"number": "1001", "total": "12.00"}, "days": [1, 2]},
    )
    insert([trace])
    assert trace.pk is not None and not trace._state.adding
    calls = [
        ModelCall(trace=trace, stage=stage, model="m", provider="http", attempt=1, outcome="ok")
        for stage in ("intent", "reasoning", "empathy")
    ]
    insert(calls)
    assert [c.pk for c in calls] == sorted(c.pk for c in calls)  # keys read back row for row

    stored = PipelineTrace.objects.get(pk=trace.pk)
    assert stored.facts == {"order": {"number": "1001", "total": "12.00"}, "days": [1, 2]}
    assert stored.cost_usd == Decimal("0.001234") and stored.created_at is not None  # auto_now_add
    assert stored.secondary_intents == [] and stored.plan == {} and stored.retries == 0  # defaults
    assert {c.pk: c.stage for c in stored.calls.all()} == {c.pk: c.stage for c in calls}


def test_a_duplicate_fails_as_an_integrity_error_and_writes_nothing() -> None:
    asked, _ = _turn()
    again = Message(
        id=uuid.uuid4(),
        conversation_id=asked.conversation_id,
        seq=asked.seq,  # (conversation, seq) is unique
        sender="customer",
        text="again",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([again])
    assert not Message.objects.filter(pk=again.pk).exists()
