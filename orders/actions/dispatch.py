"""Carry out an action given by name and arguments in τ²'s form (dialogues.md), as the pipeline's
proposals and the τ² replays hold them."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

from orders.actions.base import ActionRefused, Actor
from orders.actions.customer import modify_user_address
from orders.actions.delivered import exchange_delivered_order_items, return_delivered_order_items
from orders.actions.pending import (
    cancel_pending_order,
    modify_pending_order_address,
    modify_pending_order_items,
    modify_pending_order_payment,
)
from orders.actions.shipping import issue_refund, send_replacement_shipment, upgrade_order_shipping
from orders.models import ActionName, ActionRecord, Address

SERVICES: dict[str, Callable[..., ActionRecord]] = {
    ActionName.CANCEL_PENDING_ORDER: cancel_pending_order,
    ActionName.MODIFY_PENDING_ORDER_ADDRESS: modify_pending_order_address,
    ActionName.MODIFY_PENDING_ORDER_ITEMS: modify_pending_order_items,
    ActionName.MODIFY_PENDING_ORDER_PAYMENT: modify_pending_order_payment,
    ActionName.MODIFY_USER_ADDRESS: modify_user_address,
    ActionName.RETURN_DELIVERED_ORDER_ITEMS: return_delivered_order_items,
    ActionName.EXCHANGE_DELIVERED_ORDER_ITEMS: exchange_delivered_order_items,
    ActionName.SEND_REPLACEMENT_SHIPMENT: send_replacement_shipment,
    ActionName.UPGRADE_ORDER_SHIPPING: upgrade_order_shipping,
    ActionName.ISSUE_REFUND: issue_refund,
}


def action_apply(
    *,
    name: str,
    arguments: dict[str, Any],
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    service = SERVICES.get(name)
    if service is None:
        raise ActionRefused("That isn't something I can do.")
    kwargs = dict(arguments)
    if set(Address.FIELDS) <= kwargs.keys():
        kwargs["address"] = Address(**{f: str(kwargs.pop(f) or "") for f in Address.FIELDS})
    kwargs.update(
        actor=actor,
        proposal_id=proposal_id,
        conversation_id=conversation_id,
        customer_id=customer_id,
    )
    try:
        inspect.signature(service).bind(**kwargs)
    except TypeError as exc:
        raise ActionRefused("I'm missing some details to do that.") from exc
    return service(**kwargs)
