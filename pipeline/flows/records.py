"""The verified customer's records as the flows read them: one snapshot per turn, a handful of
queries (customer, orders with their items, payments, shipments, payment methods), plain frozen
values after that so every rule below works without touching the ORM again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from orders.models import Address, Customer, Order, OrderItem, Payment, PaymentMethod, Shipment

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Item:
    item_id: str  # the variant's external id (τ²'s item id)
    product_name: str
    product_id: int
    options: dict[str, str]
    price: Decimal
    request: str  # "", "return" or "exchange": already part of a request

    def label(self) -> str:
        options = ", ".join(str(v) for v in self.options.values())
        return f"{self.product_name} ({options})" if options else self.product_name


@dataclass(frozen=True)
class Method:
    method_id: str
    kind: str  # credit_card, paypal, gift_card
    brand: str
    last_four: str
    balance: Decimal | None

    def label(self) -> str:
        if self.kind == PaymentMethod.Kind.CARD:
            return f"{(self.brand or 'card').title()} ending {self.last_four}"
        if self.kind == PaymentMethod.Kind.GIFT_CARD:
            return f"gift card (balance ${self.balance or ZERO:,.2f})"
        return "PayPal"


@dataclass(frozen=True)
class OrderRecord:
    number: str
    status: str
    items: tuple[Item, ...]
    address: Address
    paid: tuple[tuple[str, str, Decimal], ...]  # (method id, payment|refund, amount)
    tracking: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((i.price for i in self.items), ZERO)

    @property
    def net_paid(self) -> Decimal:
        sign = {Payment.Kind.PAYMENT: 1, Payment.Kind.REFUND: -1}
        return sum((sign[kind] * amount for _, kind, amount in self.paid), ZERO)

    @property
    def original_method(self) -> str:
        return next((m for m, kind, _ in self.paid if kind == Payment.Kind.PAYMENT), "")

    def status_text(self) -> str:
        return (
            Order.Status(self.status).label.lower() if self.status in Order.Status else self.status
        )


@dataclass(frozen=True)
class Snapshot:
    customer_id: int
    user_id: str  # the customer's external id (τ²'s user id)
    name: str
    address: Address
    orders: tuple[OrderRecord, ...]
    methods: tuple[Method, ...]

    def order(self, number: str) -> OrderRecord | None:
        return next((o for o in self.orders if o.number.lower() == number.lower()), None)

    def method(self, method_id: str) -> Method | None:
        return next((m for m in self.methods if m.method_id == method_id), None)


def snapshot_load(customer_id: int) -> Snapshot | None:
    """Six light queries (values, no model instances): every message of a verified customer
    reads the snapshot, so it stays cheap."""
    fields = ("pk", "external_id", "name", *Address.FIELDS)
    customer = Customer.objects.filter(pk=customer_id).values(*fields).first()
    if customer is None:
        return None
    orders = list(
        Order.objects.filter(customer_id=customer_id)
        .order_by("placed_at", "pk")
        .values("pk", "number", "status", *Address.FIELDS)
    )
    ids = [o["pk"] for o in orders]
    items: dict[int, list[Item]] = {pk: [] for pk in ids}
    rows = OrderItem.objects.filter(order_id__in=ids).order_by("pk")
    for (
        order_id,
        quantity,
        price,
        request,
        product_id,
        product,
        variant_id,
        ref,
        options,
    ) in rows.values_list(
        "order_id",
        "quantity",
        "unit_price",
        "request",
        "product_id",
        "product__name",
        "variant_id",
        "variant__external_id",
        "variant__options",
    ):
        item_id = (ref or str(variant_id)) if variant_id else str(product_id)
        line = Item(item_id, product, product_id, dict(options or {}), price, request)
        items[order_id].extend([line] * quantity)
    methods = list(
        PaymentMethod.objects.filter(customer_id=customer_id).values_list(
            "pk", "external_id", "kind", "brand", "last_four", "balance"
        )
    )
    ref_of = {pk: external or str(pk) for pk, external, *_ in methods}
    paid: dict[int, list[tuple[str, str, Decimal]]] = {pk: [] for pk in ids}
    for order_id, method_id, kind, amount in (
        Payment.objects.filter(order_id__in=ids)
        .order_by("pk")
        .values_list("order_id", "method_id", "kind", "amount")
    ):
        paid[order_id].append((ref_of.get(method_id, str(method_id)), kind, amount))
    tracking: dict[int, list[str]] = {pk: [] for pk in ids}
    for order_id, number in (
        Shipment.objects.filter(order_id__in=ids)
        .order_by("pk")
        .values_list("order_id", "tracking_number")
    ):
        tracking[order_id].append(number)
    return Snapshot(
        customer_id=customer["pk"],
        user_id=customer["external_id"] or str(customer["pk"]),
        name=customer["name"],
        address=Address(*(customer[name] for name in Address.FIELDS)),
        orders=tuple(
            OrderRecord(
                number=o["number"],
                status=o["status"],
                items=tuple(items[o["pk"]]),
                address=Address(*(o[name] for name in Address.FIELDS)),
                paid=tuple(paid[o["pk"]]),
                tracking=tuple(tracking[o["pk"]]),
            )
            for o in orders
        ),
        methods=tuple(
            Method(ref_of[pk], kind, brand, last_four, balance)
            for pk, _, kind, brand, last_four, balance in methods
        ),
    )
