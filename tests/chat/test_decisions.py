"""Proposals over the chat socket (shared/protocol.md): the `decision` frame, a typed yes, and the
open proposal sent again after a reconnect (guarantees 7 and 8)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation, Message, Proposal
from conversations.proposals import proposal_open
from conversations.services import conversation_create, message_create
from desk.queue import handoff_enqueue
from orders.models import ActionName, ActionRecord, Order

pytestmark = pytest.mark.django_db(transaction=True)


def _pending_order() -> Order:
    return Order.objects.filter(status=Order.Status.PENDING).select_related("customer").first()


def _proposed(order: Order) -> tuple[Conversation, str, Proposal]:
    """A conversation of the order's customer in which the bot asked to cancel it."""
    conversation, token = conversation_create(customer=order.customer)
    asked = message_create(
        conversation_id=conversation.pk, sender="customer", text="I'd like to cancel my order"
    )
    put = message_create(
        conversation_id=conversation.pk,
        sender="bot",
        text=f"Order {order.number} can still be cancelled. Shall I cancel it?",
        reply_to_id=asked.message.pk,
    )
    proposal = proposal_open(
        conversation_id=conversation.pk,
        name=ActionName.CANCEL_PENDING_ORDER,
        arguments={"order_id": order.number, "reason": "no longer needed"},
        summary=f"Cancel order {order.number}?",
        reply_to_id=put.message.pk,
    )
    return conversation, token, proposal


@pytest.fixture
async def proposed(demo_store: Any) -> tuple[Order, Conversation, str, Proposal]:
    order = await sync_to_async(_pending_order)()
    conversation, token, proposal = await sync_to_async(_proposed)(order)
    return order, conversation, token, proposal


async def _order_status(order: Order) -> str:
    return (await Order.objects.aget(pk=order.pk)).status


async def test_an_accepted_decision_is_carried_out_and_answered(
    proposed: Any, open_chat: Any
) -> None:
    order, conversation, token, proposal = proposed
    chat = await open_chat(conversation, token)
    await chat.send({"type": "decision", "proposal_id": str(proposal.pk), "accept": True})
    frames = await chat.until(lambda f: f["type"] == "message" and f["sender"] == "bot")
    closed = [f for f in frames if f["type"] == "proposal_closed"]
    assert closed == [
        {
            "type": "proposal_closed",
            "proposal_id": str(proposal.pk),
            "state": "done",
            "detail": "Done.",
        }
    ]
    assert frames.index(closed[0]) < len(frames) - 1  # the card closes before the reply shows
    assert frames[-1]["text"].strip()
    assert await _order_status(order) == Order.Status.CANCELLED
    record = await ActionRecord.objects.aget(proposal_id=str(proposal.pk))
    assert record.status == ActionRecord.Status.DONE

    await chat.send({"type": "decision", "proposal_id": str(proposal.pk), "accept": True})
    await chat.send({"type": "decision", "proposal_id": str(proposal.pk), "accept": False})
    assert await chat.silent(0.5)  # a repeated decision changes and says nothing
    assert await ActionRecord.objects.filter(proposal_id=str(proposal.pk)).acount() == 1
    bot_messages = Message.objects.filter(conversation=conversation, sender="bot")
    assert await bot_messages.acount() == 2  # the proposal's, then the one result


async def test_a_declined_decision_changes_nothing(proposed: Any, open_chat: Any) -> None:
    order, conversation, token, proposal = proposed
    chat = await open_chat(conversation, token)
    await chat.send({"type": "decision", "proposal_id": str(proposal.pk), "accept": False})
    frames = await chat.until(lambda f: f["type"] == "message" and f["sender"] == "bot")
    assert [f["state"] for f in frames if f["type"] == "proposal_closed"] == ["declined"]
    assert await _order_status(order) == Order.Status.PENDING
    assert not await ActionRecord.objects.filter(proposal_id=str(proposal.pk)).aexists()


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "decision", "accept": True},
        {"type": "decision", "proposal_id": 12, "accept": True},
        {"type": "decision", "proposal_id": "PROPOSAL", "accept": "yes"},
        {"type": "decision", "proposal_id": "PROPOSAL"},
        {"type": "decision", "proposal_id": "bad\u0000id", "accept": True},
    ],
)
async def test_a_malformed_decision_is_invalid(
    proposed: Any, open_chat: Any, frame: dict[str, Any]
) -> None:
    order, conversation, token, proposal = proposed
    if frame.get("proposal_id") == "PROPOSAL":
        frame = {**frame, "proposal_id": str(proposal.pk)}
    chat = await open_chat(conversation, token)
    await chat.send(frame)
    error = await chat.receive()
    assert error["type"] == "error" and error["code"] == "invalid"
    assert await chat.silent(0.3)
    assert (await Proposal.objects.aget(pk=proposal.pk)).state == Proposal.State.OPEN
    assert await _order_status(order) == Order.Status.PENDING


@pytest.mark.parametrize("which", ["unknown", "another conversation's"])
async def test_a_decision_on_a_proposal_not_of_this_conversation_is_invalid(
    proposed: Any, open_chat: Any, which: str
) -> None:
    order, _, _, proposal = proposed
    other_conversation, other_token, _ = await sync_to_async(_proposed)(order)
    given = {
        "unknown": "7b0c2b8e-2f55-4b1a-9a57-3c2d6f0e9d11",
        "another conversation's": str(proposal.pk),
    }[which]
    chat = await open_chat(other_conversation, other_token)
    await chat.send({"type": "decision", "proposal_id": given, "accept": True})
    error = await chat.receive()
    assert error["type"] == "error" and error["code"] == "invalid"
    assert (await Proposal.objects.aget(pk=proposal.pk)).state == Proposal.State.OPEN
    assert await _order_status(order) == Order.Status.PENDING


async def test_resume_sends_the_open_proposal_after_the_messages_and_the_handoff_state(
    proposed: Any, open_chat: Any
) -> None:
    _, conversation, token, proposal = proposed
    await sync_to_async(handoff_enqueue)(conversation_id=conversation.pk, reason="asked for one")
    chat = await open_chat(conversation, token)
    await chat.send({"type": "resume", "after_seq": 0})
    frames = await chat.until(lambda f: f["type"] == "proposal")
    assert [f["type"] for f in frames] == ["message", "message", "handoff", "proposal"]
    assert frames[-1] == proposal.frame()
    assert frames[-1]["reply_to"] == frames[1]["message_id"]
    assert await chat.silent(0.3)


async def test_resume_sends_no_proposal_once_it_is_decided(proposed: Any, open_chat: Any) -> None:
    _, conversation, token, proposal = proposed
    first = await open_chat(conversation, token)
    await first.send({"type": "decision", "proposal_id": str(proposal.pk), "accept": False})
    await first.until(lambda f: f["type"] == "message" and f["sender"] == "bot")
    await first.ws.disconnect()
    again = await open_chat(conversation, token)
    await again.send({"type": "resume", "after_seq": 0})
    frames = [await again.receive() for _ in range(3)]
    assert [f["type"] for f in frames] == ["message"] * 3
    assert await again.silent(0.3)


async def test_a_typed_yes_accepts_the_open_proposal(proposed: Any, open_chat: Any) -> None:
    order, conversation, token, proposal = proposed
    chat = await open_chat(conversation, token)
    await chat.say("yes please")
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    frames = await chat.reply_to(ack["message_id"])
    assert [f["state"] for f in frames if f["type"] == "proposal_closed"] == ["done"]
    assert await _order_status(order) == Order.Status.CANCELLED
    record = await ActionRecord.objects.aget(proposal_id=str(proposal.pk))
    assert record.name == ActionName.CANCEL_PENDING_ORDER


async def test_a_typed_no_declines_the_open_proposal(proposed: Any, open_chat: Any) -> None:
    order, conversation, token, _ = proposed
    chat = await open_chat(conversation, token)
    await chat.say("no, leave it")
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    frames = await chat.reply_to(ack["message_id"])
    assert [f["state"] for f in frames if f["type"] == "proposal_closed"] == ["declined"]
    assert await _order_status(order) == Order.Status.PENDING


async def test_a_decision_while_a_person_owns_the_conversation_changes_nothing(
    proposed: Any, open_chat: Any
) -> None:
    order, conversation, token, proposal = proposed
    await Conversation.objects.filter(pk=conversation.pk).aupdate(status="assigned")
    chat = await open_chat(conversation, token)
    await chat.send({"type": "decision", "proposal_id": str(proposal.pk), "accept": True})
    closed = await chat.receive()
    assert closed["type"] == "proposal_closed" and closed["state"] == "expired"
    assert "taken over" in closed["detail"]
    assert await chat.silent(0.5)  # the bot does not answer (guarantee 6)
    assert await _order_status(order) == Order.Status.PENDING
    assert not await ActionRecord.objects.filter(proposal_id=str(proposal.pk)).aexists()
    assert await Message.objects.filter(conversation=conversation, sender="bot").acount() == 1
