"""Agents acting on a customer's orders from the console (protocol guarantee 7): the same services
the bot's proposals go through (orders.actions), with the agent as actor, so the same policy rules
hold and the same action log records it. The customer is told what was done, with its facts, by a
system message sent to the widget after commit.

Idempotent per proposal id (one per rendered form): a double submit returns the first record and
its one message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from conversations.models import Conversation, Message
from conversations.selectors import message_frame
from conversations.services import message_create
from desk.events import publish_after_commit
from desk.permissions import can_work_queue, display_name
from desk.services import DeskRefused
from orders.actions import ActionRefused, Actor, action_apply
from orders.actions.base import OVERRIDE_PERMISSION
from orders.models import ActionName, ActionRecord, ExpediteOption, PaymentMethod, Shipment
from orders.selectors import order_original_method, payment_method_by_ref

# What the console offers, by the slug in its URLs.
CONSOLE_ACTIONS: dict[str, str] = {
    "refund": ActionName.ISSUE_REFUND,
    "replacement": ActionName.SEND_REPLACEMENT_SHIPMENT,
    "cancel": ActionName.CANCEL_PENDING_ORDER,
    "address": ActionName.MODIFY_PENDING_ORDER_ADDRESS,
    "return": ActionName.RETURN_DELIVERED_ORDER_ITEMS,
    "exchange": ActionName.EXCHANGE_DELIVERED_ORDER_ITEMS,
}
MAX_PROPOSAL_ID = 64
# The system messages' client ids: one message per action record, however often it is submitted.
_MESSAGE_NAMESPACE = uuid.UUID("6f1d3c3e-3b0e-4f5e-9a55-2f0c7f5d2a20")


@dataclass(frozen=True)
class ConsoleActionResult:
    ok: bool
    detail: str  # what the customer was told, or the refusal sentence
    record: ActionRecord | None = None


def new_proposal_id() -> str:
    return f"desk-{uuid.uuid4().hex}"


def console_action(
    *,
    conversation_id: uuid.UUID | str,
    agent: Any,
    name: str,
    arguments: dict[str, Any],
    proposal_id: str,
    override: bool = False,
) -> ConsoleActionResult:
    """Carry out one action for the conversation's customer; only the owning agent may, and only
    an agent with orders.override_policy may ask to waive the policy. A refusal by the store's
    rules is a result (recorded in the action log), not an exception."""
    _check_request(agent, name, proposal_id, override)
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        _check_conversation(conversation, agent)
        try:
            record = action_apply(
                name=name,
                arguments=arguments,
                actor=Actor.agent(agent, override=override),
                proposal_id=proposal_id,
                conversation_id=conversation.pk,
                customer_id=conversation.customer_id,
            )
        except ActionRefused as refusal:
            return ConsoleActionResult(False, refusal.reason)
        text = action_sentence(record, agent_name=display_name(agent))
        write = message_create(
            conversation_id=conversation.pk,
            sender=Message.Sender.SYSTEM,
            text=text,
            client_id=uuid.uuid5(_MESSAGE_NAMESPACE, str(record.pk)),
        )
        if write.created:
            publish_after_commit(frames=[(str(conversation.pk), message_frame(write.message))])
    return ConsoleActionResult(True, text, record)


def _check_request(agent: Any, name: str, proposal_id: str, override: bool) -> None:
    if not can_work_queue(agent):
        raise DeskRefused("You do not have permission to work the handoff queue.")
    if name not in CONSOLE_ACTIONS.values():
        raise DeskRefused("That action isn't offered in the console.")
    if not proposal_id or len(proposal_id) > MAX_PROPOSAL_ID:
        raise DeskRefused("This form is out of date: reload the console and try again.")
    if override and not agent.has_perm(OVERRIDE_PERMISSION):
        raise DeskRefused(
            "Overriding the store policy needs the orders.override_policy permission."
        )


def _check_conversation(conversation: Conversation, agent: Any) -> None:
    owned = (
        conversation.status == Conversation.Status.ASSIGNED
        and conversation.assigned_agent_id == agent.pk
    )
    if not owned:
        raise DeskRefused("Claim this conversation before acting on the customer's orders.")
    if conversation.customer_id is None:
        raise DeskRefused("The visitor hasn't proven who they are: there are no orders to act on.")


# What the customer is told.


def action_sentence(record: ActionRecord, *, agent_name: str) -> str:
    args, result = record.arguments, record.result
    number = record.order.number if record.order_id else args.get("order_id", "")
    if record.name == ActionName.ISSUE_REFUND:
        method = order_original_method(order_id=record.order_id)
        return (
            f"Refund of ${result['amount']} on order {number} to your {method_label(method)} "
            f"approved by {agent_name}."
        )
    if record.name == ActionName.SEND_REPLACEMENT_SHIPMENT:
        return _replacement_sentence(record, number, agent_name)
    if record.name == ActionName.CANCEL_PENDING_ORDER:
        back = _money_back(record, result.get("refunds", []))
        return f"Order {number} is cancelled ({args['reason']}) by {agent_name}{back}."
    if record.name == ActionName.MODIFY_PENDING_ORDER_ADDRESS:
        return f"Order {number} will now ship to {record.order.shipping_address}; changed by {agent_name}."
    if record.name == ActionName.RETURN_DELIVERED_ORDER_ITEMS:
        method = _method(record, result["payment_method_id"])
        return (
            f"{agent_name} started a return of {_items(args)} from order {number}: "
            f"${result['refund']} goes back to your {method_label(method)} once they arrive."
        )
    if record.name == ActionName.EXCHANGE_DELIVERED_ORDER_ITEMS:
        return _exchange_sentence(record, number, agent_name)
    return f"{record.get_name_display()} for order {number}: done by {agent_name}."


def method_label(method: PaymentMethod | None) -> str:
    if method is None:
        return "original payment method"
    if method.kind == PaymentMethod.Kind.CARD:
        return f"{method.brand.title() or 'card'} ending {method.last_four}"
    if method.is_gift_card:
        return "gift card"
    return "PayPal account"


def _replacement_sentence(record: ActionRecord, number: str, agent_name: str) -> str:
    option = ExpediteOption.objects.filter(code=record.arguments.get("option_code")).first()
    tracking = record.result["tracking_number"]
    shipment = Shipment.objects.filter(tracking_number=tracking).first()
    by = option.name if option else "express"
    when = ""
    if shipment is not None and shipment.estimated_delivery is not None:
        when = f", expected {shipment.estimated_delivery:%A, %B} {shipment.estimated_delivery.day}"
    charged = Decimal(record.result.get("charged", "0"))
    cost = (
        f" ${charged} was charged to your "
        f"{method_label(order_original_method(order_id=record.order_id))}."
        if charged > 0
        else " It costs you nothing."
    )
    return (
        f"A replacement for order {number} is on its way by {by}, tracking {tracking}{when}; "
        f"sent by {agent_name}.{cost}"
    )


def _exchange_sentence(record: ActionRecord, number: str, agent_name: str) -> str:
    difference = Decimal(record.result.get("price_difference", "0"))
    method = method_label(_method(record, record.result["payment_method_id"]))
    if difference > 0:
        settle = f"the ${difference} difference is charged to your {method} when they swap"
    elif difference < 0:
        settle = f"the ${-difference} difference goes back to your {method} when they swap"
    else:
        settle = "at no extra cost"
    return f"{agent_name} started an exchange of {_items(record.arguments)} on order {number}: {settle}."


def _money_back(record: ActionRecord, refunds: list[dict[str, str]]) -> str:
    parts = [
        f"${item['amount']} to your {method_label(_method(record, item['payment_method_id']))}"
        for item in refunds
    ]
    return f"; {', '.join(parts)} goes back" if parts else ""


def _method(record: ActionRecord, ref: str) -> PaymentMethod | None:
    if record.customer_id is None:
        return None
    return payment_method_by_ref(customer_id=record.customer_id, ref=ref)


def _items(args: dict[str, Any]) -> str:
    count = len(args.get("item_ids", []))
    return "1 item" if count == 1 else f"{count} items"
