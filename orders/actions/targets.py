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
    requested = {
        Order.Status.RETURN_REQUESTED: "A return",
        Order.Status.EXCHANGE_REQUESTED: "An exchange",
    }.get(order.status)
    context.require(
        requested is None,
        f"{requested} has already been requested for order {order.number}, so its items can't "
        f"be {doing} now.",
    )
    context.require(
        order.status == Order.Status.DELIVERED,
        f"Order {order.number} can't be {doing}: it is {status_text(order)}, not delivered.",
    )
