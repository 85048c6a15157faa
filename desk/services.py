"""Writes of the handoff desk: the queue (enqueue, claim, release, reassign, resolve, round-robin)
and what agents write (replies the customer sees, notes the customer never does).

Every change is logged as a HandoffEvent and published after commit (desk.events): the
customer's widget hears a `handoff` frame, queue pages hear that the queue changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from conversations.models import MAX_MESSAGE_CHARS, Conversation, Message
from conversations.selectors import message_frame
from conversations.services import message_create
from desk.assignment import agent_load, assignment_take
from desk.events import HandoffState, handoff_frame_for, publish_after_commit
from desk.models import AgentProfile, ConversationNote, HandoffEvent
from desk.permissions import can_lead_queue, can_work_queue, display_name
from desk.presence import agent_seen
from desk.queue import assigned_frame, handoff_log, offer_to_next_agent, queue_assign_waiting

Status = Conversation.Status
Priority = Conversation.Priority
MAX_NOTE_CHARS = 4000


class DeskRefused(Exception):
    """An agent's request that cannot be done as asked; the message says why, for the agent."""


@dataclass(frozen=True)
class HandoffResult:
    ok: bool
    detail: str
    status: str
    agent: str | None = None


# Agents acting on a conversation.


def handoff_claim(*, conversation_id: uuid.UUID | str, agent: Any) -> HandoffResult:
    """Take a waiting conversation. Atomic: of two agents claiming at once, one wins and the
    other is told who did."""
    _require_agent(agent)
    now = timezone.now()
    with transaction.atomic():
        won = assignment_take(conversation_id=conversation_id, user=agent, now=now)
        conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
        if not won:
            return _claim_lost(conversation, agent)
        handoff_log(conversation.pk, HandoffEvent.Kind.CLAIMED, actor=agent, agent=agent, at=now)
        publish_after_commit(
            frames=[assigned_frame(conversation.pk, agent)],
            positions_from=conversation.queued_at,
            queue_changed=True,
        )
    return HandoffResult(
        True, "You have claimed this conversation.", Status.ASSIGNED, display_name(agent)
    )


def _claim_lost(conversation: Conversation, agent: Any) -> HandoffResult:
    owner = conversation.assigned_agent
    if conversation.status == Status.ASSIGNED and owner is not None:
        if owner.pk == agent.pk:
            return HandoffResult(
                True, "This conversation is already yours.", Status.ASSIGNED, display_name(owner)
            )
        return HandoffResult(
            False,
            f"Already claimed by {display_name(owner)}.",
            Status.ASSIGNED,
            display_name(owner),
        )
    return HandoffResult(
        False,
        f"This conversation is no longer waiting ({conversation.get_status_display().lower()}).",
        conversation.status,
    )


def handoff_release(*, conversation_id: uuid.UUID | str, agent: Any) -> HandoffResult:
    """Give a conversation back to the queue at its old place (queued_at is kept)."""
    _require_agent(agent)
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.status != Status.ASSIGNED:
            raise DeskRefused("Only a conversation with an agent can be released.")
        if conversation.assigned_agent_id != agent.pk and not agent.is_superuser:
            raise DeskRefused("Only the agent who owns this conversation can release it.")
        conversation.status = Status.QUEUED
        conversation.assigned_agent = None
        conversation.save(update_fields=["status", "assigned_agent", "updated_at"])
        handoff_log(conversation.pk, HandoffEvent.Kind.RELEASED, actor=agent, agent=None)
        taker = offer_to_next_agent(conversation, exclude_user_ids=(agent.pk,))
        frames = [assigned_frame(conversation.pk, taker)] if taker else []
        publish_after_commit(
            frames=frames, positions_from=conversation.queued_at, queue_changed=True
        )
    if taker is not None:
        return HandoffResult(
            True, f"Released; {display_name(taker)} took it.", Status.ASSIGNED, display_name(taker)
        )
    return HandoffResult(True, "Released to the queue.", Status.QUEUED)


def handoff_reassign(
    *, conversation_id: uuid.UUID | str, actor: Any, to_agent: Any
) -> HandoffResult:
    """Give a waiting or owned conversation to a named agent, within that agent's capacity."""
    _require_agent(actor)
    if not can_work_queue(to_agent):
        raise DeskRefused(f"{display_name(to_agent)} cannot work the queue.")
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.status not in {Status.QUEUED, Status.ASSIGNED}:
            raise DeskRefused("Only a waiting or owned conversation can be reassigned.")
        if conversation.assigned_agent_id != actor.pk and not can_lead_queue(actor):
            raise DeskRefused(
                "Only the agent who owns this conversation, or a desk lead, can reassign it."
            )
        if conversation.assigned_agent_id == to_agent.pk:
            raise DeskRefused(f"{display_name(to_agent)} already owns this conversation.")
        load = agent_load(to_agent)
        if not load.has_room:
            raise DeskRefused(
                f"{display_name(to_agent)} is at capacity ({load.owned} of {load.profile.capacity})."
            )
        was_queued = conversation.status == Status.QUEUED
        now = timezone.now()
        conversation.status = Status.ASSIGNED
        conversation.assigned_agent = to_agent
        conversation.save(update_fields=["status", "assigned_agent", "updated_at"])
        AgentProfile.objects.filter(pk=load.profile.pk).update(last_assigned_at=now)
        handoff_log(
            conversation.pk, HandoffEvent.Kind.REASSIGNED, actor=actor, agent=to_agent, at=now
        )
        publish_after_commit(
            frames=[assigned_frame(conversation.pk, to_agent)],
            positions_from=conversation.queued_at if was_queued else None,
            queue_changed=True,
        )
    return HandoffResult(
        True, f"Reassigned to {display_name(to_agent)}.", Status.ASSIGNED, display_name(to_agent)
    )


def handoff_resolve(*, conversation_id: uuid.UUID | str, actor: Any) -> HandoffResult:
    """Close the handoff; the bot answers the customer's next message again."""
    _require_agent(actor)
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.status not in {Status.QUEUED, Status.ASSIGNED}:
            raise DeskRefused("Only a waiting or owned conversation can be resolved.")
        owner = conversation.assigned_agent_id
        if owner is not None and owner != actor.pk and not actor.is_superuser:
            raise DeskRefused("Only the agent who owns this conversation can resolve it.")
        was_queued = conversation.status == Status.QUEUED
        conversation.status = Status.RESOLVED
        conversation.resolved_at = timezone.now()
        conversation.save(update_fields=["status", "resolved_at", "updated_at"])
        handoff_log(conversation.pk, HandoffEvent.Kind.RESOLVED, actor=actor, agent=None)
        publish_after_commit(
            frames=[handoff_frame_for(conversation.pk, HandoffState("resolved", None, None))],
            positions_from=conversation.queued_at if was_queued else None,
            queue_changed=True,
        )
    queue_assign_waiting()  # the owner has room again
    return HandoffResult(True, "Resolved; the assistant answers again.", Status.RESOLVED)


def agent_availability_set(*, agent: Any, available: bool) -> AgentProfile:
    """Mark an agent in or out of round-robin; coming in picks up waiting conversations."""
    _require_agent(agent)
    if available:
        agent_seen(agent.pk)  # they are at the desk: they just pressed the button
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=agent)
        profile.available = available
        profile.save(update_fields=["available"])
    if available:
        queue_assign_waiting()
    return profile


# What agents write.


def agent_reply(*, conversation_id: uuid.UUID | str, agent: Any, text: str) -> Message:
    """A reply the customer sees at once in the widget; only the owning agent may send it."""
    _require_agent(agent)
    text = text.strip()
    if "\x00" in text:  # PostgreSQL cannot store it; a form can still send it
        raise DeskRefused("The text holds a NUL character, which cannot be saved.")
    if not text:
        raise DeskRefused("Write a reply first.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise DeskRefused(f"Replies are limited to {MAX_MESSAGE_CHARS} characters.")
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.status != Status.ASSIGNED or conversation.assigned_agent_id != agent.pk:
            raise DeskRefused("Claim this conversation before replying.")
        message = message_create(
            conversation_id=conversation.pk,
            sender=Message.Sender.AGENT,
            text=text,
            author_id=agent.pk,
        ).message
        publish_after_commit(frames=[(str(conversation.pk), message_frame(message))])
    return message


def note_create(*, conversation_id: uuid.UUID | str, author: Any, text: str) -> ConversationNote:
    """An internal note: published to the agents' consoles only, never to the customer."""
    _require_agent(author)
    text = text.strip()
    if "\x00" in text:  # PostgreSQL cannot store it; a form can still send it
        raise DeskRefused("The text holds a NUL character, which cannot be saved.")
    if not text:
        raise DeskRefused("Write a note first.")
    if len(text) > MAX_NOTE_CHARS:
        raise DeskRefused(f"Notes are limited to {MAX_NOTE_CHARS} characters.")
    with transaction.atomic():
        note = ConversationNote.objects.create(
            conversation_id=conversation_id, author=author, text=text
        )
        publish_after_commit(console=[(str(conversation_id), {"type": "note", "note_id": note.pk})])
    return note


# Helpers.


def _require_agent(user: Any) -> None:
    if not can_work_queue(user):
        raise DeskRefused("You do not have permission to work the handoff queue.")


def _locked(conversation_id: uuid.UUID | str) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation_id)
