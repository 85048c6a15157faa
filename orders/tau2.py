"""Import τ²-bench's retail store (db.json) as the `tau2-retail` store, with its policy.

One transaction, bulk inserts, τ²'s ids kept as external ids. A store already imported is left
as it is, so running the import twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from orders.models import (
    DEMO_STORE,
    TAU2_STORE,
    ActionName,
    Address,
    Customer,
    LoyaltyTier,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Product,
    ProductVariant,
    Shipment,
    ShippingMethod,
    Store,
    StorePolicy,
)

CENT = Decimal("0.01")
# τ² dates nothing; its policy says times are US Eastern. One fixed clock for every replay.
REFERENCE_TIME = dt.datetime(2024, 5, 15, 12, 0, tzinfo=ZoneInfo("America/New_York"))
STATUSES = {
    "pending": Order.Status.PENDING,
    "processed": Order.Status.PROCESSED,
    "delivered": Order.Status.DELIVERED,
    "cancelled": Order.Status.CANCELLED,
    "pending (item modified)": Order.Status.ITEMS_MODIFIED,
    "return requested": Order.Status.RETURN_REQUESTED,
    "exchange requested": Order.Status.EXCHANGE_REQUESTED,
}
TAU2_STATUS = {ours: theirs for theirs, ours in STATUSES.items()}
SHIPMENT_STATUS = {Order.Status.DELIVERED: Shipment.Status.DELIVERED}
TAU2_ACTIONS = [
    ActionName.CANCEL_PENDING_ORDER,
    ActionName.MODIFY_PENDING_ORDER_ADDRESS,
    ActionName.MODIFY_PENDING_ORDER_ITEMS,
    ActionName.MODIFY_PENDING_ORDER_PAYMENT,
    ActionName.MODIFY_USER_ADDRESS,
    ActionName.RETURN_DELIVERED_ORDER_ITEMS,
    ActionName.EXCHANGE_DELIVERED_ORDER_ITEMS,
]
TAU2_POLICY = {
    # policy.md: "pending" orders only; two cancel reasons; no return window; identity by
    # e-mail, or by name and zip; refunds to the original method or a gift card; no refund cap.
    "modifiable_statuses": [Order.Status.PENDING],
    "cancel_reasons": ["no longer needed", "ordered by mistake"],
    "return_window_days": None,
    "identity_proofs": ["email", "name_and_zip"],
    "refund_destinations": ["original", "gift_card"],
    "bot_actions": TAU2_ACTIONS,
    "bot_refund_limit": Decimal("99999.99"),
}


class Tau2FormatError(ValueError):
    pass


@dataclass(frozen=True)
class ImportResult:
    customers: int
    products: int
    variants: int
    orders: int
    created: bool


def tau2_import(*, path: Path) -> ImportResult:
    data = _read(path)
    with transaction.atomic():
        StorePolicy.load(DEMO_STORE)  # keeps row 1 for the demo's policy
        store, _ = Store.objects.get_or_create(
            code=TAU2_STORE, defaults={"name": "τ² retail", "reference_time": REFERENCE_TIME}
        )
        if not StorePolicy.objects.filter(store=store).exists():
            StorePolicy.objects.filter(pk=StorePolicy.load(TAU2_STORE).pk).update(**TAU2_POLICY)
        created = not Customer.objects.filter(store=store).exists()
        if created:
            try:
                _import_rows(store, data)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise Tau2FormatError(f"{path}: malformed record ({exc!r})") from exc
            except IntegrityError as exc:
                raise Tau2FormatError(f"{path}: clashes with rows already stored ({exc})") from exc
    return ImportResult(
        customers=Customer.objects.filter(store=store).count(),
        products=Product.objects.filter(store=store).count(),
        variants=ProductVariant.objects.filter(product__store=store).count(),
        orders=Order.objects.filter(store=store).count(),
        created=created,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise Tau2FormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise Tau2FormatError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), dict) for key in ("users", "products", "orders")
    ):
        raise Tau2FormatError(f"{path}: expected an object with 'users', 'products' and 'orders'")
    return data


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not an amount: {value!r}")
    return Decimal(str(value)).quantize(CENT)


def _import_rows(store: Store, data: dict[str, Any]) -> None:
    customers = _customers(store, data["users"])
    methods = _payment_methods(customers, data["users"])
    variants = _catalogue(store, data["products"])
    _orders(store, data["orders"], customers, methods, variants)


def _customers(store: Store, users: dict[str, Any]) -> dict[str, Customer]:
    tier, _ = LoyaltyTier.objects.get_or_create(code="regular", defaults={"name": "Regular"})
    rows = [
        Customer(
            store=store,
            external_id=user_id,
            name=f"{user['name']['first_name']} {user['name']['last_name']}",
            email=user["email"],
            tier=tier,
            **Address(**user["address"]).as_dict(),
        )
        for user_id, user in users.items()
    ]
    return {c.external_id: c for c in Customer.objects.bulk_create(rows)}


def _payment_methods(
    customers: dict[str, Customer], users: dict[str, Any]
) -> dict[str, PaymentMethod]:
    rows = []
    for user_id, user in users.items():
        for method_id, method in user["payment_methods"].items():
            kind = PaymentMethod.Kind(method["source"])
            rows.append(
                PaymentMethod(
                    customer=customers[user_id],
                    external_id=method_id,
                    kind=kind,
                    brand=method.get("brand", ""),
                    last_four=method.get("last_four", ""),
                    balance=_money(method["balance"])
                    if kind == PaymentMethod.Kind.GIFT_CARD
                    else None,
                )
            )
    created = PaymentMethod.objects.bulk_create(rows)
    return {f"{m.customer.external_id}/{m.external_id}": m for m in created}


def _catalogue(store: Store, products: dict[str, Any]) -> dict[str, ProductVariant]:
    product_rows = {}
    for product_id, product in products.items():
        prices = [_money(v["price"]) for v in product["variants"].values()] or [Decimal("0.00")]
        available = sum(1 for v in product["variants"].values() if v["available"])
        product_rows[product_id] = Product(
            store=store,
            external_id=product_id,
            sku=f"T2-{product_id}",
            name=product["name"],
            price=min(prices),
            stock=available,
        )
    Product.objects.bulk_create(product_rows.values())
    variant_rows = [
        ProductVariant(
            product=product_rows[product_id],
            external_id=item_id,
            options=dict(variant["options"]),
            price=_money(variant["price"]),
            available=bool(variant["available"]),
        )
        for product_id, product in products.items()
        for item_id, variant in product["variants"].items()
    ]
    return {v.external_id: v for v in ProductVariant.objects.bulk_create(variant_rows)}


def _orders(
    store: Store,
    orders: dict[str, Any],
    customers: dict[str, Customer],
    methods: dict[str, PaymentMethod],
    variants: dict[str, ProductVariant],
) -> None:
    shipping, _ = ShippingMethod.objects.get_or_create(
        code="standard",
        defaults={"name": "Standard", "transit_days": 5, "price": Decimal("5.99")},
    )
    order_rows = [_order(store, oid, o, customers, shipping) for oid, o in orders.items()]
    by_number = {o.number: o for o in Order.objects.bulk_create(order_rows)}
    shipments = _shipments(orders, by_number)
    OrderItem.objects.bulk_create(
        OrderItem(
            order=by_number[oid],
            product=variants[item["item_id"]].product,
            variant=variants[item["item_id"]],
            quantity=1,
            unit_price=_money(item["price"]),
            shipment=shipments.get((oid, item["item_id"])),
        )
        for oid, order in orders.items()
        for item in order["items"]
    )
    Payment.objects.bulk_create(
        Payment(
            order=by_number[oid],
            method=methods[f"{order['user_id']}/{entry['payment_method_id']}"],
            kind=Payment.Kind(entry["transaction_type"]),
            amount=_money(entry["amount"]),
            created_at=REFERENCE_TIME,
        )
        for oid, order in orders.items()
        for entry in order["payment_history"]
    )


def _order(
    store: Store,
    order_id: str,
    order: dict[str, Any],
    customers: dict[str, Customer],
    shipping: ShippingMethod,
) -> Order:
    subtotal = sum((_money(item["price"]) for item in order["items"]), Decimal("0.00"))
    customer = customers[order["user_id"]]
    address = Address(**order["address"])
    if order["status"] not in STATUSES:
        raise ValueError(f"order {order_id}: unknown status {order['status']!r}")
    return Order(
        store=store,
        external_id=order_id,
        number=order_id,
        customer=customer,
        status=STATUSES[order["status"]],
        placed_at=REFERENCE_TIME - dt.timedelta(days=7),
        shipping_method=shipping,
        shipping_address=address.as_text(name=customer.name),
        subtotal=subtotal,
        total=subtotal,
        **address.as_dict(),
    )


def _shipments(
    orders: dict[str, Any], by_number: dict[str, Order]
) -> dict[tuple[str, str], Shipment]:
    rows, items_of = [], []
    for oid, order in orders.items():
        order_row = by_number[oid]
        for fulfilment in order["fulfillments"]:
            for tracking in fulfilment["tracking_id"]:
                delivered = order_row.status == Order.Status.DELIVERED
                rows.append(
                    Shipment(
                        order=order_row,
                        carrier="",
                        tracking_number=str(tracking),
                        status=SHIPMENT_STATUS.get(order_row.status, Shipment.Status.LABEL_CREATED),
                        shipped_at=order_row.placed_at + dt.timedelta(days=1),
                        delivered_at=REFERENCE_TIME - dt.timedelta(days=2) if delivered else None,
                    )
                )
                items_of.append((oid, fulfilment["item_ids"]))
    created = Shipment.objects.bulk_create(rows)
    return {
        (oid, item_id): shipment
        for shipment, (oid, item_ids) in zip(created, items_of, strict=True)
        for item_id in item_ids
    }
