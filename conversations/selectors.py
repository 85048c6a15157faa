"""Reads of conversations and their history."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from conversations.models import Conversation, Message


def conversation_get(*, conversation_id: uuid.UUID | str) -> Conversation | None:
    try:
        return Conversation.objects.select_related("customer__tier").get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        return None


def messages_after(*, conversation_id: uuid.UUID | str, after_seq: int) -> QuerySet[Message]:
    return Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq).order_by(
        "seq"
    )


def message_frame(message: Message) -> dict[str, object]:
    """A persisted message as the protocol's `message` frame."""
    return {
        "type": "message",
        "message_id": str(message.id),
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "reply_to": str(message.reply_to_id) if message.reply_to_id else None,
        "created_at": message.created_at.isoformat(),
    }
