"""Round-robin assignment: the longest-idle available agent with room takes the next handoff.

Available means marked so in their AgentProfile and at the desk now (desk.presence).

Capacity is counted from the conversations an agent owns right now. Every assignment locks the
candidate agents' profile rows first (in primary-key order, so two assigners never deadlock),
which makes "count, then assign" safe when handoffs arrive at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F

from conversations.models import Conversation
from desk.models import AgentProfile
from desk.permissions import work_queue_users
from desk.presence import agents_here


@dataclass(frozen=True)
class AgentLoad:
    profile: AgentProfile
    owned: int

    @property
    def has_room(self) -> bool:
        return self.owned < self.profile.capacity


def owned_counts(user_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Conversation.objects.filter(
            status=Conversation.Status.ASSIGNED, assigned_agent_id__in=list(user_ids)
        )
        .values("assigned_agent_id")
        .annotate(owned=Count("pk"))
    )
    return {row["assigned_agent_id"]: row["owned"] for row in rows}


def agent_profile_locked(user: Any) -> AgentProfile:
    """The agent's profile, locked for this transaction (created with defaults if missing)."""
    profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=user)
    return profile


def agent_load(user: Any) -> AgentLoad:
    profile = agent_profile_locked(user)
    return AgentLoad(profile, owned_counts([user.pk]).get(user.pk, 0))


def agent_next(*, exclude_user_ids: Iterable[int] = ()) -> AgentProfile | None:
    """Lock the available agents at the desk and return the longest-idle one with room."""
    candidates = dict(
        AgentProfile.objects.filter(available=True, user__in=work_queue_users())
        .exclude(user_id__in=list(exclude_user_ids))
        .values_list("user_id", "pk")
    )
    ids = [candidates[user_id] for user_id in agents_here(candidates)]
    if not ids:
        return None
    profiles = list(
        AgentProfile.objects.select_for_update()
        .filter(pk__in=ids, available=True)
        .select_related("user")
        .order_by("pk")
    )
    owned = owned_counts(p.user_id for p in profiles)
    with_room = [p for p in profiles if owned.get(p.user_id, 0) < p.capacity]
    with_room.sort(key=_idle_order)
    return with_room[0] if with_room else None


def _idle_order(profile: AgentProfile) -> tuple[int, dt.datetime | None, int]:
    # Never assigned goes first; then the oldest last assignment; pk breaks ties.
    last = profile.last_assigned_at
    return (0 if last is None else 1, last, profile.pk)


def assignment_take(*, conversation_id: Any, user: Any, now: dt.datetime) -> bool:
    """Move a queued conversation to this agent; False if it was no longer queued."""
    taken = Conversation.objects.filter(
        pk=conversation_id, status=Conversation.Status.QUEUED
    ).update(status=Conversation.Status.ASSIGNED, assigned_agent=user, updated_at=now)
    if taken:
        AgentProfile.objects.filter(user=user).update(last_assigned_at=now)
    return bool(taken)


def queue_order() -> tuple[Any, ...]:
    """Who gets a human first: the most urgent, then the longest waiting."""
    return ("priority", F("queued_at").asc(nulls_last=True), "pk")
