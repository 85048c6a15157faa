from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Order
from orders.services import RefundNotAllowed, refund_create, refund_reject
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_order_number_is_unique() -> None:
    OrderFactory(number="ORD-7777")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(number="ORD-7777")


def test_order_total_must_add_up() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(
            subtotal=Decimal("100.00"), shipping_cost=Decimal("5.00"), total=Decimal("99.00")
        )


def test_discount_cannot_exceed_the_order() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(discount_total=Decimal("200.00"), total=Decimal("-95.00"))


def test_refunds_add_up_to_at_most_the_order_total() -> None:
    order = OrderFactory(total=Decimal("105.00"))
    refund_create(order=order, amount=Decimal("60.00"), reason="damaged")
    refund_create(order=order, amount=Decimal("45.00"), reason="damaged too")
    assert order.refunded_total == Decimal("105.00")
    with pytest.raises(RefundNotAllowed, match="left to refund"):
        refund_create(order=order, amount=Decimal("0.01"), reason="one cent more")
    assert order.refunds.count() == 2


def test_database_refuses_refunds_over_the_total_even_past_the_service() -> None:
    order = OrderFactory(total=Decimal("105.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(refunded_total=Decimal("105.01"))


def test_rejecting_a_refund_frees_its_amount() -> None:
    order = OrderFactory(total=Decimal("105.00"))
    refund = refund_create(order=order, amount=Decimal("105.00"), reason="never arrived")
    refund_reject(refund=refund, decided_by="agent")
    order.refresh_from_db()
    assert order.refunded_total == Decimal("0.00")
    refund_create(order=order, amount=Decimal("105.00"), reason="second request")


def test_refund_must_be_positive() -> None:
    with pytest.raises(RefundNotAllowed):
        refund_create(order=OrderFactory(), amount=Decimal("0"), reason="nothing")
