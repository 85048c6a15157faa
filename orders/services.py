"""Writes to the store's records. Refund totals are kept by the database's own arithmetic."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from orders.models import Order, Refund


class RefundNotAllowed(ValueError):
    pass


def refund_create(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    status: str = Refund.Status.REQUESTED,
    decided_by: str = "",
) -> Refund:
    """Record a refund; refuses one that would take the order's refunds past its total."""
    if amount <= 0:
        raise RefundNotAllowed("A refund must be a positive amount.")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.refunded_total + amount > locked.total:
            raise RefundNotAllowed(
                f"{locked.number} has ${locked.total - locked.refunded_total} left to refund; "
                f"${amount} is more than that."
            )
        Order.objects.filter(pk=locked.pk).update(refunded_total=F("refunded_total") + amount)
        refund = Refund.objects.create(
            order=locked, amount=amount, reason=reason, status=status, decided_by=decided_by
        )
    order.refresh_from_db(fields=["refunded_total"])
    return refund


def refund_reject(*, refund: Refund, decided_by: str) -> Refund:
    """Reject a refund and give its amount back to the order's refundable balance."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status == Refund.Status.REJECTED:
            return locked
        Order.objects.filter(pk=locked.order_id).update(
            refunded_total=F("refunded_total") - locked.amount
        )
        locked.status = Refund.Status.REJECTED
        locked.decided_by = decided_by
        locked.save(update_fields=["status", "decided_by"])
    return locked
