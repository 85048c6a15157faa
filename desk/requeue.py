"""A handoff whose agent has not answered within HANDOFF_ANSWER_WITHIN_S goes back to the queue
at its old place, and on to the next agent at the desk if one has room: the agent may have gone
without a word, and the customer should not wait on them. Run every minute, by Celery beat
(desk.tasks) or, on embedded defaults, by the web process's own tick (chat/lifecycle.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from conversations.models import Conversation, Message
from desk.events import publish_after_commit
from desk.models import HandoffEvent
from desk.queue import assigned_frame, handoff_log, offer_to_next_agent

logger = logging.getLogger(__name__)
Status = Conversation.Status
OWNING_KINDS = (
    HandoffEvent.Kind.ASSIGNED,
    HandoffEvent.Kind.CLAIMED,
    HandoffEvent.Kind.REASSIGNED,
)


def unanswered_assignments(*, now: dt.datetime) -> list[object]:
    """Ids of conversations whose owner got them before the deadline and has not replied since."""
    deadline = now - dt.timedelta(seconds=settings.HANDOFF_ANSWER_WITHIN_S)
    owned_since = (
        HandoffEvent.objects.filter(conversation=OuterRef("pk"), kind__in=OWNING_KINDS)
        .values("conversation")
        .annotate(last=Max("at"))
        .values("last")
    )
    replied = Message.objects.filter(
        conversation=OuterRef("pk"),
        sender=Message.Sender.AGENT,
        author=OuterRef("assigned_agent"),
        created_at__gte=OuterRef("owned_since"),
    )
    return list(
        Conversation.objects.filter(status=Status.ASSIGNED)
        .annotate(owned_since=Subquery(owned_since))
        .filter(Q(owned_since__lte=deadline))
        .exclude(Exists(replied))
        .values_list("pk", flat=True)[:200]
    )


def handoffs_unanswered_requeue(*, now: dt.datetime | None = None) -> int:
    """Requeue every handoff its agent left unanswered; how many moved."""
    now = now or timezone.now()
    moved = 0
    for conversation_id in unanswered_assignments(now=now):
        if handoff_requeue(conversation_id=conversation_id, now=now):
            moved += 1
    if moved:
        logger.warning("requeued %d handoffs their agents did not answer in time", moved)
    return moved


def handoff_requeue(*, conversation_id: object, now: dt.datetime) -> bool:
    """Re-checked under the row's lock: the agent may have replied, or released it, meanwhile."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(skip_locked=True)
            .filter(pk=conversation_id, status=Status.ASSIGNED)
            .first()
        )
        if conversation is None or conversation_id not in unanswered_assignments(now=now):
            return False
        absent = conversation.assigned_agent_id
        conversation.status = Status.QUEUED
        conversation.assigned_agent = None
        conversation.save(update_fields=["status", "assigned_agent", "updated_at"])
        handoff_log(conversation.pk, HandoffEvent.Kind.REQUEUED, actor=None, agent=None, at=now)
        taker = offer_to_next_agent(conversation, exclude_user_ids=(absent,) if absent else ())
        publish_after_commit(
            frames=[assigned_frame(conversation.pk, taker)] if taker else [],
            positions_from=None if taker else conversation.queued_at,
            queue_changed=True,
        )
    return True
