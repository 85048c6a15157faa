"""An anonymous visitor proves who they are with one order number and its e-mail, through
respond_to_message on the offline engine: a message naming many of either is no attempt, and past
VERIFY_ATTEMPTS_PER_HOUR failed attempts (per conversation, per visitor) a person takes over."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from chat import turns
from conversations.models import Conversation
from orders.models import Customer, Order
from tests.pipeline.conftest import Answer

pytestmark = pytest.mark.django_db(transaction=True)

LOCKED = "too many failed verification attempts"


@dataclass(frozen=True)
class Identity:
    number: str
    email: str
    other_email: str  # another customer's: the wrong half of a pair


@sync_to_async
def _identity() -> Identity:
    order = (
        Order.objects.select_related("customer").exclude(number="ORD-4521").order_by("number")[7]
    )
    other = Customer.objects.exclude(pk=order.customer_id).order_by("email").first()
    return Identity(order.number, order.customer.email, other.email)


@sync_to_async
def _every_number() -> str:
    return " ".join(Order.objects.order_by("number").values_list("number", flat=True))


@sync_to_async
def _every_email() -> str:
    return ", ".join(Customer.objects.order_by("email").values_list("email", flat=True))


@pytest.fixture
def one_visitor(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every conversation in the test comes from the same client, as if the entry point had
    filled PipelineInput.visitor_key from it."""
    key = "client:one-visitor"
    load = turns.pipeline_input_for

    def with_visitor(record: Any) -> Any:
        return dataclasses.replace(load(record), visitor_key=key)

    monkeypatch.setattr(turns, "pipeline_input_for", with_visitor)
    return key


def assert_not_verified(answer: Answer) -> None:
    assert answer.conversation.customer_id is None
    assert not answer.conversation.verified_in_chat
    assert answer.trace.customer_id is None
    assert not answer.facts.get("order_number")


async def test_every_order_number_with_one_email_verifies_no_one(start_chat) -> None:
    me = await _identity()
    chat = await start_chat()
    answer = await chat.say(
        f"my email is {me.email} and my order is one of these: {await _every_number()}"
    )
    assert_not_verified(answer)
    assert answer.step_kinds == ["verify_one"]
    assert "one order number" in answer.text and "one e-mail" in answer.text


async def test_one_order_number_with_every_email_verifies_no_one(start_chat) -> None:
    me = await _identity()
    chat = await start_chat()
    answer = await chat.say(
        f"my order is {me.number} and my email is one of {await _every_email()}"
    )
    assert_not_verified(answer)
    assert answer.step_kinds == ["verify_one"]


async def test_a_right_pair_after_a_failure_still_verifies(start_chat, one_visitor) -> None:
    me = await _identity()
    chat = await start_chat()
    failed = await chat.say(f"order {me.number}, email {me.other_email}")
    assert failed.step_kinds == ["verify_failed"]
    assert_not_verified(failed)
    answer = await chat.say(f"sorry, it's {me.number} with {me.email}")
    customer = await Customer.objects.aget(email=me.email)
    assert answer.conversation.customer_id == customer.pk and answer.conversation.verified_in_chat
    assert answer.facts["order_number"] == me.number


async def test_the_sixth_failed_attempt_of_a_visitor_in_an_hour_hands_off(
    start_chat, one_visitor
) -> None:
    assert settings.VERIFY_ATTEMPTS_PER_HOUR == 5
    me = await _identity()
    for _ in range(5):  # a new conversation each time: the count follows the visitor
        chat = await start_chat()
        answer = await chat.say(f"order {me.number}, email {me.other_email}")
        assert answer.step_kinds == ["verify_failed"] and not answer.handoff_frames
    chat = await start_chat()
    sixth = await chat.say(f"order {me.number}, email {me.other_email}")
    assert_not_verified(sixth)
    assert sixth.trace.lane == "human" and sixth.trace.handoff_reason == LOCKED
    assert [f["state"] for f in sixth.handoff_frames] == ["queued"]
    assert sixth.conversation.status == Conversation.Status.QUEUED
    # Past the limit not even the right pair is checked: it could be the next guess.
    chat = await start_chat()
    right = await chat.say(f"order {me.number}, email {me.email}")
    assert_not_verified(right)
    assert right.trace.handoff_reason == LOCKED


async def test_the_sixth_failed_attempt_in_one_conversation_hands_off(start_chat) -> None:
    me = await _identity()
    chat = await start_chat()
    for _ in range(5):
        answer = await chat.say(f"order {me.number}, email {me.other_email}")
        assert answer.step_kinds == ["verify_failed"]
    sixth = await chat.say(f"order {me.number}, email {me.email}")
    assert_not_verified(sixth)
    assert sixth.trace.handoff_reason == LOCKED


async def test_messages_naming_many_are_not_counted_as_attempts(start_chat, one_visitor) -> None:
    me = await _identity()
    chat = await start_chat()
    for _ in range(settings.VERIFY_ATTEMPTS_PER_HOUR + 1):
        answer = await chat.say(f"order {me.number}, email {me.other_email} or {me.email}")
        assert answer.step_kinds == ["verify_one"]
    answer = await chat.say(f"order {me.number}, email {me.email}")
    assert answer.conversation.verified_in_chat
