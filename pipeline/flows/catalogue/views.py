"""What the catalogue reader works on: frozen views of order lines and variants, and the
change it resolves for a line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ItemView:
    item_id: str  # the variant's external id (τ²'s item id)
    product_name: str
    product_id: int
    options: dict[str, str]
    price: Decimal


@dataclass(frozen=True)
class VariantView:
    item_id: str
    options: dict[str, str]
    price: Decimal
    available: bool


@dataclass(frozen=True)
class ItemChange:
    item: ItemView
    chosen: VariantView | None
    candidates: tuple[VariantView, ...]
    problem: str = ""
