"""Actions on a delivered order: return items for a refund, or exchange them for other options."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Max
from django.utils import timezone

from orders.actions.base import ActionContext, ActionRequest, Actor, Target, run_action
from orders.actions.items import items_pick, price_difference, swaps_check
from orders.actions.ledger import gift_card_covers, original_method_id, ref_of
from orders.actions.lock_objects import order_items_lock, payment_method_lock
from orders.actions.targets import order_target, require_delivered
from orders.models import ZERO, ActionName, ActionRecord, Order, OrderItem, PaymentMethod
from orders.models import RefundDestination as Dest


def return_delivered_order_items(
    *,
    order_id: str,
    item_ids: list[str],
    payment_method_id: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Ask for the items back; their price is refunded to the named method once they arrive."""

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_delivered(context, order, "returned")
        _within_return_window(context, order)
        items = items_pick(context, items=order_items_lock(order=order), refs=item_ids)
        method = payment_method_lock(customer=target.customer, ref=payment_method_id)
        _refund_destination_allowed(context, order, method)
        amount = sum((item.line_total for item in items), ZERO)
        context.within_refund_limit(amount)
        _mark(items, OrderItem.Request.RETURN)
        order.status = Order.Status.RETURN_REQUESTED
        order.save(update_fields=["status"])
        return {"status": order.status, "refund": str(amount), "payment_method_id": ref_of(method)}

    request = ActionRequest(
        ActionName.RETURN_DELIVERED_ORDER_ITEMS,
        proposal_id,
        actor,
        {"order_id": order_id, "item_ids": list(item_ids), "payment_method_id": payment_method_id},
        conversation_id,
        customer_id,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def exchange_delivered_order_items(
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
    """Ask for the items back in exchange for other options of the same products, once per
    order; the price difference is settled with the named method when the swap happens."""

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_delivered(context, order, "exchanged")
        _within_return_window(context, order)
        items = items_pick(context, items=order_items_lock(order=order), refs=item_ids)
        swaps = swaps_check(context, items=items, new_refs=new_item_ids)
        method = payment_method_lock(customer=target.customer, ref=payment_method_id)
        difference = price_difference(swaps)
        gift_card_covers(context, method, difference)
        if difference < 0:
            context.within_refund_limit(-difference)
        for swap in swaps:
            swap.item.request, swap.item.exchange_variant = OrderItem.Request.EXCHANGE, swap.new
            swap.item.save(update_fields=["request", "exchange_variant"])
        order.status = Order.Status.EXCHANGE_REQUESTED
        order.save(update_fields=["status"])
        return {
            "status": order.status,
            "price_difference": str(difference),
            "payment_method_id": ref_of(method),
        }

    request = ActionRequest(
        ActionName.EXCHANGE_DELIVERED_ORDER_ITEMS,
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


def _within_return_window(context: ActionContext, order: Order) -> None:
    window = context.policy.return_window_days
    delivered = order.shipments.aggregate(last=Max("delivered_at"))["last"]
    if window is None or delivered is None:
        return
    days = (timezone.now() - delivered).days
    context.require_policy(
        days <= window,
        f"Order {order.number} was delivered {days} days ago, past our {window}-day window "
        "for returns and exchanges.",
    )


def _refund_destination_allowed(
    context: ActionContext, order: Order, method: PaymentMethod
) -> None:
    allowed = set(context.policy.refund_destinations)
    ok = (
        Dest.ANY in allowed
        or (Dest.ORIGINAL in allowed and method.pk == original_method_id(order))
        or (Dest.GIFT_CARD in allowed and method.is_gift_card)
    )
    places = {Dest.ORIGINAL: "the original payment method", Dest.GIFT_CARD: "an existing gift card"}
    where = " or ".join(places[d] for d in (Dest.ORIGINAL, Dest.GIFT_CARD) if d in allowed)
    context.require_policy(ok, f"A refund can only go to {where or 'the original payment method'}.")


def _mark(items: list[OrderItem], request: str) -> None:
    for item in items:
        item.request = request
        item.save(update_fields=["request"])
