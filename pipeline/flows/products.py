"""The seam to the catalogue reader (pipeline.flows.catalogue): which of an order's items the
words name, which variant an item should become, and product questions. Until that module is
there, a plain fallback reads product names only (no variant choice: the engine then asks)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orders.models import ProductVariant
from pipeline.flows.records import Item

try:  # the catalogue reader, when its branch has landed
    from pipeline.flows.catalogue import (  # type: ignore[import-not-found]
        ItemChange,
        ItemView,
        VariantView,
        item_changes,
        items_named,
    )
except ImportError:  # pragma: no cover - replaced by the catalogue module

    @dataclass(frozen=True)
    class ItemView:  # type: ignore[no-redef]
        item_id: str
        product_name: str
        product_id: int
        options: dict[str, str]
        price: Decimal

    @dataclass(frozen=True)
    class VariantView:  # type: ignore[no-redef]
        item_id: str
        options: dict[str, str]
        price: Decimal
        available: bool

    @dataclass(frozen=True)
    class ItemChange:  # type: ignore[no-redef]
        item: ItemView
        chosen: VariantView | None
        candidates: tuple[VariantView, ...] = field(default=())
        problem: str = ""

    def items_named(text: str, items: Sequence[ItemView]) -> list[ItemView]:  # type: ignore[misc]
        words = text.lower()
        named = [i for i in items if _name_in(i.product_name, words)]
        out = []
        for name in dict.fromkeys(i.product_name for i in named):
            same = [i for i in named if i.product_name == name]
            hits = [sum(str(v).lower() in words for v in i.options.values()) for i in same]
            best = max(hits)
            out += [i for i, h in zip(same, hits, strict=True) if h == best]
        return out

    def item_changes(  # type: ignore[misc]
        text: str,
        items: Sequence[ItemView],
        variants_of: Callable[[int], Sequence[VariantView]],
    ) -> list[ItemChange]:
        return []

    def _name_in(name: str, words: str) -> bool:
        head = name.lower().split()[-1]
        return bool(re.search(rf"\b{re.escape(head)}s?\b", words))


try:
    from pipeline.flows.catalogue.answers import product_answer as _catalogue_answer
except ImportError:  # pragma: no cover - replaced by the catalogue module
    _catalogue_answer = None


def product_answer(text: str, store_id: int | None, customer_id: int | None) -> str | None:
    """A product question answered from the catalogue, or None."""
    if _catalogue_answer is None:
        return None
    return _catalogue_answer(text, store_id=store_id, customer_id=customer_id)


__all__ = [
    "ItemChange",
    "ItemView",
    "VariantView",
    "changes_read",
    "item_views",
    "items_read",
    "product_answer",
]


def item_views(items: Sequence[Item]) -> list[ItemView]:
    return [
        ItemView(i.item_id, i.product_name, i.product_id, dict(i.options), i.price) for i in items
    ]


def items_read(text: str, items: Sequence[Item]) -> list[Item]:
    """The order's items the words name, as the engine's own records (identical items kept)."""
    named = items_named(text, item_views(items))
    left = list(items)
    picked = []
    for view in named:
        match = next((i for i in left if i.item_id == view.item_id), None)
        if match is not None:
            left.remove(match)
            picked.append(match)
    return picked


def items_mentioned(text: str, items: Sequence[Item]) -> list[Item]:
    """The items whose product the words name at all ("the jacket", "both skateboards"), with
    no reading of what is asked about them: for telling which order the words are about."""
    words = text.lower()
    named = [i for i in items if _mentioned(i.product_name, words)]
    out = []
    for name in dict.fromkeys(i.product_name for i in named):
        same = [i for i in named if i.product_name == name]
        hits = [sum(str(v).lower() in words for v in i.options.values()) for i in same]
        out += [i for i, h in zip(same, hits, strict=True) if h == max(hits)]
    return out


def _mentioned(name: str, words: str) -> bool:
    lowered = name.lower()
    if lowered in words:
        return True
    head = lowered.split()[-1]
    forms = {head, f"{head}s", f"{head}es"}
    if head.endswith("f"):
        forms.add(f"{head[:-1]}ves")  # shelf, shelves
    if head.endswith("y"):
        forms.add(f"{head[:-1]}ies")
    return any(re.search(rf"\b{re.escape(form)}\b", words) for form in forms)


def variants_of(product_id: int) -> list[VariantView]:
    rows = ProductVariant.objects.filter(product_id=product_id).order_by("pk")
    return [
        VariantView(v.external_id or str(v.pk), dict(v.options), v.price, v.available) for v in rows
    ]


def changes_read(text: str, items: Sequence[Item]) -> list[ItemChange]:
    cache: dict[int, list[VariantView]] = {}

    def cached(product_id: int) -> list[VariantView]:
        if product_id not in cache:
            cache[product_id] = variants_of(product_id)
        return cache[product_id]

    return list(item_changes(text, item_views(items), cached))
