"""How long a customer who joins the queue now can expect to wait for a person: the median time
from joining the queue to an agent's first reply, over the queue's latest answered handoffs.

The median, not the mean: one handoff left overnight should not tell everyone to wait hours.
"""

from __future__ import annotations

import statistics

from django.db.models import OuterRef, Subquery

from conversations.models import Message
from desk.models import HandoffEvent

RECENT_HANDOFFS = 20
LOOK_BACK = 200  # queued events read to find RECENT_HANDOFFS that an agent answered


def queue_wait_expected() -> int | None:
    """Seconds, rounded; None while no handoff has had an agent's reply yet."""
    first_reply = (
        Message.objects.filter(
            conversation=OuterRef("conversation"),
            sender=Message.Sender.AGENT,
            created_at__gte=OuterRef("at"),
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        HandoffEvent.objects.filter(kind=HandoffEvent.Kind.QUEUED)
        .annotate(first_reply_at=Subquery(first_reply))
        .order_by("-at")
        .values_list("at", "first_reply_at")[:LOOK_BACK]
    )
    waits = [(replied - queued).total_seconds() for queued, replied in rows if replied]
    if not waits:
        return None
    return round(statistics.median(waits[:RECENT_HANDOFFS]))
