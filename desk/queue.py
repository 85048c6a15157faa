"""Entering the handoff queue: a customer asks for a person, or the bot hands over. The desk
decides the priority and the SLA, offers the conversation to the next available agent, logs a
HandoffEvent, and tells the customer where they stand (a `handoff` frame after commit).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.live import publish_on_commit
from conversations.models import Conversation, Message
from conversations.selectors import message_frame
from conversations.services import message_create
from desk.assignment import agent_next, assignment_take, queue_order
from desk.events import HandoffState, handoff_frame_for, publish_after_commit
from desk.models import HandoffEvent
from desk.permissions import display_name
from desk.waits import queue_wait_expected
from pipeline.models import PipelineTrace

Status = Conversation.Status
Priority = Conversation.Priority
VIP_TIER_CODES = frozenset({"vip"})
URGENT_REASON_WORDS = ("legal threat",)
HIGH_REASON_WORDS = ("over the bot's",)  # refunds and compensation past the bot's limit
CUSTOMER_ASKED = "customer asked for a person"
QUEUED_TEXT = (
    "You asked for a person. A member of our team will join this chat as soon as one is free."
)


def handoff_request(*, conversation_id: uuid.UUID | str) -> HandoffState:
    """The customer pressed "talk to a human". Asking twice changes nothing but says again
    where the customer stands."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if conversation.status not in {Status.QUEUED, Status.ASSIGNED}:
            note = message_create(
                conversation_id=conversation_id, sender=Message.Sender.SYSTEM, text=QUEUED_TEXT
            ).message
            publish_on_commit(conversation_id, message_frame(note))
        return handoff_enqueue(conversation_id=conversation_id, reason=CUSTOMER_ASKED)


def queue_position(*, conversation: Conversation) -> int:
    ahead = Conversation.objects.filter(
        status=Status.QUEUED, queued_at__lt=conversation.queued_at
    ).count()
    return ahead + 1


def queued_state(conversation: Conversation) -> HandoffState:
    return HandoffState(
        "queued", queue_position(conversation=conversation), None, queue_wait_expected()
    )


def handoff_state_get(*, conversation_id: uuid.UUID | str) -> HandoffState | None:
    """Where the customer stands with the people, if a person is involved: what a reconnecting
    widget is told (shared/protocol.md, guarantee 8)."""
    conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
    if conversation.status == Status.QUEUED:
        return queued_state(conversation)
    if conversation.status == Status.ASSIGNED:
        return HandoffState("assigned", None, display_name(conversation.assigned_agent))
    return None


def handoff_priority(*, reason: str, customer: Any) -> int:
    """Legal threats are urgent; money over the bot's limit and VIP customers come next."""
    text = reason.lower()
    if any(word in text for word in URGENT_REASON_WORDS):
        return Priority.URGENT
    if any(word in text for word in HIGH_REASON_WORDS):
        return Priority.HIGH
    if customer is not None and customer.tier.code in VIP_TIER_CODES:
        return Priority.HIGH
    return Priority.NORMAL


def sla_due(*, queued_at: dt.datetime, priority: int) -> dt.datetime:
    return queued_at + dt.timedelta(minutes=settings.HANDOFF_SLA_MINUTES[priority])


def handoff_enqueue(
    *, conversation_id: uuid.UUID | str, reason: str, intent: str = ""
) -> HandoffState:
    """Queue a conversation for a person (once), then offer it to the next available agent.

    The customer hears the returned state as a `handoff` frame once this commits.
    Asking again while queued can only raise the priority, never lose the place in line.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if conversation.status == Status.ASSIGNED:
            state = HandoffState("assigned", None, display_name(conversation.assigned_agent))
            publish_after_commit(frames=[handoff_frame_for(conversation.pk, state)])
            return state
        priority = handoff_priority(reason=reason, customer=conversation.customer)
        if conversation.status == Status.QUEUED:
            _priority_raise(conversation, priority, reason)
        else:
            _queue_join(conversation, reason=reason, intent=intent, priority=priority)
        agent = offer_to_next_agent(conversation)
        if agent is not None:
            state = HandoffState("assigned", None, display_name(agent))
        else:
            state = queued_state(conversation)
        publish_after_commit(frames=[handoff_frame_for(conversation.pk, state)], queue_changed=True)
    return state


def _queue_join(conversation: Conversation, *, reason: str, intent: str, priority: int) -> None:
    now = timezone.now()
    conversation.status = Status.QUEUED
    conversation.queued_at = now
    conversation.handoff_reason = reason[:200]
    conversation.intent = intent or _latest_intent(conversation) or conversation.intent
    conversation.priority = priority
    conversation.sla_due_at = sla_due(queued_at=now, priority=priority)
    conversation.assigned_agent = None
    conversation.resolved_at = None
    conversation.save(
        update_fields=[
            "status",
            "queued_at",
            "handoff_reason",
            "intent",
            "priority",
            "sla_due_at",
            "assigned_agent",
            "resolved_at",
            "updated_at",
        ]
    )
    HandoffEvent.objects.create(conversation=conversation, kind=HandoffEvent.Kind.QUEUED, at=now)


def _latest_intent(conversation: Conversation) -> str:
    """A customer who presses "talk to a human" says nothing new: the last run's intent stands."""
    return (
        PipelineTrace.objects.filter(conversation=conversation)
        .order_by("-created_at", "-pk")
        .values_list("intent", flat=True)
        .first()
        or ""
    )


def _priority_raise(conversation: Conversation, priority: int, reason: str) -> None:
    """A more urgent reason (say, a legal threat while waiting) is the one agents should read."""
    if priority >= conversation.priority:
        return
    conversation.priority = priority
    conversation.handoff_reason = reason[:200]
    conversation.sla_due_at = sla_due(queued_at=conversation.queued_at, priority=priority)
    conversation.save(update_fields=["priority", "handoff_reason", "sla_due_at", "updated_at"])


def offer_to_next_agent(
    conversation: Conversation, exclude_user_ids: tuple[int, ...] = ()
) -> Any | None:
    """Round-robin: give a queued conversation to the next agent with room, if any."""
    profile = agent_next(exclude_user_ids=exclude_user_ids)
    if profile is None:
        return None
    now = timezone.now()
    if not assignment_take(conversation_id=conversation.pk, user=profile.user, now=now):
        return None
    handoff_log(conversation.pk, HandoffEvent.Kind.ASSIGNED, actor=None, agent=profile.user, at=now)
    return profile.user


def queue_assign_waiting() -> int:
    """Hand waiting conversations to available agents until no one has room; how many moved."""
    moved = 0
    waiting = Conversation.objects.filter(status=Status.QUEUED)
    with transaction.atomic():
        for pk in waiting.order_by(*queue_order()).values_list("pk", flat=True)[:200]:
            # The conversation's lock before the agents' (as everywhere), skipping one that
            # another transaction is already placing: no two assigners can deadlock.
            conversation = waiting.select_for_update(skip_locked=True).filter(pk=pk).first()
            if conversation is None:
                continue
            agent = offer_to_next_agent(conversation)
            if agent is None:
                break
            moved += 1
            publish_after_commit(
                frames=[assigned_frame(conversation.pk, agent)],
                positions_from=conversation.queued_at,
            )
        if moved:
            publish_after_commit(queue_changed=True)
    return moved


def handoff_log(
    conversation_id: Any,
    kind: str,
    *,
    actor: Any | None,
    agent: Any | None,
    at: dt.datetime | None = None,
) -> None:
    HandoffEvent.objects.create(
        conversation_id=conversation_id,
        kind=kind,
        actor=actor,
        agent=agent,
        at=at or timezone.now(),
    )


def assigned_frame(conversation_id: Any, agent: Any) -> tuple[str, dict[str, Any]]:
    return handoff_frame_for(conversation_id, HandoffState("assigned", None, display_name(agent)))
