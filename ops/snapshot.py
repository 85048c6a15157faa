"""The data behind a golden case: captured as plain JSON by natural keys, restored in place.

Capture takes the state as it was when the customer wrote: orders placed later, tracking scans
after the clock and refunds made at or after it (the bot's own refunds for that very message
among them) are left out, and each order's refunded total is wound back to match.

Restore writes the snapshot over the live rows by natural key (policy, tiers, shipping methods,
expedite options, products, articles, the customer by e-mail, their orders by number). It is
only ever called inside a transaction that is rolled back (ops.golden).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from orders.models import (
    Customer,
    ExpediteOption,
    KnowledgeArticle,
    LoyaltyTier,
    Order,
    OrderItem,
    Product,
    Refund,
    Shipment,
    ShippingMethod,
    StorePolicy,
    TrackingEvent,
)

VERSION = 1
POLICY = (
    "refund_window_days",
    "bot_refund_limit",
    "stalled_after_hours",
    "refund_shipping_when_late",
    "dispatch_cutoff_hour",
)
TIER = ("code", "name", "discount_rate", "max_discount", "min_subtotal", "retroactive_days", "rank")
METHOD = ("code", "name", "transit_days", "price")
EXPEDITE = ("code", "name", "kind", "transit_days", "cost", "vip_free", "active")
PRODUCT = ("sku", "name", "price", "stock", "description")
ARTICLE = ("slug", "title", "body", "category", "keywords", "is_published")
CUSTOMER = ("name", "email", "locale")
ORDER = (
    "number",
    "status",
    "placed_at",
    "shipping_address",
    "subtotal",
    "shipping_cost",
    "discount_total",
    "discount_reason",
    "total",
    "refunded_total",
    "notes",
)
SHIPMENT = (
    "carrier",
    "tracking_number",
    "status",
    "current_location",
    "shipped_at",
    "estimated_delivery",
    "delivered_at",
)
EVENT = ("occurred_at", "location", "status", "description")
REFUND = ("amount", "status", "reason", "created_at", "decided_by")


def _plain(value: Any) -> Any:
    """Lossless JSON: full-precision timestamps (DjangoJSONEncoder would cut microseconds)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _dump(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


def _load(model: type[models.Model], data: dict[str, Any], names: tuple[str, ...]) -> dict:
    return {name: model._meta.get_field(name).to_python(data[name]) for name in names}


# -- capture --


def capture(*, customer: Customer | None, clock: dt.datetime) -> dict[str, Any]:
    orders = _orders_at(customer, clock) if customer else []
    skus = {item["sku"] for order in orders for item in order["items"]}
    return {
        "version": VERSION,
        "policy": _dump(StorePolicy.load(), POLICY),
        "tiers": [_dump(t, TIER) for t in LoyaltyTier.objects.all()],
        "shipping_methods": [_dump(m, METHOD) for m in ShippingMethod.objects.all()],
        "expedite_options": [_dump(o, EXPEDITE) for o in ExpediteOption.objects.all()],
        "products": [_dump(p, PRODUCT) for p in Product.objects.filter(sku__in=skus)],
        "articles": [_dump(a, ARTICLE) for a in KnowledgeArticle.objects.filter(is_published=True)],
        "customer": None
        if customer is None
        else {**_dump(customer, CUSTOMER), "tier": customer.tier.code},
        "orders": orders,
    }


def _orders_at(customer: Customer, clock: dt.datetime) -> list[dict[str, Any]]:
    orders = (
        Order.objects.filter(customer=customer, placed_at__lte=clock)
        .select_related("shipping_method")
        .prefetch_related("items__product", "shipments__events", "refunds")
        .order_by("placed_at")
    )
    return [_order_at(order, clock) for order in orders]


def _order_at(order: Order, clock: dt.datetime) -> dict[str, Any]:
    refunds = list(order.refunds.all())
    later = sum(
        (
            r.amount
            for r in refunds
            if r.created_at >= clock and r.status in Refund.COUNTED_STATUSES
        ),
        Decimal("0.00"),
    )
    return {
        **_dump(order, ORDER),
        "refunded_total": str(order.refunded_total - later),
        "shipping_method": order.shipping_method.code,
        "items": [
            {"sku": i.product.sku, "quantity": i.quantity, "unit_price": str(i.unit_price)}
            for i in order.items.all()
        ],
        "shipments": [
            {
                **_dump(s, SHIPMENT),
                "events": [_dump(e, EVENT) for e in s.events.all() if e.occurred_at <= clock],
            }
            for s in order.shipments.all()
        ],
        "refunds": [_dump(r, REFUND) for r in refunds if r.created_at < clock],
    }


# -- restore (inside a rolled-back transaction only) --


def restore(snapshot: dict[str, Any]) -> int | None:
    """Write the snapshot over the live rows; returns the restored customer's id."""
    policy = StorePolicy.load()
    for name, value in _load(StorePolicy, snapshot["policy"], POLICY).items():
        setattr(policy, name, value)
    policy.save()
    tiers = _upsert(LoyaltyTier, "code", snapshot["tiers"], TIER)
    methods = _upsert(ShippingMethod, "code", snapshot["shipping_methods"], METHOD)
    products = _upsert(Product, "sku", snapshot["products"], PRODUCT)
    _upsert(
        ExpediteOption, "code", snapshot["expedite_options"], EXPEDITE, others={"active": False}
    )
    _upsert(KnowledgeArticle, "slug", snapshot["articles"], ARTICLE, others={"is_published": False})
    if snapshot.get("customer") is None:
        return None
    customer = _customer_restore(snapshot["customer"], tiers)
    _orders_restore(customer, snapshot["orders"], methods, products)
    return customer.pk


def _upsert(
    model: type[models.Model],
    key: str,
    rows: list[dict[str, Any]],
    names: tuple[str, ...],
    *,
    others: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """update_or_create each row by its natural key; rows the snapshot lacks get `others`
    (retired expedite options, unpublished articles) so they cannot leak into the replay."""
    saved = {}
    for row in rows:
        values = _load(model, row, names)
        saved[row[key]], _ = model.objects.update_or_create(
            **{key: values.pop(key)}, defaults=values
        )
    if others:
        model.objects.exclude(**{f"{key}__in": list(saved)}).update(**others)
    return saved


def _customer_restore(data: dict[str, Any], tiers: dict[str, LoyaltyTier]) -> Customer:
    values = {**_load(Customer, data, CUSTOMER), "tier": tiers[data["tier"]]}
    customer = Customer.objects.filter(email__iexact=data["email"]).first()
    if customer is None:  # erased or deleted since: rebuilt for the replay only
        return Customer.objects.create(**values)
    for name, value in values.items():
        setattr(customer, name, value)
    customer.save()
    return customer


def _orders_restore(
    customer: Customer,
    rows: list[dict[str, Any]],
    methods: dict[str, ShippingMethod],
    products: dict[str, Product],
) -> None:
    numbers = [row["number"] for row in rows]
    stale = Order.objects.filter(models.Q(customer=customer) | models.Q(number__in=numbers))
    tracking = [s["tracking_number"] for row in rows for s in row["shipments"]]
    Refund.objects.filter(order__in=stale).delete()
    Shipment.objects.filter(tracking_number__in=tracking).delete()
    stale.delete()
    for row in rows:
        order = Order.objects.create(
            customer=customer,
            shipping_method=methods[row["shipping_method"]],
            **_load(Order, row, ORDER),
        )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                product=products[i["sku"]],
                quantity=i["quantity"],
                unit_price=Decimal(i["unit_price"]),
            )
            for i in row["items"]
        )
        for data in row["shipments"]:
            shipment = Shipment.objects.create(order=order, **_load(Shipment, data, SHIPMENT))
            TrackingEvent.objects.bulk_create(
                TrackingEvent(shipment=shipment, **_load(TrackingEvent, e, EVENT))
                for e in data["events"]
            )
        Refund.objects.bulk_create(
            Refund(order=order, **_load(Refund, r, REFUND)) for r in row["refunds"]
        )
