"""Reads of the store's records. Every customer-facing read is scoped to one customer."""

from __future__ import annotations

import re

from django.db.models import Prefetch, QuerySet

from orders.models import (
    Customer,
    Order,
    OrderItem,
    Refund,
    StorePolicy,
    TrackingEvent,
)

_ORDER_NUMBER = re.compile(r"(?:ORD[-\s]?)?#?(\d{3,12})$", re.IGNORECASE)


def order_number_normalize(raw: str) -> str | None:
    """'ORD-4521', 'ord 4521', '#4521' and '4521' all name ORD-4521."""
    match = _ORDER_NUMBER.match(raw.strip())
    return f"ORD-{match.group(1)}" if match else None


def _order_detail_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("customer__tier", "shipping_method").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product")),
        "refunds",
        Prefetch("shipments__events", queryset=TrackingEvent.objects.order_by("occurred_at")),
    )


def order_get_for_customer(*, customer_id: int, number: str) -> Order | None:
    normalized = order_number_normalize(number)
    if normalized is None:
        return None
    return _order_detail_queryset().filter(customer_id=customer_id, number=normalized).first()


def orders_for_customer(*, customer_id: int, limit: int = 10) -> list[Order]:
    return list(_order_detail_queryset().filter(customer_id=customer_id)[:limit])


def order_exists(*, number: str) -> bool:
    normalized = order_number_normalize(number)
    return normalized is not None and Order.objects.filter(number=normalized).exists()


def customer_verify(*, order_number: str, email: str) -> Customer | None:
    """The customer who placed this order, if the e-mail is theirs; None otherwise, with no hint
    about which of the two was wrong."""
    normalized = order_number_normalize(order_number)
    if normalized is None:
        return None
    order = (
        Order.objects.select_related("customer__tier")
        .filter(number=normalized, customer__email__iexact=email.strip())
        .first()
    )
    return order.customer if order else None


def customer_get_by_email(*, email: str) -> Customer | None:
    return Customer.objects.select_related("tier").filter(email__iexact=email.strip()).first()


def refunds_for_customer(*, customer_id: int) -> list[Refund]:
    return list(Refund.objects.select_related("order").filter(order__customer_id=customer_id))


def policy_get() -> StorePolicy:
    return StorePolicy.load()
