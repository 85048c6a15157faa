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
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    orders = list(Order.objects.filter(customer_id=customer_id).order_by("placed_at", "pk"))
    ids = [o.pk for o in orders]
    items: dict[int, list[Item]] = {pk: [] for pk in ids}
    rows = OrderItem.objects.filter(order_id__in=ids).select_related("variant", "product")
    for row in rows.order_by("pk"):
        for _ in range(row.quantity):
            items[row.order_id].append(_item(row))
    methods = list(PaymentMethod.objects.filter(customer_id=customer_id))
    ref = {m.pk: m.external_id or str(m.pk) for m in methods}
    paid: dict[int, list[tuple[str, str, Decimal]]] = {pk: [] for pk in ids}
    for p in Payment.objects.filter(order_id__in=ids).order_by("pk"):
        paid[p.order_id].append((ref.get(p.method_id, str(p.method_id)), p.kind, p.amount))
    tracking: dict[int, list[str]] = {pk: [] for pk in ids}
    for s in Shipment.objects.filter(order_id__in=ids).order_by("pk"):
        tracking[s.order_id].append(s.tracking_number)
    return Snapshot(
        customer_id=customer.pk,
        user_id=customer.external_id or str(customer.pk),
        name=customer.name,
        address=Address.of(customer),
        orders=tuple(
            OrderRecord(
                number=o.number,
                status=o.status,
                items=tuple(items[o.pk]),
                address=Address.of(o),
                paid=tuple(paid[o.pk]),
                tracking=tuple(tracking[o.pk]),
            )
            for o in orders
        ),
        methods=tuple(Method(ref[m.pk], m.kind, m.brand, m.last_four, m.balance) for m in methods),
    )


def _item(row: OrderItem) -> Item:
    variant = row.variant
    return Item(
        item_id=(variant.external_id or str(variant.pk)) if variant else str(row.product_id),
        product_name=row.product.name,
        product_id=row.product_id,
        options=dict(variant.options) if variant else {},
        price=row.unit_price,
        request=row.request,
    )
