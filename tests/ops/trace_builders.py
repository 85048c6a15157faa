"""Hand-made traces for the ops tests: a conversation, its customer message and bot reply, the
trace and its model calls, dated where the test says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from conversations.models import Conversation, Message
from pipeline.models import ModelCall, PipelineTrace
from tests.factories import ConversationFactory


def make_trace(
    *,
    ago: dt.timedelta = dt.timedelta(hours=1),
    text: str = "where is my order?",
    reply: str = "It is on its way.",
    conversation: Conversation | None = None,
    calls: list[dict[str, Any]] | None = None,
    cost: str = "0",
    **fields: Any,
) -> PipelineTrace:
    """A trace `ago` before now; `fields` set PipelineTrace columns (lane, outcome, ...)."""
    at = timezone.now() - ago
    # A conversation starts with its first message; a failed or handed-off turn queued it for
    # a person, as the pipeline does (ops.resolution reads both).
    handed = fields.get("outcome") in {"handoff", "failed"}
    conversation = conversation or ConversationFactory(
        created_at=at, queued_at=at if handed else None
    )
    seq = conversation.last_seq
    message = Message.objects.create(
        conversation=conversation, seq=seq + 1, sender="customer", text=text, created_at=at
    )
    bot = Message.objects.create(
        conversation=conversation,
        seq=seq + 2,
        sender="bot",
        text=reply,
        reply_to=message,
        created_at=at,
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=seq + 2)
    conversation.last_seq = seq + 2
    values = {"lane": "fast", "intent": "order_status", "outcome": "answered", "latency_ms": 100}
    trace = PipelineTrace.objects.create(
        conversation=conversation,
        message=message,
        reply=bot,
        cost_usd=Decimal(cost),
        **{**values, **fields},
    )
    PipelineTrace.objects.filter(pk=trace.pk).update(created_at=at)  # auto_now_add on create
    trace.created_at = at
    for call in calls or []:
        ModelCall.objects.create(trace=trace, **{"provider": "remote", "outcome": "ok", **call})
    return trace


def staff_user(username: str, *groups: str, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username, password="pw-for-tests", is_staff=True, is_superuser=superuser
    )
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user
