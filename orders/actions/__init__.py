"""Every write to the store is one verb here (Saleor's order actions): keyword-only arguments,
one transaction, rows locked through lock_objects, idempotent per proposal id, recorded as an
ActionRecord. A refusal raises ActionRefused, whose message is what the customer is told."""

from orders.actions.base import ActionRefused, Actor
from orders.actions.customer import modify_user_address
from orders.actions.delivered import exchange_delivered_order_items, return_delivered_order_items
from orders.actions.dispatch import action_apply
from orders.actions.pending import (
    cancel_pending_order,
    modify_pending_order_address,
    modify_pending_order_items,
    modify_pending_order_payment,
)
from orders.actions.shipping import issue_refund, send_replacement_shipment, upgrade_order_shipping

__all__ = [
    "ActionRefused",
    "Actor",
    "action_apply",
    "cancel_pending_order",
    "exchange_delivered_order_items",
    "issue_refund",
    "modify_pending_order_address",
    "modify_pending_order_items",
    "modify_pending_order_payment",
    "modify_user_address",
    "return_delivered_order_items",
    "send_replacement_shipment",
    "upgrade_order_shipping",
]
