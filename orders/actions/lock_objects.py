"""Every row an action changes is locked here, with select_for_update, before it is read for a
decision: two submissions of one proposal, or two agents on one order, queue on these locks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from orders.actions.base import ActionRefused
from orders.models import Customer, Order, OrderItem, PaymentMethod, Product, ProductVariant


def _by_ref(queryset: QuerySet, ref: str) -> QuerySet:
    """A row named by its external id, or by its own id when it has none (demo rows)."""
    ref = str(ref).strip()
    by_external = queryset.filter(external_id=ref)
    if ref.isdigit():
        return by_external | queryset.filter(Q(external_id="") & Q(pk=int(ref)))
    return by_external


def order_lock(*, number: str) -> Order:
    order = Order.objects.select_for_update().filter(number=str(number).strip()).first()
    if order is None:
        raise ActionRefused(f"I can't find an order {number}.")
    return order


def customer_lock(*, customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def customer_lock_by_ref(*, ref: str) -> Customer:
    customer = _by_ref(Customer.objects.select_for_update(), ref).first()
    if customer is None:
        raise ActionRefused("I can't find that account.")
    return customer


def order_items_lock(*, order: Order) -> list[OrderItem]:
    return list(
        OrderItem.objects.select_for_update(of=("self",))
        .filter(order=order)
        .select_related("variant", "product")
    )


def payment_method_lock(*, customer: Customer, ref: str) -> PaymentMethod:
    method = _by_ref(
        PaymentMethod.objects.select_for_update().filter(customer=customer), ref
    ).first()
    if method is None:
        raise ActionRefused("That payment method isn't one saved on your account.")
    return method


def payment_methods_lock(*, customer: Customer, ids: set[int]) -> dict[int, PaymentMethod]:
    methods = PaymentMethod.objects.select_for_update().filter(customer=customer, pk__in=ids)
    return {method.pk: method for method in methods}


def variant_get(*, product: Product, ref: str) -> ProductVariant | None:
    """Variants are read, not locked: an action never changes the catalogue."""
    return _by_ref(ProductVariant.objects.filter(product=product), ref).first()
