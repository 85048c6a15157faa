"""The demo store's delivery actions: a replacement for a late parcel, a faster method for an
order not yet shipped, and a refund of part of an order."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone

from orders.actions.base import (
    ActionContext,
    ActionRefused,
    ActionRequest,
    Actor,
    Target,
    run_action,
)
from orders.actions.ledger import charge, gift_card_covers, original_method_id, refund
from orders.actions.lock_objects import payment_methods_lock
from orders.actions.targets import order_target, require_changeable, status_text
from orders.business_days import add_business_days
from orders.models import (
    ZERO,
    ActionName,
    ActionRecord,
    ExpediteOption,
    LoyaltyTier,
    Order,
    Refund,
    Shipment,
    ShippingMethod,
)
from orders.services import RefundNotAllowed, refund_create


def send_replacement_shipment(
    *,
    order_id: str,
    option_code: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Ship the order again by a faster replacement option when its parcel is late."""

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        option = ExpediteOption.objects.filter(
            code=option_code, kind=ExpediteOption.Kind.REPLACEMENT, active=True
        ).first()
        context.require(option is not None, "That replacement option isn't offered.")
        context.require(
            order.status == Order.Status.SHIPPED and _is_late(order, context),
            f"Order {order.number} isn't a late parcel: it is {status_text(order)}.",
        )
        top_tier = not LoyaltyTier.objects.filter(rank__gt=target.customer.tier.rank).exists()
        cost = ZERO if option.vip_free and top_tier else option.cost
        _charge_original(context, target, cost)
        shipment = _replacement_shipment(order, option)
        return {"tracking_number": shipment.tracking_number, "charged": str(cost)}

    request = _request(
        ActionName.SEND_REPLACEMENT_SHIPMENT,
        order_id,
        proposal_id,
        actor,
        conversation_id,
        customer_id,
        option_code=option_code,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def upgrade_order_shipping(
    *,
    order_id: str,
    shipping_method_code: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
) -> ActionRecord:
    """Move an order not yet shipped to a faster method; the fee difference is charged."""

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        require_changeable(context, order, "upgraded")
        method = ShippingMethod.objects.filter(code=shipping_method_code).first()
        current = order.shipping_method
        context.require(
            method is not None and method.transit_days < current.transit_days,
            f"That isn't faster than the {current.name} shipping the order already has.",
        )
        difference = max(method.price - order.shipping_cost, ZERO)
        _charge_original(context, target, difference)
        order.shipping_method, order.shipping_cost = method, order.shipping_cost + difference
        order.total += difference
        order.save(update_fields=["shipping_method", "shipping_cost", "total"])
        return {"shipping_method": method.code, "charged": str(difference)}

    request = _request(
        ActionName.UPGRADE_ORDER_SHIPPING,
        order_id,
        proposal_id,
        actor,
        conversation_id,
        customer_id,
        shipping_method_code=shipping_method_code,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def issue_refund(
    *,
    order_id: str,
    amount: Decimal | str,
    reason: str,
    actor: Actor,
    proposal_id: str,
    conversation_id: uuid.UUID | None = None,
    customer_id: int | None = None,
    parts: list[dict[str, str]] | None = None,
) -> ActionRecord:
    """A support refund (refund_create's ledger), paid back to the order's original method.

    `parts` splits one refund the customer confirmed into its reasons (a loyalty discount and a
    missed promise's shipping fee), one Refund row each, so the policy later sees each reason as
    paid; they must add up to `amount`. A proposal's arguments are JSON, so amounts may be text."""
    total = _amount(amount)

    def apply(target: Target, context: ActionContext) -> dict[str, Any]:
        order = target.order
        split = _refund_parts(context, total, reason, parts)
        context.within_refund_limit(total)
        rows = [
            _refund_row(order, part_amount, part_reason, actor)
            for part_reason, part_amount in split
        ]
        original = original_method_id(order)
        if original is not None:
            method = payment_methods_lock(customer=target.customer, ids={original})[original]
            refund(order=order, method=method, amount=total)
        result: dict[str, Any] = {"refund_id": rows[0], "amount": str(total)}
        if len(rows) > 1:
            result["refund_ids"] = rows
        return result

    extra: dict[str, Any] = {"parts": parts} if parts else {}
    request = _request(
        ActionName.ISSUE_REFUND,
        order_id,
        proposal_id,
        actor,
        conversation_id,
        customer_id,
        amount=str(total),
        reason=reason,
        **extra,
    )
    return run_action(request=request, lock=order_target(order_id), apply=apply)


def _amount(value: Decimal | str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError as exc:
        raise ActionRefused("That refund amount isn't a sum of money.") from exc


def _refund_parts(
    context: ActionContext, total: Decimal, reason: str, parts: list[dict[str, str]] | None
) -> list[tuple[str, Decimal]]:
    if not parts:
        return [(reason, total)]
    try:
        split = [(str(part["reason"]), _amount(part["amount"])) for part in parts]
    except (KeyError, TypeError) as exc:
        raise ActionRefused("I'm missing some details to do that.") from exc
    context.require(
        sum(amount for _, amount in split) == total and all(a > 0 for _, a in split),
        "The parts of that refund don't add up to its amount.",
    )
    return split


def _refund_row(order: Order, amount: Decimal, reason: str, actor: Actor) -> int:
    try:
        row = refund_create(
            order=order,
            amount=amount,
            reason=reason,
            status=Refund.Status.APPROVED,
            decided_by=actor.name,
        )
    except RefundNotAllowed as exc:
        raise ActionRefused(str(exc)) from exc
    return row.pk


def _request(
    name: str,
    order_id: str,
    proposal_id: str,
    actor: Actor,
    conversation_id: uuid.UUID | None,
    customer_id: int | None,
    **arguments: Any,
) -> ActionRequest:
    return ActionRequest(
        name, proposal_id, actor, {"order_id": order_id, **arguments}, conversation_id, customer_id
    )


def _is_late(order: Order, context: ActionContext) -> bool:
    shipment = order.shipments.order_by("-shipped_at").first()
    if shipment is None or shipment.delivered_at is not None:
        return False
    now = timezone.now()
    promise_missed = (
        shipment.estimated_delivery is not None and shipment.estimated_delivery < now.date()
    )
    last_scan = shipment.events.aggregate(last=Max("occurred_at"))["last"] or shipment.shipped_at
    stalled = last_scan is not None and now - last_scan >= dt.timedelta(
        hours=context.policy.stalled_after_hours
    )
    return promise_missed or stalled


def _charge_original(context: ActionContext, target: Target, amount: Decimal) -> None:
    original = original_method_id(target.order)
    if amount <= 0 or original is None:
        return
    method = payment_methods_lock(customer=target.customer, ids={original})[original]
    gift_card_covers(context, method, amount)
    charge(order=target.order, method=method, amount=amount)


def _replacement_shipment(order: Order, option: ExpediteOption) -> Shipment:
    now = timezone.now()
    count = order.shipments.count()
    return Shipment.objects.create(
        order=order,
        carrier=order.shipments.first().carrier if count else "UPS",
        tracking_number=f"RPL-{order.number.strip('#')}-{count + 1}",
        status=Shipment.Status.LABEL_CREATED,
        shipped_at=now,
        estimated_delivery=add_business_days(now.date(), option.transit_days),
    )
