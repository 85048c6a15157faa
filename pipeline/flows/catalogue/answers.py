"""Product questions answered from the store's rows: how many options a product has, which
options and prices fit the customer's words ('shorter ones, still bamboo', 'under $300', 'the
cheapest'), and what options the items of the customer's own orders have. Every fact in the
answer comes from the database; a message that is not a product question gets None."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from orders.models import OrderItem, Product, ProductVariant
from orders.models.stores import default_store_id
from pipeline.flows.catalogue.lines import Mention, mentions_find
from pipeline.flows.catalogue.wish import Wish, extremes_keep, wish_read
from pipeline.flows.catalogue.words import matcher_for, tokens

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_QUESTION_START = re.compile(
    r"\s*(how|what|which|do you|are there|is there|tell me|list|show me)\b", re.IGNORECASE
)
_ACTION = re.compile(
    r"\b(exchange|return|cancel|refund|swap|change|replace|modify|switch)\b", re.IGNORECASE
)
_MONEY_OWED = re.compile(
    r"\b(refund(ed)?|get back|money back|difference|charged?|owe|balance)\b", re.IGNORECASE
)
_TOTAL = re.compile(r"\b(total|altogether|in all|combined|sum)\b", re.IGNORECASE)
_PRODUCT_CUES = re.compile(
    r"\b(options?|variants?|versions?|models?|kinds?|types?|available|in stock|do you (have|sell|"
    r"carry)|prices?|costs?|how much|cheapest|most expensive|least expensive|materials?|"
    r"colou?rs?|sizes?|storage|specs?|features?|which ones?|are they|is it)\b",
    re.IGNORECASE,
)
_CATALOGUE = re.compile(
    r"\b(do you (have|sell|carry)|you have|available|in stock|options|cheapest|most expensive|"
    r"least expensive|for less than|for under|under \$|less than|more than|over \$)",
    re.IGNORECASE,
)
_MINE = re.compile(
    r"\b(i (ordered|bought|received|got|have|purchased)|i've|my (order|orders|purchase)|mine|"
    r"did i|in (that|this|my) order|my|in there|the one i|ones i)\b",
    re.IGNORECASE,
)
_BELOW = re.compile(
    r"\b(?:less than|under|below|cheaper than|at most|up to|no more than)\s*\$?\s*(\d[\d,]*(?:\.\d+)?)",
    re.IGNORECASE,
)
_ABOVE = re.compile(
    r"\b(?:more than|over|above|at least|pricier than)\s*\$?\s*(\d[\d,]*(?:\.\d+)?)", re.IGNORECASE
)


def money_text(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def product_answer(text: str, *, store_id: int | None, customer_id: int | None) -> str | None:
    question = " ".join(s for s in _SENTENCE_END.split(text) if _is_question(s))
    if not question or (_ACTION.search(question) and not _CATALOGUE.search(question)):
        return None
    if _MONEY_OWED.search(question):  # 'how much do I get back for the keyboard?': the order's
        return None
    store_id = store_id if store_id is not None else default_store_id()
    products = dict(Product.objects.filter(store_id=store_id).values_list("pk", "name"))
    scope, toks = question, tokens(question)
    mentions = mentions_find(toks, products)
    if not mentions:  # 'I want a shorter skateboard. what options do you have?'
        scope, toks = text, tokens(text)
        mentions = mentions_find(toks, products)
    if not mentions or not _asks_about_products(scope, mentions):
        return None
    product_ids = list(dict.fromkeys(pid for m in mentions for pid in sorted(m.product_ids)))
    if customer_id is not None and _MINE.search(scope) and not _CATALOGUE.search(scope):
        return _about_own_items(product_ids, customer_id, products, total=_TOTAL.search(scope))
    words = [t.word for t in toks]
    parts = [_about_catalogue(pid, products[pid], scope, words, customer_id) for pid in product_ids]
    return "\n\n".join(parts)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence))


def _asks_about_products(text: str, mentions: Sequence[Mention]) -> bool:
    if _PRODUCT_CUES.search(text):
        return True
    option_names = {
        name.lower()
        for options in ProductVariant.objects.filter(
            product_id__in={pid for m in mentions for pid in m.product_ids}
        ).values_list("options", flat=True)
        for name in options
    }
    return any(re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE) for name in option_names)


def _about_catalogue(
    product_id: int, name: str, text: str, words: list[str], customer_id: int | None
) -> str:
    variants = list(ProductVariant.objects.filter(product_id=product_id, available=True))
    current = _customer_options(product_id, customer_id)
    wish = wish_read(words, matcher_for([v.options for v in variants] or [{}]))
    fitting = [v for v in variants if wish.accepts(v.options, current)]
    fitting = _within_prices(fitting, text)
    fitting = _extreme(fitting, wish)
    if not variants:
        return f"We have no {name} available right now."
    if not fitting:
        return f"None of the {len(variants)} {name} options available right now fits that."
    lines = "\n".join(f"- {_options_text(v.options)}: {money_text(v.price)}" for v in fitting)
    if len(fitting) == 1 and (wish.cheapest or wish.dearest):
        which = "cheapest" if wish.cheapest else "most expensive"
        return f"The {which} {name} available is:\n{lines}"
    if len(fitting) == len(variants):
        return f"There are {len(variants)} {name} options available right now:\n{lines}"
    fit = "fits" if len(fitting) == 1 else "fit"
    return f"Of the {len(variants)} {name} options available, {len(fitting)} {fit}:\n{lines}"


def _customer_options(product_id: int, customer_id: int | None) -> dict[str, str]:
    """The options of the customer's own item of this product, when they have exactly one kind:
    what 'shorter' or 'same colour' is measured against."""
    if customer_id is None:
        return {}
    kinds = {
        tuple(sorted(options.items()))
        for options in OrderItem.objects.filter(
            order__customer_id=customer_id, product_id=product_id, variant__isnull=False
        ).values_list("variant__options", flat=True)
    }
    return dict(next(iter(kinds))) if len(kinds) == 1 else {}


def _within_prices(variants: list[ProductVariant], text: str) -> list[ProductVariant]:
    below, above = _BELOW.search(text), _ABOVE.search(text)
    if below:
        variants = [v for v in variants if v.price < Decimal(below.group(1).replace(",", ""))]
    if above:
        variants = [v for v in variants if v.price > Decimal(above.group(1).replace(",", ""))]
    return sorted(variants, key=lambda v: v.price)


def _extreme(variants: list[ProductVariant], wish: Wish) -> list[ProductVariant]:
    variants = [variants[k] for k in extremes_keep(wish, [v.options for v in variants])]
    if not variants or not (wish.cheapest or wish.dearest):
        return variants
    price = (min if wish.cheapest else max)(v.price for v in variants)
    return [v for v in variants if v.price == price]


def _about_own_items(
    product_ids: list[int], customer_id: int, products: dict[int, str], *, total: object
) -> str:
    items = list(
        OrderItem.objects.filter(order__customer_id=customer_id, product_id__in=product_ids)
        .select_related("order", "variant")
        .order_by("order__placed_at", "pk")
    )
    if not items:
        names = " or ".join(products[pid] for pid in product_ids)
        return f"I can't find a {names} in your orders."
    lines = "\n".join(
        f"- {item.order.number} ({item.order.get_status_display().lower()}): "
        f"{products[item.product_id]}, {_options_text(item.variant.options if item.variant else {})}"
        f", {money_text(item.unit_price)}"
        for item in items
    )
    if total and len(items) > 1:
        lines += f"\nTogether: {money_text(sum((i.unit_price for i in items), Decimal('0.00')))}"
    return f"In your orders:\n{lines}"


def _options_text(options: dict[str, str]) -> str:
    return ", ".join(f"{name} {value}" for name, value in options.items()) or "standard"
