"""What the chat consumer does with the database, as plain sync functions (it calls them
through database_sync_to_async)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from conversations.models import Conversation, Message
from conversations.selectors import message_frame
from conversations.services import HandoffState, handoff_enqueue, message_create

CUSTOMER_ASKED = "customer asked for a person"
QUEUED_TEXT = (
    "You asked for a person. A member of our team will join this chat as soon as one is free."
)
IN_PROGRESS_LOOKBACK = 3  # replies still streaming can only be for the last few messages


def customer_message_find(*, conversation_id: str, client_id: uuid.UUID) -> Message | None:
    return Message.objects.filter(
        conversation_id=conversation_id, client_id=client_id, sender=Message.Sender.CUSTOMER
    ).first()


def replies_in_progress(*, conversation_id: str) -> list[str]:
    """Ids of the latest customer messages with no bot reply yet, oldest first."""
    waiting = (
        Message.objects.filter(conversation_id=conversation_id, sender=Message.Sender.CUSTOMER)
        .exclude(replies__sender=Message.Sender.BOT)
        .order_by("-seq")
        .values_list("id", flat=True)[:IN_PROGRESS_LOOKBACK]
    )
    return [str(message_id) for message_id in reversed(list(waiting))]


def handoff_request(*, conversation_id: str) -> list[dict[str, Any]]:
    """Queue the conversation for a person; the frames to publish. Asking twice changes
    nothing but says again where the customer stands."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        was_waiting = conversation.status in {
            Conversation.Status.QUEUED,
            Conversation.Status.ASSIGNED,
        }
        state = handoff_enqueue(conversation_id=conversation_id, reason=CUSTOMER_ASKED)
        note = None
        if not was_waiting:
            note = message_create(
                conversation_id=conversation_id, sender=Message.Sender.SYSTEM, text=QUEUED_TEXT
            ).message
    frames = [message_frame(note)] if note is not None else []
    return [*frames, handoff_frame(state)]


def handoff_frame(state: HandoffState) -> dict[str, Any]:
    return {
        "type": "handoff",
        "state": state.state,
        "position": state.position,
        "agent": state.agent,
    }


def csat_record(*, conversation_id: str, score: int, comment: str) -> None:
    conversation = Conversation.objects.get(pk=conversation_id)
    conversation.csat_score = score
    conversation.csat_comment = comment
    conversation.save(update_fields=["csat_score", "csat_comment", "updated_at"])
