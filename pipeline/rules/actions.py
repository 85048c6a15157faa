"""Carry out the plan's actions that change records, once each, after the rules allowed them."""

from __future__ import annotations

from decimal import Decimal

from orders.models import Order, Refund
from orders.services import RefundNotAllowed, refund_create
from pipeline.rules.policy import DISCOUNT_REFUND_REASON, REFUND_REASON, SHIPPING_REFUND_REASON
from pipeline.types import Plan

REFUND_REASONS = {
    "apply_discount": DISCOUNT_REFUND_REASON,
    "refund_shipping": SHIPPING_REFUND_REASON,
    "issue_refund": REFUND_REASON,
}


class ActionFailed(RuntimeError):
    pass


def execute_plan_actions(
    *, plan: Plan, order_number: str | None, customer_id: int | None
) -> list[str]:
    """Create the refunds the plan promises. Idempotent per order and reason, so a retried run
    never pays twice. Returns what was done."""
    steps = [s for s in plan.steps if s.kind in REFUND_REASONS and s.amount and s.amount > 0]
    if not steps:
        return []
    order = Order.objects.filter(number=order_number, customer_id=customer_id).first()
    if order is None:
        raise ActionFailed("the plan names an order this customer does not have")
    done = []
    for step in steps:
        reason = REFUND_REASONS[step.kind]
        if order.refunds.filter(reason=reason).exclude(status=Refund.Status.REJECTED).exists():
            continue
        try:
            refund_create(
                order=order,
                amount=Decimal(step.amount),
                reason=reason,
                status=Refund.Status.APPROVED,
                decided_by="bot",
            )
        except RefundNotAllowed as exc:
            raise ActionFailed(str(exc)) from exc
        done.append(f"{step.kind} {step.amount}")
    return done
