"""Reads of conversations and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from conversations.models import Conversation, Message
from support_bot.sql import sql_name


def conversation_get(*, conversation_id: uuid.UUID | str) -> Conversation | None:
    try:
        return Conversation.objects.select_related("customer__tier").get(pk=conversation_id)
    except (Conversation.DoesNotExist, ValidationError, ValueError, TypeError):
        return None  # "abc" is no UUID: the same as no such conversation


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


IN_PROGRESS_LOOKBACK = 3  # replies still streaming can only be for the last few messages


def customer_message_find(*, conversation_id: str, client_id: uuid.UUID) -> Message | None:
    return Message.objects.filter(
        conversation_id=conversation_id, client_id=client_id, sender=Message.Sender.CUSTOMER
    ).first()


def message_unanswered(*, message_id: uuid.UUID | str) -> bool:
    """A customer message with no bot reply, in a conversation the bot still answers."""
    return (
        Message.objects.filter(pk=message_id, sender=Message.Sender.CUSTOMER)
        .exclude(conversation__status=Conversation.Status.ASSIGNED)
        .exclude(replies__sender=Message.Sender.BOT)
        .exists()
    )


def replies_in_progress(*, conversation_id: str) -> list[str]:
    """Ids of the latest customer messages with no bot reply yet, oldest first."""
    waiting = (
        Message.objects.filter(conversation_id=conversation_id, sender=Message.Sender.CUSTOMER)
        .exclude(replies__sender=Message.Sender.BOT)
        .order_by("-seq")
        .values_list("id", flat=True)[:IN_PROGRESS_LOOKBACK]
    )
    return [str(message_id) for message_id in reversed(list(waiting))]


@dataclass(frozen=True)
class UnansweredMessage:
    message_id: str
    conversation_id: str
    created_at: dt.datetime


def unanswered_customer_messages(
    *, created_from: dt.datetime, created_before: dt.datetime, limit: int
) -> list[UnansweredMessage]:
    """Customer messages with no bot reply that the bot still owes an answer, oldest first: not
    in a conversation an agent owns, and not followed by an agent's message (one the agent
    answered while they had it, before handing it back)."""
    answered_by_agent = Message.objects.filter(
        conversation_id=OuterRef("conversation_id"),
        sender=Message.Sender.AGENT,
        seq__gt=OuterRef("seq"),
    )
    rows = (
        Message.objects.filter(
            sender=Message.Sender.CUSTOMER,
            created_at__gte=created_from,
            created_at__lt=created_before,
        )
        .exclude(conversation__status=Conversation.Status.ASSIGNED)
        .exclude(replies__sender=Message.Sender.BOT)
        .exclude(Exists(answered_by_agent))
        .order_by("created_at")
        .values_list("id", "conversation_id", "created_at")[:limit]
    )
    return [UnansweredMessage(str(pk), str(conv), created) for pk, conv, created in rows]


@dataclass(frozen=True)
class TurnRecord:
    """A customer message as the reply to it needs it: its conversation, the bot reply already
    written for it (a retried run), and the customer's earlier messages, newest first."""

    message_id: uuid.UUID
    seq: int
    text: str
    conversation_id: uuid.UUID
    customer_id: int | None
    verified_in_chat: bool
    status: str
    visitor_key: str
    language: str  # the conversation's so far; "" before any message showed one
    existing_reply: Message | None
    earlier_texts: tuple[str, ...]
    store_id: int | None = None  # None: the demo store


# turn_record runs once per customer message. Its two reads are hand-written: through the ORM
# they cost 1.8 ms of CPU a message on SQLite, mostly compiling the queries; as plain SQL, 0.1 ms.
_M, _C = Message, Conversation
_TURN_SQL = (
    f"SELECT m.{sql_name(_M, 'seq')}, m.{sql_name(_M, 'text')}, c.{sql_name(_C, 'id')},"
    f" c.{sql_name(_C, 'customer')}, c.{sql_name(_C, 'verified_in_chat')},"
    f" c.{sql_name(_C, 'status')}, c.{sql_name(_C, 'visitor_key')}, c.{sql_name(_C, 'language')},"
    f" c.{sql_name(_C, 'store')},"
    f" (SELECT r.{sql_name(_M, 'id')} FROM {sql_name(_M)} r"
    f"  WHERE r.{sql_name(_M, 'reply_to')} = m.{sql_name(_M, 'id')}"
    f"  AND r.{sql_name(_M, 'sender')} = %s)"
    f" FROM {sql_name(_M)} m"
    f" JOIN {sql_name(_C)} c ON c.{sql_name(_C, 'id')} = m.{sql_name(_M, 'conversation')}"
    f" WHERE m.{sql_name(_M, 'id')} = %s AND m.{sql_name(_M, 'sender')} = %s"
)
_EARLIER_SQL = (
    f"SELECT {sql_name(_M, 'text')} FROM {sql_name(_M)}"
    f" WHERE {sql_name(_M, 'conversation')} = %s AND {sql_name(_M, 'sender')} = %s"
    f" AND {sql_name(_M, 'seq')} < %s"
    f" ORDER BY {sql_name(_M, 'seq')} DESC LIMIT 10"
)


def turn_record(*, message_id: uuid.UUID | str) -> TurnRecord | None:
    customer, bot = Message.Sender.CUSTOMER, Message.Sender.BOT
    with connection.cursor() as cursor:
        message_key = Message._meta.pk.get_db_prep_value(message_id, connection)
        cursor.execute(_TURN_SQL, [bot, message_key, customer])
        row = cursor.fetchone()
        if row is None:
            return None
        seq, text, conversation_key, customer_id, verified, status = row[:6]
        visitor_key, language, store_id, reply_key = row[6:]
        cursor.execute(_EARLIER_SQL, [conversation_key, customer, seq])
        earlier = tuple(earlier_text for (earlier_text,) in cursor.fetchall())
    return TurnRecord(
        message_id=Message._meta.pk.to_python(message_id),
        seq=seq,
        text=text,
        conversation_id=Conversation._meta.pk.to_python(conversation_key),
        customer_id=customer_id,
        verified_in_chat=bool(verified),
        status=status,
        visitor_key=visitor_key,
        language=language,
        store_id=store_id,
        existing_reply=Message.objects.get(pk=reply_key) if reply_key is not None else None,
        earlier_texts=earlier,
    )
