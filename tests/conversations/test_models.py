from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction

from conversations.models import Message
from conversations.services import (
    MessageTooLong,
    conversation_create,
    conversation_token_valid,
    message_create,
)
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def test_seq_counts_every_sender_from_one() -> None:
    conversation = ConversationFactory()
    first = message_create(
        conversation_id=conversation.pk, sender="customer", text="hi", client_id=uuid.uuid4()
    )
    reply = message_create(
        conversation_id=conversation.pk, sender="bot", text="hello", reply_to_id=first.message.pk
    )
    note = message_create(conversation_id=conversation.pk, sender="system", text="joined")
    assert [first.message.seq, reply.message.seq, note.message.seq] == [1, 2, 3]


def test_seq_is_unique_per_conversation_in_the_database() -> None:
    conversation = ConversationFactory()
    Message.objects.create(conversation=conversation, seq=1, sender="customer", text="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(conversation=conversation, seq=1, sender="bot", text="b")
    other = ConversationFactory()
    Message.objects.create(conversation=other, seq=1, sender="customer", text="same seq elsewhere")


def test_same_client_id_is_one_message() -> None:
    conversation = ConversationFactory()
    client_id = uuid.uuid4()
    first = message_create(
        conversation_id=conversation.pk, sender="customer", text="hi", client_id=client_id
    )
    again = message_create(
        conversation_id=conversation.pk, sender="customer", text="hi", client_id=client_id
    )
    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert conversation.messages.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=conversation, seq=9, sender="customer", text="x", client_id=client_id
        )


def test_one_bot_reply_per_customer_message() -> None:
    conversation = ConversationFactory()
    asked = message_create(
        conversation_id=conversation.pk, sender="customer", text="q", client_id=uuid.uuid4()
    )
    one = message_create(
        conversation_id=conversation.pk, sender="bot", text="a", reply_to_id=asked.message.pk
    )
    two = message_create(
        conversation_id=conversation.pk, sender="bot", text="a", reply_to_id=asked.message.pk
    )
    assert one.message.pk == two.message.pk and not two.created
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=conversation, seq=7, sender="bot", text="b", reply_to=asked.message
        )


def test_oversized_customer_message_is_refused_and_not_persisted() -> None:
    conversation = ConversationFactory()
    with pytest.raises(MessageTooLong):
        message_create(
            conversation_id=conversation.pk,
            sender="customer",
            text="x" * 4001,
            client_id=uuid.uuid4(),
        )
    assert conversation.messages.count() == 0


def test_token_is_stored_hashed_and_checked() -> None:
    conversation, token = conversation_create(customer=None)
    assert token not in conversation.token_hash
    assert conversation_token_valid(conversation=conversation, token=token)
    assert not conversation_token_valid(conversation=conversation, token=token + "x")
    assert not conversation_token_valid(conversation=conversation, token=None)
