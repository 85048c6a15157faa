"""The queue's rules: priority and SLA, atomic claims, round-robin within capacity, release,
reassign and resolve, and what agents write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from conversations.models import Conversation, Message
from conversations.services import message_create
from desk import queue, services
from desk.models import AgentProfile, HandoffEvent
from desk.presence import agent_seen
from desk.queue import handoff_enqueue
from desk.services import DeskRefused
from pipeline.models import PipelineTrace

pytestmark = pytest.mark.django_db
Status = Conversation.Status
Priority = Conversation.Priority


def events(conversation: Conversation) -> list[str]:
    return list(
        HandoffEvent.objects.filter(conversation=conversation)
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )


# Entering the queue.


@pytest.mark.parametrize(
    ("reason", "vip", "expected"),
    [
        ("legal threat", False, Priority.URGENT),
        ("legal threat", True, Priority.URGENT),
        ("refund of $450.00 is over the bot's $100.00 limit", False, Priority.HIGH),
        ("customer asked for a person", True, Priority.HIGH),
        ("customer asked for a person", False, Priority.NORMAL),
        ("the assistant failed to answer", False, Priority.NORMAL),
    ],
)
def test_priority_comes_from_the_reason_and_the_customers_tier(
    make_handoff: Any, vip_customer: Any, reason: str, vip: bool, expected: int
) -> None:
    conversation, _ = make_handoff(reason, customer=vip_customer if vip else None)
    assert conversation.priority == expected
    minutes = settings.HANDOFF_SLA_MINUTES[expected]
    assert conversation.sla_due_at == conversation.queued_at + dt.timedelta(minutes=minutes)
    assert events(conversation) == [HandoffEvent.Kind.QUEUED]


def test_asking_again_keeps_the_place_in_line_and_can_only_raise_priority(
    make_handoff: Any,
) -> None:
    conversation, _ = make_handoff("customer asked for a person")
    queued_at = conversation.queued_at
    handoff_enqueue(conversation_id=conversation.pk, reason="legal threat")
    conversation.refresh_from_db()
    assert conversation.queued_at == queued_at
    assert conversation.priority == Priority.URGENT
    assert conversation.handoff_reason == "legal threat"
    assert conversation.sla_due_at == queued_at + dt.timedelta(
        minutes=settings.HANDOFF_SLA_MINUTES[Priority.URGENT]
    )
    handoff_enqueue(conversation_id=conversation.pk, reason="customer asked for a person")
    conversation.refresh_from_db()
    assert conversation.priority == Priority.URGENT
    assert events(conversation) == [HandoffEvent.Kind.QUEUED]


def test_asking_for_a_person_keeps_the_intent_the_pipeline_last_saw(make_handoff: Any) -> None:
    conversation, _ = make_handoff("legal threat", intent="complaint_escalation")
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.BOT, intent="")
    asked = message_create(conversation_id=conversation.pk, sender="customer", text="Where is it?")
    PipelineTrace.objects.create(
        conversation=conversation,
        message=asked.message,
        lane="full",
        intent="order_status",
        outcome="answered",
        latency_ms=1.0,
    )
    handoff_enqueue(conversation_id=conversation.pk, reason="customer asked for a person")
    conversation.refresh_from_db()
    assert conversation.intent == "order_status"


# Claiming.


def test_claim_gives_the_conversation_to_the_agent_and_logs_it(
    make_agent: Any, make_handoff: Any
) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    result = services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    assert result.ok and result.agent == "Dana"
    conversation.refresh_from_db()
    assert conversation.status == Status.ASSIGNED and conversation.assigned_agent == dana
    assert events(conversation) == [HandoffEvent.Kind.QUEUED, HandoffEvent.Kind.CLAIMED]
    assert AgentProfile.objects.get(user=dana).last_assigned_at is not None


def test_a_second_claim_is_told_who_won(make_agent: Any, make_handoff: Any) -> None:
    dana, sam = make_agent("Dana"), make_agent("Sam")
    conversation, _ = make_handoff()
    assert services.handoff_claim(conversation_id=conversation.pk, agent=dana).ok
    lost = services.handoff_claim(conversation_id=conversation.pk, agent=sam)
    assert not lost.ok
    assert lost.detail == "Already claimed by Dana."
    again = services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    assert again.ok and "already yours" in again.detail
    conversation.refresh_from_db()
    assert conversation.assigned_agent == dana
    assert events(conversation).count(HandoffEvent.Kind.CLAIMED) == 1


def test_a_resolved_conversation_cannot_be_claimed(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    services.handoff_resolve(conversation_id=conversation.pk, actor=dana)
    result = services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    assert not result.ok and "no longer waiting" in result.detail


def test_only_queue_workers_may_act(make_agent: Any, make_handoff: Any) -> None:
    outsider = make_agent("Olga", permitted=False)
    conversation, _ = make_handoff()
    for act in (
        lambda: services.handoff_claim(conversation_id=conversation.pk, agent=outsider),
        lambda: services.handoff_resolve(conversation_id=conversation.pk, actor=outsider),
        lambda: services.note_create(conversation_id=conversation.pk, author=outsider, text="x"),
    ):
        with pytest.raises(DeskRefused):
            act()
    conversation.refresh_from_db()
    assert conversation.status == Status.QUEUED


# Round-robin.


def test_round_robin_takes_the_longest_idle_available_agent_with_room(
    make_agent: Any, make_handoff: Any
) -> None:
    ann = make_agent("Ann", available=True, capacity=1)
    bob = make_agent("Bob", available=True, capacity=1)
    make_agent("Cat", available=False)  # away: never assigned by round-robin
    now = timezone.now()
    AgentProfile.objects.filter(user=ann).update(last_assigned_at=now - dt.timedelta(minutes=1))
    AgentProfile.objects.filter(user=bob).update(last_assigned_at=now - dt.timedelta(minutes=9))
    first, _ = make_handoff()
    second, _ = make_handoff()
    third, _ = make_handoff()
    assert first.assigned_agent == bob  # idle longest
    assert second.assigned_agent == ann
    assert third.status == Status.QUEUED and third.assigned_agent is None  # nobody has room
    assert events(first) == [HandoffEvent.Kind.QUEUED, HandoffEvent.Kind.ASSIGNED]


def test_resolving_frees_capacity_for_the_next_in_line(make_agent: Any, make_handoff: Any) -> None:
    ann = make_agent("Ann", available=True, capacity=1)
    first, _ = make_handoff()
    waiting_normal, _ = make_handoff()
    waiting_urgent, _ = make_handoff("legal threat")
    assert first.assigned_agent == ann
    services.handoff_resolve(conversation_id=first.pk, actor=ann)
    waiting_normal.refresh_from_db()
    waiting_urgent.refresh_from_db()
    assert waiting_urgent.assigned_agent == ann  # the most urgent goes first
    assert waiting_normal.status == Status.QUEUED


def test_becoming_available_picks_up_waiting_conversations(
    make_agent: Any, make_handoff: Any
) -> None:
    ann = make_agent("Ann", available=False, capacity=2)
    conversations = [make_handoff()[0] for _ in range(3)]
    services.agent_availability_set(agent=ann, available=True)
    owned = Conversation.objects.filter(assigned_agent=ann, status=Status.ASSIGNED)
    assert set(owned.values_list("pk", flat=True)) == {c.pk for c in conversations[:2]}


def test_agents_without_the_permission_are_never_assigned(
    make_agent: Any, make_handoff: Any
) -> None:
    make_agent("Olga", available=True, permitted=False)
    conversation, _ = make_handoff()
    assert conversation.status == Status.QUEUED


def test_agents_marked_available_but_not_at_the_desk_are_never_assigned(
    make_agent: Any, make_handoff: Any
) -> None:
    away = make_agent("Ann", available=True, here=False)
    conversation, _ = make_handoff()
    assert conversation.status == Status.QUEUED
    agent_seen(away.pk)  # Ann opens the queue page; the next round-robin pass finds her
    assert queue.queue_assign_waiting() == 1
    conversation.refresh_from_db()
    assert conversation.assigned_agent == away


# Release, reassign, resolve.


def test_release_keeps_the_place_in_line_and_offers_it_to_someone_else(
    make_agent: Any, make_handoff: Any
) -> None:
    ann = make_agent("Ann", available=True, capacity=1)
    conversation, _ = make_handoff()
    queued_at = conversation.queued_at
    assert conversation.assigned_agent == ann
    result = services.handoff_release(conversation_id=conversation.pk, agent=ann)
    conversation.refresh_from_db()
    assert result.ok and conversation.status == Status.QUEUED  # not straight back to Ann
    assert conversation.queued_at == queued_at
    bob = make_agent("Bob")
    services.agent_availability_set(agent=bob, available=True)
    conversation.refresh_from_db()
    assert conversation.assigned_agent == bob


def test_only_the_owner_releases(make_agent: Any, make_handoff: Any) -> None:
    dana, sam = make_agent("Dana"), make_agent("Sam")
    conversation, _ = make_handoff()
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    with pytest.raises(DeskRefused, match="owns"):
        services.handoff_release(conversation_id=conversation.pk, agent=sam)


def test_reassign_checks_the_target_agents_capacity(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    sam = make_agent("Sam", capacity=1)
    first, _ = make_handoff()
    second, _ = make_handoff()
    services.handoff_claim(conversation_id=first.pk, agent=dana)
    services.handoff_claim(conversation_id=second.pk, agent=dana)
    assert services.handoff_reassign(conversation_id=first.pk, actor=dana, to_agent=sam).ok
    with pytest.raises(DeskRefused, match=r"Sam is at capacity \(1 of 1\)"):
        services.handoff_reassign(conversation_id=second.pk, actor=dana, to_agent=sam)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assigned_agent == sam and second.assigned_agent == dana
    assert events(first)[-1] == HandoffEvent.Kind.REASSIGNED


def test_only_the_owner_or_a_desk_lead_reassigns(make_agent: Any, make_handoff: Any) -> None:
    """Another agent naming themself (or anyone) on a conversation they do not own is refused."""
    dana, sam, lee = make_agent("Dana"), make_agent("Sam"), make_agent("Lee")
    conversation, _ = make_handoff()
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    with pytest.raises(DeskRefused, match="owns this conversation, or a desk lead"):
        services.handoff_reassign(conversation_id=conversation.pk, actor=sam, to_agent=sam)
    conversation.refresh_from_db()
    assert conversation.assigned_agent == dana
    lee.user_permissions.add(Permission.objects.get(codename="lead_queue"))
    lee = User.objects.get(pk=lee.pk)  # permissions are cached per instance
    assert services.handoff_reassign(conversation_id=conversation.pk, actor=lee, to_agent=sam).ok
    assert services.handoff_reassign(conversation_id=conversation.pk, actor=sam, to_agent=dana).ok
    conversation.refresh_from_db()
    assert conversation.assigned_agent == dana


def test_resolve_hands_the_conversation_back_to_the_bot(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    result = services.handoff_resolve(conversation_id=conversation.pk, actor=dana)
    conversation.refresh_from_db()
    assert result.ok and conversation.status == Status.RESOLVED
    assert conversation.resolved_at is not None
    # A new request for a person starts a new wait.
    handoff_enqueue(conversation_id=conversation.pk, reason="customer asked for a person")
    conversation.refresh_from_db()
    assert conversation.status == Status.QUEUED and conversation.resolved_at is None
    assert conversation.queued_at > result_time(conversation)


def result_time(conversation: Conversation) -> dt.datetime:
    return HandoffEvent.objects.get(conversation=conversation, kind="resolved").at


# What agents write.


def test_only_the_owner_replies_and_the_reply_is_an_agent_message(
    make_agent: Any, make_handoff: Any
) -> None:
    dana, sam = make_agent("Dana"), make_agent("Sam")
    conversation, _ = make_handoff()
    with pytest.raises(DeskRefused, match="Claim"):
        services.agent_reply(conversation_id=conversation.pk, agent=dana, text="Hi")
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    with pytest.raises(DeskRefused, match="Claim"):
        services.agent_reply(conversation_id=conversation.pk, agent=sam, text="Hi")
    message = services.agent_reply(
        conversation_id=conversation.pk, agent=dana, text="  Hi, Dana here.  "
    )
    assert message.sender == Message.Sender.AGENT and message.author == dana
    assert message.text == "Hi, Dana here." and message.seq == 1


def test_an_agent_text_with_a_nul_is_refused_not_a_failed_write(
    make_agent: Any, make_handoff: Any
) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    with pytest.raises(DeskRefused, match="NUL"):
        services.agent_reply(conversation_id=conversation.pk, agent=dana, text="hi\x00there")
    with pytest.raises(DeskRefused, match="NUL"):
        services.note_create(conversation_id=conversation.pk, author=dana, text="\x00")
    assert not Message.objects.filter(conversation=conversation, sender="agent").exists()
