from __future__ import annotations

import pytest

from orders.models import Customer
from orders.selectors import (
    customer_verify,
    order_get_for_customer,
    order_number_normalize,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["ORD-4521", "ord 4521", "#4521", "4521", "ORD4521"])
def test_order_numbers_normalize(raw: str) -> None:
    assert order_number_normalize(raw) == "ORD-4521"


def test_a_customer_sees_only_their_own_orders(demo_store: object) -> None:
    sarah = Customer.objects.get(email="sarah.mitchell@example.com")
    someone = Customer.objects.exclude(pk=sarah.pk).filter(orders__isnull=False).first()
    assert order_get_for_customer(customer_id=sarah.pk, number="#4521").number == "ORD-4521"
    assert order_get_for_customer(customer_id=someone.pk, number="ORD-4521") is None


def test_verification_needs_the_matching_email(demo_store: object) -> None:
    assert (
        customer_verify(order_number="ORD-4521", email="Sarah.Mitchell@example.com ").name
        == "Sarah Mitchell"
    )
    assert customer_verify(order_number="ORD-4521", email="james.johnson@example.com") is None
    assert customer_verify(order_number="ORD-0000", email="sarah.mitchell@example.com") is None
