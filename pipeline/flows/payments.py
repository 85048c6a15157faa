"""Which of the customer's payment methods the words name ("visa ending 1234", "paypal",
"gift card", "the original payment method"), and the refund destinations the policy allows."""

from __future__ import annotations

import re
from collections.abc import Sequence

from orders.models import PaymentMethod
from pipeline.flows.records import Method, OrderRecord

_CARD_ENDING = re.compile(
    r"\b(visa|mastercard|master card|amex|american express|discover|card)?\b[^.,;]{0,25}?"
    r"\bending (?:in )?(\d{4})\b",
    re.I,
)
_BRANDS = {"master card": "mastercard", "american express": "amex"}
_ORIGINAL = re.compile(
    r"\b(original (payment )?(method|card|payment)|"
    r"(card|method|account|what|one) i (originally )?(paid|used|bought it|ordered it)( it)? (with|for)|"
    r"(the )?same (card|method|way) i paid|paid with originally)\b",
    re.I,
)
_PAYPAL = re.compile(r"\bpay ?pal\b", re.I)
_GIFT = re.compile(r"\bgift ?card\b", re.I)
_BRAND_ONLY = re.compile(r"\b(visa|mastercard|master card|amex|american express|discover)\b", re.I)
_CARD = re.compile(r"\b(credit card|my card|the card)\b", re.I)


def methods_named(text: str, methods: Sequence[Method], original: str = "") -> list[Method]:
    """Every method the words name, in the order they are named."""
    found: list[tuple[int, Method]] = []
    for match in _CARD_ENDING.finditer(text):
        card = next((m for m in methods if m.last_four == match.group(2)), None)
        if card is not None:
            found.append((match.start(), card))
    taken = [m.span() for m in _CARD_ENDING.finditer(text)]

    def free(pos: int) -> bool:
        return not any(a <= pos < b for a, b in taken)

    for pattern, kind in (
        (_PAYPAL, PaymentMethod.Kind.PAYPAL),
        (_GIFT, PaymentMethod.Kind.GIFT_CARD),
    ):
        for match in pattern.finditer(text):
            of_kind = [m for m in methods if m.kind == kind]
            if len(of_kind) >= 1 and free(match.start()):
                found.append((match.start(), of_kind[0]))
    for match in _BRAND_ONLY.finditer(text):
        if not free(match.start()):
            continue
        brand = _BRANDS.get(match.group(1).lower(), match.group(1).lower())
        cards = [
            m for m in methods if m.kind == PaymentMethod.Kind.CARD and m.brand.lower() == brand
        ]
        if len(cards) == 1:
            found.append((match.start(), cards[0]))
    if original:
        for match in _ORIGINAL.finditer(text):
            method = next((m for m in methods if m.method_id == original), None)
            if method is not None:
                found.append((match.start(), method))
    if not found:
        for match in _CARD.finditer(text):
            cards = [m for m in methods if m.kind == PaymentMethod.Kind.CARD]
            if len(cards) == 1:
                found.append((match.start(), cards[0]))
    found.sort(key=lambda pair: pair[0])
    return list(dict.fromkeys(m for _, m in found))


def method_named(text: str, methods: Sequence[Method], original: str = "") -> Method | None:
    named = methods_named(text, methods, original)
    return named[-1] if named else None


def mentions_payment(text: str) -> bool:
    return bool(
        _CARD_ENDING.search(text)
        or _PAYPAL.search(text)
        or _GIFT.search(text)
        or _BRAND_ONLY.search(text)
        or _ORIGINAL.search(text)
    )


def refund_allowed(method: Method, order: OrderRecord) -> bool:
    """τ² policy: a refund goes to the original payment method or an existing gift card."""
    return method.method_id == order.original_method or method.kind == PaymentMethod.Kind.GIFT_CARD


def refund_choices(order: OrderRecord, methods: Sequence[Method]) -> list[Method]:
    original = [m for m in methods if m.method_id == order.original_method]
    gifts = [m for m in methods if m.kind == PaymentMethod.Kind.GIFT_CARD and m not in original]
    return original + gifts
