"""A small store for the action tests: one customer with a card, PayPal and a gift card, a T-shirt
in three options and a mug, a pending order and a delivered one, both paid by card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal as D

from django.contrib.auth.models import Permission, User
from django.utils import timezone

from orders.models import (
    ActionName,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    ProductVariant,
    Shipment,
    StorePolicy,
)
from tests.factories import CustomerFactory, OrderFactory, ProductFactory


@dataclass
class Shop:
    customer: object
    card: PaymentMethod
    paypal: PaymentMethod
    gift: PaymentMethod
    blue: ProductVariant
    red: ProductVariant
    green: ProductVariant  # not available
    mug: ProductVariant
    other_mug: ProductVariant
    pending: Order
    delivered: Order


def refs(*variants: ProductVariant) -> list[str]:
    return [v.external_id for v in variants]


def shop_build() -> Shop:
    policy = StorePolicy.load()
    policy.bot_actions = list(ActionName.values)
    policy.modifiable_statuses = [Order.Status.PENDING]
    policy.refund_destinations = ["original", "gift_card"]
    policy.bot_refund_limit = D("500.00")
    policy.save()
    customer = CustomerFactory(external_id="pat_lee_1")
    card = PaymentMethod.objects.create(
        customer=customer,
        external_id="credit_card_1",
        kind="credit_card",
        brand="visa",
        last_four="4242",
    )
    paypal = PaymentMethod.objects.create(customer=customer, external_id="paypal_1", kind="paypal")
    gift = PaymentMethod.objects.create(
        customer=customer, external_id="gift_card_1", kind="gift_card", balance=D("30.00")
    )
    shirt, cup = ProductFactory(name="T-Shirt"), ProductFactory(name="Mug")
    blue = ProductVariant.objects.create(
        product=shirt, external_id="100", options={"color": "blue"}, price=D("50.00")
    )
    red = ProductVariant.objects.create(
        product=shirt, external_id="101", options={"color": "red"}, price=D("60.00")
    )
    green = ProductVariant.objects.create(
        product=shirt,
        external_id="102",
        options={"color": "green"},
        price=D("45.00"),
        available=False,
    )
    mug = ProductVariant.objects.create(
        product=cup, external_id="200", options={"size": "S"}, price=D("50.00")
    )
    other_mug = ProductVariant.objects.create(
        product=cup, external_id="201", options={"size": "L"}, price=D("40.00")
    )
    pending = _order(customer, card, Order.Status.PENDING, [blue, mug])
    delivered = _order(customer, card, Order.Status.DELIVERED, [blue, blue, mug])
    Shipment.objects.create(
        order=delivered,
        carrier="UPS",
        tracking_number=f"T{delivered.pk}",
        status=Shipment.Status.DELIVERED,
        delivered_at=timezone.now() - dt.timedelta(days=3),
    )
    return Shop(customer, card, paypal, gift, blue, red, green, mug, other_mug, pending, delivered)


def _order(customer, card, status, variants) -> Order:
    subtotal = sum((v.price for v in variants), D("0.00"))
    order = OrderFactory(
        customer=customer, status=status, subtotal=subtotal, shipping_cost=D("0.00"), total=subtotal
    )
    for variant in variants:
        OrderItem.objects.create(
            order=order,
            product=variant.product,
            variant=variant,
            quantity=1,
            unit_price=variant.price,
        )
    Payment.objects.create(order=order, method=card, kind="payment", amount=subtotal)
    return order


def agent(*, may_override: bool) -> User:
    user = User.objects.create_user(
        f"agent{User.objects.count()}", first_name="Dana", is_staff=True
    )
    if may_override:
        user.user_permissions.add(Permission.objects.get(codename="override_policy"))
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance
