"""factory_boy factories for the store and conversations (tests only)."""

from __future__ import annotations

from decimal import Decimal

import factory

from conversations.models import Conversation
from conversations.services import token_hash
from orders.models import Customer, LoyaltyTier, Order, Product, ShippingMethod


class LoyaltyTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyTier
        django_get_or_create = ("code",)

    code = "regular"
    name = "Regular"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Test Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.test")
    tier = factory.SubFactory(LoyaltyTierFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("40.00")
    stock = 10


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod
        django_get_or_create = ("code",)

    code = "standard"
    name = "Standard"
    transit_days = 5
    price = Decimal("5.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{90000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    shipping_method = factory.SubFactory(ShippingMethodFactory)
    shipping_address = "1 Test Street"
    subtotal = Decimal("100.00")
    shipping_cost = Decimal("5.00")
    discount_total = Decimal("0.00")
    total = Decimal("105.00")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    token_hash = factory.LazyFunction(lambda: token_hash("test-token"))
