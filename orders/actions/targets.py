"""Locking an action's rows and the state checks most actions start with."""

from __future__ import annotations

from collections.abc import Callable

from orders.actions.base import ActionContext, Target
from orders.actions.lock_objects import customer_lock, order_lock
from orders.models import Order


def order_target(number: str) -> Callable[[], Target]:
    def lock() -> Target:
        order = order_lock(number=number)
        return Target(customer=customer_lock(customer_id=order.customer_id), order=order)

    return lock


def status_text(order: Order) -> str:
    return order.get_status_display().lower()


def require_changeable(context: ActionContext, order: Order, doing: str) -> None:
    """Cancel and modify need an order in one of the policy's modifiable states."""
    context.require(
        order.status != Order.Status.ITEMS_MODIFIED,
        f"Order {order.number}'s items have already been changed once, so it can't be "
        f"{doing} any more.",
    )
    context.require(
        order.status in context.policy.modifiable_statuses,
        f"Order {order.number} can't be {doing}: it is {status_text(order)}.",
    )


def require_delivered(context: ActionContext, order: Order, doing: str) -> None:
    context.require(
        order.status not in (Order.Status.RETURN_REQUESTED, Order.Status.EXCHANGE_REQUESTED),
        f"Order {order.number} already has a {status_text(order)}; its items can't be "
        f"{doing} again.",
    )
    context.require(
        order.status == Order.Status.DELIVERED,
        f"Order {order.number} can't be {doing}: it is {status_text(order)}, not delivered.",
    )
