"""Proposals against contract guarantee 7: a write is carried out only after the customer accepted
that exact proposal, at most once, and a declined or expired one changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from conversations.models import Conversation, Proposal
from conversations.proposals import (
    PROPOSAL_TTL_S,
    ProposalNotFound,
    proposal_decide,
    proposal_open,
    proposal_open_get,
)
from conversations.services import conversation_create
from orders.models import ActionName, ActionRecord, Order

pytestmark = pytest.mark.django_db


def an_order(status: str) -> Order:
    return Order.objects.filter(status=status).select_related("customer").order_by("pk").first()


def conversation_of(order: Order) -> Conversation:
    conversation, _ = conversation_create(customer=order.customer)
    return conversation


def cancel_proposal(conversation: Conversation, order: Order) -> Proposal:
    return proposal_open(
        conversation_id=conversation.pk,
        name=ActionName.CANCEL_PENDING_ORDER,
        arguments={"order_id": order.number, "reason": "no longer needed"},
        summary=f"Cancel order {order.number}?",
        reply_to_id=None,
    )


def decide(conversation: Conversation, proposal: Proposal, accept: bool) -> Any:
    return proposal_decide(
        conversation_id=conversation.pk, proposal_id=str(proposal.pk), accept=accept
    )


@pytest.fixture
def pending(demo_store: Any) -> Order:
    order = an_order(Order.Status.PENDING)
    assert order is not None, "the demo store has pending orders"
    return order


def test_a_new_proposal_expires_the_one_still_open(pending: Order) -> None:
    conversation = conversation_of(pending)
    first = cancel_proposal(conversation, pending)
    second = cancel_proposal(conversation, pending)
    first.refresh_from_db()
    assert first.state == Proposal.State.EXPIRED
    assert proposal_open_get(conversation_id=conversation.pk) == second
    assert decide(conversation, first, accept=True).changed is False
    pending.refresh_from_db()
    assert pending.status == Order.Status.PENDING


def test_accepting_carries_the_action_out_once_through_the_action_log(pending: Order) -> None:
    conversation = conversation_of(pending)
    proposal = cancel_proposal(conversation, pending)
    decided = decide(conversation, proposal, accept=True)
    assert decided.changed and decided.done
    pending.refresh_from_db()
    assert pending.status == Order.Status.CANCELLED
    record = ActionRecord.objects.get(proposal_id=str(proposal.pk))
    assert record.name == ActionName.CANCEL_PENDING_ORDER
    assert record.status == ActionRecord.Status.DONE and record.actor_kind == "bot"
    assert record.conversation_id == conversation.pk
    assert record.customer_id == pending.customer_id
    assert decided.proposal.action_id == record.pk

    again = decide(conversation, proposal, accept=True)
    declined_after = decide(conversation, proposal, accept=False)
    assert again.changed is False and declined_after.changed is False
    assert declined_after.proposal.state == Proposal.State.DONE
    assert ActionRecord.objects.filter(proposal_id=str(proposal.pk)).count() == 1


def test_declining_changes_nothing_in_the_store(pending: Order) -> None:
    conversation = conversation_of(pending)
    proposal = cancel_proposal(conversation, pending)
    decided = decide(conversation, proposal, accept=False)
    assert decided.changed and decided.proposal.state == Proposal.State.DECLINED
    pending.refresh_from_db()
    assert pending.status == Order.Status.PENDING
    assert not ActionRecord.objects.filter(proposal_id=str(proposal.pk)).exists()
    assert decide(conversation, proposal, accept=True).changed is False
    pending.refresh_from_db()
    assert pending.status == Order.Status.PENDING


def test_a_refusal_by_the_store_rules_fails_with_the_customers_sentence(demo_store: Any) -> None:
    shipped = an_order(Order.Status.SHIPPED)
    conversation = conversation_of(shipped)
    proposal = cancel_proposal(conversation, shipped)
    decided = decide(conversation, proposal, accept=True)
    assert decided.changed and decided.proposal.state == Proposal.State.FAILED
    assert shipped.number in decided.proposal.detail and "can't be cancelled" in (
        decided.proposal.detail
    )
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.SHIPPED
    refusal = ActionRecord.objects.get(proposal_id=str(proposal.pk))
    assert refusal.status == ActionRecord.Status.REFUSED
    assert refusal.refusal == decided.proposal.detail


def test_a_proposal_past_its_time_expires_and_changes_nothing(pending: Order) -> None:
    conversation = conversation_of(pending)
    proposal = cancel_proposal(conversation, pending)
    waited = timezone.now() - dt.timedelta(seconds=PROPOSAL_TTL_S + 60)
    Proposal.objects.filter(pk=proposal.pk).update(created_at=waited)
    decided = decide(conversation, proposal, accept=True)
    assert decided.changed and decided.proposal.state == Proposal.State.EXPIRED
    pending.refresh_from_db()
    assert pending.status == Order.Status.PENDING
    assert not ActionRecord.objects.filter(proposal_id=str(proposal.pk)).exists()


def test_a_stale_open_proposal_is_not_offered_again(pending: Order) -> None:
    conversation = conversation_of(pending)
    proposal = cancel_proposal(conversation, pending)
    waited = timezone.now() - dt.timedelta(seconds=PROPOSAL_TTL_S + 60)
    Proposal.objects.filter(pk=proposal.pk).update(created_at=waited)
    assert proposal_open_get(conversation_id=conversation.pk) is None
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.EXPIRED


@pytest.mark.parametrize("which", ["another conversation's", "unknown", "not a uuid"])
def test_a_proposal_id_not_of_this_conversation_is_not_found(pending: Order, which: str) -> None:
    conversation = conversation_of(pending)
    other = conversation_of(pending)
    proposal = cancel_proposal(other, pending)
    given = {
        "another conversation's": str(proposal.pk),
        "unknown": "00000000-0000-4000-8000-000000000000",
        "not a uuid": "W123'; --",
    }[which]
    with pytest.raises(ProposalNotFound):
        proposal_decide(conversation_id=conversation.pk, proposal_id=given, accept=True)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.OPEN
    pending.refresh_from_db()
    assert pending.status == Order.Status.PENDING
