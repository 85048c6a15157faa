"""Writes to the store's records. Refund totals are kept by the database's own arithmetic."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from orders.models import ActionRecord, Address, Customer, Order, PaymentMethod, Refund


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


ADDRESS_BLANK = dict.fromkeys(Address.FIELDS, "")


def customer_store_data_erase(*, customer_id: int) -> int:
    """Blank what issue 20 added about a customer: their default address, their orders' address
    fields, card details, and addresses given as action arguments. ops.privacy.customer_erase
    covers the rest and should call this. Returns the rows changed."""
    with transaction.atomic():
        changed = Customer.objects.filter(pk=customer_id).update(**ADDRESS_BLANK)
        changed += Order.objects.filter(customer_id=customer_id).update(**ADDRESS_BLANK)
        changed += PaymentMethod.objects.filter(customer_id=customer_id).update(last_four="")
        for record in ActionRecord.objects.filter(customer_id=customer_id):
            arguments = {k: v for k, v in record.arguments.items() if k not in ADDRESS_BLANK}
            result = {k: v for k, v in record.result.items() if "address" not in k}
            if (arguments, result) != (record.arguments, record.result):
                record.arguments, record.result = arguments, result
                record.save(update_fields=["arguments", "result"])
                changed += 1
    return changed
