"""Money moving on an order: payments and refunds per method, gift card balances kept with them."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from orders.actions.base import ActionContext
from orders.models import ZERO, Order, Payment, PaymentMethod


def ref_of(row: object) -> str:
    """The id a customer or τ² knows a row by: its external id, else its own id."""
    return getattr(row, "external_id", "") or str(row.pk)


def net_paid_by_method(order: Order) -> dict[int, Decimal]:
    """What each method has paid towards the order, refunds taken off; methods at zero left out."""
    net: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment in order.payments.all():
        sign = 1 if payment.kind == Payment.Kind.PAYMENT else -1
        net[payment.method_id] += sign * payment.amount
    return {method_id: amount for method_id, amount in net.items() if amount > 0}


def original_method_id(order: Order) -> int | None:
    first = order.payments.filter(kind=Payment.Kind.PAYMENT).order_by("pk").first()
    return first.method_id if first else None


def gift_card_covers(context: ActionContext, method: PaymentMethod, amount: Decimal) -> None:
    if not method.is_gift_card or amount <= 0:
        return
    balance = method.balance or ZERO
    context.require(
        balance >= amount,
        f"The gift card has ${balance}, which doesn't cover the ${amount} needed.",
    )


def charge(*, order: Order, method: PaymentMethod, amount: Decimal) -> Payment | None:
    """Take `amount` from a locked method (a gift card's balance goes down with it)."""
    if amount <= 0:
        return None
    if method.is_gift_card:
        method.balance = (method.balance or ZERO) - amount
        method.save(update_fields=["balance"])
    return Payment.objects.create(
        order=order, method=method, kind=Payment.Kind.PAYMENT, amount=amount
    )


def refund(*, order: Order, method: PaymentMethod, amount: Decimal) -> Payment | None:
    """Give `amount` back to a locked method; a gift card is credited at once."""
    if amount <= 0:
        return None
    if method.is_gift_card:
        method.balance = (method.balance or ZERO) + amount
        method.save(update_fields=["balance"])
    return Payment.objects.create(
        order=order, method=method, kind=Payment.Kind.REFUND, amount=amount
    )


def settle_difference(*, order: Order, method: PaymentMethod, difference: Decimal) -> None:
    """A positive difference is charged to the method, a negative one refunded to it."""
    if difference > 0:
        charge(order=order, method=method, amount=difference)
    else:
        refund(order=order, method=method, amount=-difference)


def money_dict(method: PaymentMethod, amount: Decimal) -> dict[str, str]:
    return {"payment_method_id": ref_of(method), "amount": str(amount)}
