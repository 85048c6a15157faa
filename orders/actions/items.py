"""Picking an order's items by id and checking the swaps asked for (modify and exchange alike)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orders.actions.base import ActionContext
from orders.actions.ledger import ref_of
from orders.actions.lock_objects import variant_get
from orders.models import ZERO, OrderItem, ProductVariant


@dataclass(frozen=True)
class Swap:
    item: OrderItem
    new: ProductVariant

    @property
    def difference(self) -> Decimal:
        return (self.new.price - self.item.unit_price) * self.item.quantity


def items_pick(
    context: ActionContext, *, items: list[OrderItem], refs: list[str]
) -> list[OrderItem]:
    """One order line per id asked for; an id given twice takes two identical lines."""
    context.require(bool(refs), "Which items do you mean?")
    free = [item for item in items if item.variant_id and not item.request]
    picked = []
    for ref in refs:
        match = next((item for item in free if ref_of(item.variant) == str(ref).strip()), None)
        context.require(
            match is not None, f"Item {ref} isn't on this order, or is already part of a request."
        )
        free.remove(match)
        picked.append(match)
    return picked


def swaps_check(
    context: ActionContext, *, items: list[OrderItem], new_refs: list[str]
) -> list[Swap]:
    context.require(
        len(items) == len(new_refs), "Each item to change needs exactly one new item to go with it."
    )
    swaps = []
    for item, ref in zip(items, new_refs, strict=True):
        new = variant_get(product=item.product, ref=ref)
        context.require(
            new is not None,
            f"Item {ref} isn't an option of the {item.product.name}; an item can only be "
            "swapped for another option of the same product.",
        )
        context.require(
            new.available, f"The {item.product.name} ({new.options_text}) isn't available."
        )
        context.require(
            new.pk != item.variant_id,
            f"Item {ref} is the {item.product.name} you already have.",
        )
        swaps.append(Swap(item, new))
    return swaps


def price_difference(swaps: list[Swap]) -> Decimal:
    return sum((swap.difference for swap in swaps), ZERO)
