"""A customer with several orders on their way who names none is asked which, with each named;
with one on its way, that one is meant (issue 22's entity reading)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from orders.models import Order

pytestmark = [pytest.mark.django_db(transaction=True)]

IN_FLIGHT = ("shipped", "processing", "paid", "pending")


def _customer_with_orders_in_flight(minimum: int) -> tuple[str, list[str]]:
    for order in Order.objects.filter(status__in=IN_FLIGHT).select_related("customer"):
        numbers = list(
            Order.objects.filter(customer=order.customer, status__in=IN_FLIGHT)
            .order_by("number")
            .values_list("number", flat=True)
        )
        if len(numbers) >= minimum:
            return order.customer.email, numbers
    raise AssertionError(f"the demo store has no customer with {minimum} orders on their way")


def _keep_one_in_flight(email: str, numbers: list[str]) -> str:
    Order.objects.filter(customer__email=email, number__in=numbers[1:]).update(status="delivered")
    return numbers[0]


async def test_several_orders_on_their_way_are_named_and_none_is_guessed(
    start_chat: Any,
) -> None:
    email, numbers = await sync_to_async(_customer_with_orders_in_flight)(2)
    chat = await start_chat(email)
    answer = await chat.say("where is my order")
    assert "Which one is this about?" in answer.text
    for number in numbers[:5]:
        assert number in answer.text
    assert "ask_order" in answer.step_kinds


async def test_one_order_on_its_way_is_the_one_meant(start_chat: Any) -> None:
    email, numbers = await sync_to_async(_customer_with_orders_in_flight)(2)
    only = await sync_to_async(_keep_one_in_flight)(email, numbers)
    chat = await start_chat(email)
    answer = await chat.say("where is my order")
    assert only in answer.text and "Which one" not in answer.text
