"""The demo store's variants, wallets and payment histories (seeded after the orders they pay)."""

from __future__ import annotations

from orders import demo_data
from orders.models import (
    Customer,
    Order,
    Payment,
    PaymentMethod,
    Product,
    ProductVariant,
)


def seed_variants(product: Product) -> ProductVariant:
    """The product's variants, by their options; returns the one orders were placed for."""
    rows = demo_data.VARIANTS.get(product.sku) or [({}, product.price, product.stock > 0)]
    variants = [
        ProductVariant.objects.update_or_create(
            product=product, options=options, defaults={"price": price, "available": available}
        )[0]
        for options, price, available in rows
    ]
    return variants[0]


def seed_card(customer: Customer, index: int) -> PaymentMethod:
    brand = demo_data.CARD_BRANDS[index % len(demo_data.CARD_BRANDS)]
    card, _ = PaymentMethod.objects.update_or_create(
        customer=customer,
        kind=PaymentMethod.Kind.CARD,
        defaults={"brand": brand, "last_four": f"{(4000 + index * 37) % 10000:04d}"},
    )
    return card


def seed_flagship_wallet(customer: Customer) -> PaymentMethod:
    brand, last_four = demo_data.FLAGSHIP_CARD
    card, _ = PaymentMethod.objects.update_or_create(
        customer=customer,
        kind=PaymentMethod.Kind.CARD,
        defaults={"brand": brand, "last_four": last_four},
    )
    PaymentMethod.objects.update_or_create(
        customer=customer,
        kind=PaymentMethod.Kind.GIFT_CARD,
        defaults={"balance": demo_data.FLAGSHIP_GIFT_CARD_BALANCE},
    )
    return card


def seed_payments(order: Order, method: PaymentMethod) -> None:
    """The order was paid in full by `method`; a cancelled one was refunded in full."""
    order.payments.all().delete()
    Payment.objects.create(
        order=order, method=method, kind=Payment.Kind.PAYMENT, amount=order.total
    )
    if order.status == Order.Status.CANCELLED:
        Payment.objects.create(
            order=order, method=method, kind=Payment.Kind.REFUND, amount=order.total
        )


def address_from_text(text: str) -> dict[str, str]:
    """Structured fields for a demo label 'Name\\n12 Main St\\nAustin, TX'."""
    lines = text.splitlines()
    street = lines[1] if len(lines) > 1 else ""
    city, _, state = (lines[-1] if len(lines) > 2 else "").partition(", ")
    state, _, zip_code = state.partition(" ")
    return {
        "address1": street,
        "address2": "",
        "city": city,
        "state": state,
        "country": "USA",
        "zip": zip_code,
    }
