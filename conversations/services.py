"""Writes to conversations. Every persisted message gets the next per-conversation seq here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from conversations.models import MAX_MESSAGE_CHARS, Conversation, Message
from orders.models import Customer
from support_bot.sql import sql_name


class MessageTooLong(ValueError):
    pass


@dataclass(frozen=True)
class MessageWrite:
    message: Message
    created: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def conversation_create(
    *, customer: Customer | None, visitor_key: str = "", store_id: int | None = None
) -> tuple[Conversation, str]:
    """Start a conversation; returns it with its bearer token, which is stored only as a hash.
    `visitor_key` is whom its limits count against; blank, they count per conversation. The
    store is the customer's, else the one given (a visitor who is still anonymous)."""
    token = secrets.token_urlsafe(32)
    conversation = Conversation.objects.create(
        customer=customer,
        store_id=customer.store_id if customer is not None else store_id,
        token_hash=token_hash(token),
        visitor_key=visitor_key,
    )
    return conversation, token


def conversation_token_valid(*, conversation: Conversation, token: str | None) -> bool:
    if not token:
        return False
    return hmac.compare_digest(conversation.token_hash, token_hash(token))


def message_create(
    *,
    conversation_id: uuid.UUID | str,
    sender: str,
    text: str,
    client_id: uuid.UUID | str | None = None,
    reply_to_id: uuid.UUID | str | None = None,
    author_id: int | None = None,
    message_id: uuid.UUID | None = None,
) -> MessageWrite:
    """Persist a message with the next seq. Idempotent per (conversation, client_id) and per
    bot reply: a repeat returns the row already written instead of a second one."""
    if len(text) > MAX_MESSAGE_CHARS and sender == Message.Sender.CUSTOMER:
        raise MessageTooLong(f"Messages are limited to {MAX_MESSAGE_CHARS} characters.")
    try:
        with transaction.atomic():
            seq = _seq_take(conversation_id)
            message = Message(
                id=message_id or uuid.uuid4(),
                conversation_id=conversation_id,
                seq=seq,
                sender=sender,
                text=text,
                client_id=client_id,
                reply_to_id=reply_to_id,
                author_id=author_id,
                created_at=timezone.now(),
            )
            Message.objects.bulk_create([message])
    except IntegrityError:
        existing = _existing_message(conversation_id, sender, client_id, reply_to_id)
        if existing is None:
            raise
        return MessageWrite(existing, created=False)
    return MessageWrite(message, created=True)


_SEQ_TAKE_SQL = (
    f"UPDATE {sql_name(Conversation)}"
    f" SET {sql_name(Conversation, 'last_seq')} = {sql_name(Conversation, 'last_seq')} + 1,"
    f" {sql_name(Conversation, 'updated_at')} = %s"
    f" WHERE {sql_name(Conversation, 'id')} = %s RETURNING {sql_name(Conversation, 'last_seq')}"
)


def _seq_take(conversation_id: uuid.UUID | str) -> int:
    """The conversation's next seq in one statement, UPDATE ... RETURNING (PostgreSQL, and SQLite
    since 3.35). Its row lock (PostgreSQL; SQLite's transactions already hold the database) makes
    writers to one conversation queue here until commit; a repeated client_id or a second bot
    reply then fails the unique constraints on insert. Hand-written because it is on every
    message's path twice, and the ORM's select_for_update + save cost 0.4 ms more per call."""
    params = [
        Conversation._meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection),
        Conversation._meta.pk.get_db_prep_value(conversation_id, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SEQ_TAKE_SQL, params)
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"no conversation {conversation_id}")
    return row[0]


def _existing_message(
    conversation_id: uuid.UUID | str,
    sender: str,
    client_id: uuid.UUID | str | None,
    reply_to_id: uuid.UUID | str | None,
) -> Message | None:
    messages = Message.objects.filter(conversation_id=conversation_id)
    if client_id is not None:
        return messages.filter(client_id=client_id).first()
    if sender == Message.Sender.BOT and reply_to_id is not None:
        return messages.filter(sender=sender, reply_to_id=reply_to_id).first()
    return None


def conversation_verify(*, conversation_id: uuid.UUID | str, customer_id: int) -> None:
    """Bind an anonymous conversation to the customer who proved who they are in the chat."""
    Conversation.objects.filter(pk=conversation_id, customer__isnull=True).update(
        customer_id=customer_id, verified_in_chat=True
    )


def conversation_language_set(*, conversation_id: uuid.UUID | str, language: str) -> None:
    """The language the customer writes in (and the bot now replies in)."""
    Conversation.objects.filter(pk=conversation_id).exclude(language=language).update(
        language=language
    )


def csat_record(*, conversation_id: uuid.UUID | str, score: int, comment: str) -> None:
    conversation = Conversation.objects.get(pk=conversation_id)
    conversation.csat_score = score
    conversation.csat_comment = comment
    conversation.save(update_fields=["csat_score", "csat_comment", "updated_at"])
