"""What one verification in the chat costs the database: one indexed query per attempt, none for
a message that is no attempt or for a visitor past the limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from orders.models import Customer, Order
from pipeline.verification import verify_in_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(demo_store: Any) -> Order:
    cache.clear()
    return Order.objects.select_related("customer").exclude(number="ORD-4521").first()


def _attempt(refs: tuple[str, ...], emails: tuple[str, ...]) -> Any:
    return verify_in_chat(
        order_refs=refs, emails=emails, conversation_id="c-1", visitor_key="client:v-1"
    )


def test_a_right_pair_verifies_in_one_query(order: Order, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        attempt = _attempt((order.number[4:],), (order.customer.email.upper(),))
    assert attempt.outcome == "verified_now" and attempt.customer == order.customer


def test_a_wrong_pair_costs_one_query_too(order: Order, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        attempt = _attempt((order.number[4:],), ("nobody@example.com",))
    assert attempt.outcome == "failed" and attempt.customer is None


def test_many_numbers_or_emails_cost_no_query(order: Order, django_assert_num_queries) -> None:
    numbers = tuple(n[4:] for n in Order.objects.values_list("number", flat=True))
    emails = tuple(Customer.objects.values_list("email", flat=True))
    with django_assert_num_queries(0):
        assert _attempt(numbers, (order.customer.email,)).outcome == "ambiguous"
        assert _attempt((order.number[4:],), emails).outcome == "ambiguous"
        assert _attempt(numbers, emails).outcome == "ambiguous"


def test_past_the_limit_no_query_is_made(order: Order, django_assert_num_queries) -> None:
    for _ in range(settings.VERIFY_ATTEMPTS_PER_HOUR):
        assert _attempt((order.number[4:],), ("nobody@example.com",)).outcome == "failed"
    with django_assert_num_queries(0):
        attempt = _attempt((order.number[4:],), (order.customer.email,))
    assert attempt.outcome == "locked" and attempt.customer is None
