"""Actions on an order not yet processed: cancel it, or change its address, items or payment."""

from __future__ import annotations

import uuid
from typing import Any

from orders.actions.base import ActionContext, ActionRequest, Actor, Target, run_action
from orders.actions.items import items_pick, price_difference, swaps_check
from orders.actions.ledger import (
    charge,
    gift_card_covers,
    money_dict,
    net_paid_by_method,
    refund,
    settle_difference,
)
from orders.actions.lock_objects import order_items_lock, payment_method_lock, payment_methods_lock
from orders.actions.targets import order_target, require_changeable
from orders.models import ActionName, ActionRecord, Address, Order


def cancel_pending_order(
    *,
    order_id: str,
    reason: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Cancel and refund every payment to the method that made it (gift cards at once)."""
    reason = reason.strip().lower()

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_changeable(context, order, "cancelled")
        accepted = context.policy.cancel_reasons
        context.require_policy(
            not accepted or reason in accepted,
            f"I can cancel an order only when it is {' or '.join(accepted)}.",
        )
        refunds = _refund_all(order, target)
        order.status, order.cancel_reason = Order.Status.CANCELLED, reason
        order.save(update_fields=["status", "cancel_reason"])
        return {"status": order.status, "refunds": refunds}

    request = ActionRequest(
        ActionName.CANCEL_PENDING_ORDER,
        proposal_id,
        actor,
        {"order_id": order_id, "reason": reason},
        conversation_id,
        customer_id,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def _refund_all(order: Order, target: Target) -> list[dict[str, str]]:
    paid = net_paid_by_method(order)
    methods = payment_methods_lock(customer=target.customer, ids=set(paid))
    for method_id, amount in paid.items():
        refund(order=order, method=methods[method_id], amount=amount)
    return [money_dict(methods[method_id], amount) for method_id, amount in paid.items()]


def modify_pending_order_address(
    *,
    order_id: str,
    address: Address,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_changeable(context, order, "changed")
        for name, value in address.as_dict().items():
            setattr(order, name, value)
        order.shipping_address = address.as_text(name=target.customer.name)
        order.save(update_fields=[*Address.FIELDS, "shipping_address"])
        return {"shipping_address": address.as_dict()}

    request = ActionRequest(
        ActionName.MODIFY_PENDING_ORDER_ADDRESS,
        proposal_id,
        actor,
        {"order_id": order_id, **address.as_dict()},
        conversation_id,
        customer_id,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def modify_pending_order_items(
    *,
    order_id: str,
    item_ids: list[str],
    new_item_ids: list[str],
    payment_method_id: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Swap items for other options of the same products, once per order; the price difference
    is charged to, or refunded to, the named method."""

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_changeable(context, order, "changed")
        picked = items_pick(context, items=order_items_lock(order=order), refs=item_ids)
        swaps = swaps_check(context, items=picked, new_refs=new_item_ids)
        method = payment_method_lock(customer=target.customer, ref=payment_method_id)
        difference = price_difference(swaps)
        gift_card_covers(context, method, difference)
        settle_difference(order=order, method=method, difference=difference)
        for swap in swaps:
            swap.item.variant, swap.item.unit_price = swap.new, swap.new.price
            swap.item.save(update_fields=["variant", "unit_price"])
        order.subtotal += difference
        order.total += difference
        order.status = Order.Status.ITEMS_MODIFIED
        order.save(update_fields=["subtotal", "total", "status"])
        return {"status": order.status, "price_difference": str(difference)}

    request = ActionRequest(
        ActionName.MODIFY_PENDING_ORDER_ITEMS,
        proposal_id,
        actor,
        {
            "order_id": order_id,
            "item_ids": list(item_ids),
            "new_item_ids": list(new_item_ids),
            "payment_method_id": payment_method_id,
        },
        conversation_id,
        customer_id,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def modify_pending_order_payment(
    *,
    order_id: str,
    payment_method_id: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Pay the order with another single method; the old one is refunded (gift cards at once)."""

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_changeable(context, order, "changed")
        paid = net_paid_by_method(order)
        context.require(
            len(paid) == 1,
            f"Order {order.number} is paid in more than one way; a member of our team needs to "
            "change its payment.",
        )
        ((old_id, amount),) = paid.items()
        new = payment_method_lock(customer=target.customer, ref=payment_method_id)
        context.require(new.pk != old_id, "That's already the payment method for this order.")
        gift_card_covers(context, new, amount)
        old = payment_methods_lock(customer=target.customer, ids={old_id})[old_id]
        charge(order=order, method=new, amount=amount)
        refund(order=order, method=old, amount=amount)
        return {"paid_by": money_dict(new, amount), "refunded": money_dict(old, amount)}

    request = ActionRequest(
        ActionName.MODIFY_PENDING_ORDER_PAYMENT,
        proposal_id,
        actor,
        {"order_id": order_id, "payment_method_id": payment_method_id},
        conversation_id,
        customer_id,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)
