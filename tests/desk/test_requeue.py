"""A handoff its agent does not answer in time goes back to the queue (and on to someone here),
and the customer hears their place in line and the expected wait."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conversations.models import Conversation, Message
from conversations.services import message_create
from desk import events, services
from desk.events import HandoffState
from desk.models import HandoffEvent
from desk.presence import agent_gone
from desk.requeue import handoffs_unanswered_requeue
from desk.waits import queue_wait_expected

pytestmark = pytest.mark.django_db


def _later(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_an_unanswered_assignment_goes_back_to_the_queue_after_the_deadline(
    make_agent: Any, make_handoff: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.HANDOFF_ANSWER_WITHIN_S = 120
    ann = make_agent("Ann", available=True)
    conversation, _ = make_handoff()
    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == ann.pk

    assert handoffs_unanswered_requeue(now=_later(60)) == 0  # still within the time
    agent_gone(ann.pk)  # Ann went home without a word
    with django_capture_on_commit_callbacks(execute=False):
        assert handoffs_unanswered_requeue(now=_later(121)) == 1
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED
    assert conversation.assigned_agent is None
    kinds = list(conversation.handoff_events.values_list("kind", flat=True))
    assert kinds[-1] == HandoffEvent.Kind.REQUEUED


def test_the_requeued_handoff_goes_to_another_agent_at_the_desk(
    make_agent: Any, make_handoff: Any, settings: Any
) -> None:
    settings.HANDOFF_ANSWER_WITHIN_S = 120
    ann = make_agent("Ann", available=True)
    conversation, _ = make_handoff()
    bob = make_agent("Bob", available=True)
    assert handoffs_unanswered_requeue(now=_later(121)) == 1
    conversation.refresh_from_db()
    assert conversation.assigned_agent_id == bob.pk != ann.pk


def test_an_agent_who_replied_keeps_the_conversation(
    make_agent: Any, make_handoff: Any, settings: Any
) -> None:
    settings.HANDOFF_ANSWER_WITHIN_S = 120
    make_agent("Ann", available=True)
    conversation, _ = make_handoff()
    conversation.refresh_from_db()
    services.agent_reply(
        conversation_id=conversation.pk, agent=conversation.assigned_agent, text="Hi, I'm Ann."
    )
    assert handoffs_unanswered_requeue(now=_later(3600)) == 0
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ASSIGNED


def test_the_customer_hears_the_place_in_line_when_nobody_takes_it(
    make_agent: Any,
    make_handoff: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.HANDOFF_ANSWER_WITHIN_S = 120
    sent: list[tuple[str, dict[str, Any]]] = []

    async def record(conversation_id: str, frame: dict[str, Any]) -> None:
        sent.append((str(conversation_id), frame))

    monkeypatch.setattr(events, "group_publish", record)
    ann = make_agent("Ann", available=True)
    conversation, _ = make_handoff()
    agent_gone(ann.pk)
    with django_capture_on_commit_callbacks(execute=True):
        handoffs_unanswered_requeue(now=_later(121))
    assert sent == [(str(conversation.pk), HandoffState("queued", 1, None, None).frame())]


def test_expected_wait_is_the_median_time_to_an_agents_first_reply(
    make_agent: Any, make_handoff: Any
) -> None:
    assert queue_wait_expected() is None  # no history yet: no promise
    ann = make_agent("Ann")
    for minutes in (1, 3, 30):  # one slow one does not set everyone's expectation
        conversation, _ = make_handoff()
        services.handoff_claim(conversation_id=conversation.pk, agent=ann)
        queued_at = conversation.handoff_events.get(kind="queued").at
        reply = message_create(
            conversation_id=conversation.pk,
            sender=Message.Sender.AGENT,
            text="Hi",
            author_id=ann.pk,
        ).message
        Message.objects.filter(pk=reply.pk).update(
            created_at=queued_at + dt.timedelta(minutes=minutes)
        )
        services.handoff_resolve(conversation_id=conversation.pk, actor=ann)
    assert queue_wait_expected() == 180
