"""Builds the demo store, idempotently, with every date relative to today.

Running it twice leaves the same store (ids kept, dates refreshed to the new "today"): rows are
keyed by natural keys (e-mail, SKU, order number, tracking number).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from orders import demo_data, demo_wallets
from orders.business_days import add_business_days
from orders.models import (
    DEMO_STORE,
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

CENT = Decimal("0.01")
FLAGSHIP_ORDER = "ORD-4521"
FLAGSHIP_EMAIL = "sarah.mitchell@example.com"
DEMO_CUSTOMER_PASSWORD = "demo-customer-2026"
STAFF_LOGINS = {
    # username: (password, group, first name, superuser)
    "admin": ("demo-admin-2026", None, "Alex", True),
    "agent": ("demo-agent-2026", "Support agents", "Dana", False),
    "ops": ("demo-ops-2026", "Ops", "Sam", False),
}


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str


@dataclass(frozen=True)
class SeedResult:
    customers: int
    orders: int
    articles: int
    logins: tuple[Login, ...]
    flagship_message: str


def seed_store(*, now: dt.datetime | None = None) -> SeedResult:
    """The demo store's records and staff logins (demo.seed adds the desk's)."""
    now = now or timezone.now()
    rng = random.Random(4521)
    with transaction.atomic():
        tiers = _seed_tiers()
        methods = _seed_methods()
        products = _seed_catalogue()
        _seed_policies()
        _seed_articles()
        logins = _seed_staff()
        sarah = _seed_flagship(now, tiers, methods, products)
        customers = _seed_customers(rng, tiers)
        _seed_orders(rng, now, customers, methods, products)
    return SeedResult(
        customers=Customer.objects.count(),
        orders=Order.objects.count(),
        articles=KnowledgeArticle.objects.count(),
        logins=(
            *logins,
            Login("customer (VIP, the flagship case)", sarah.user.username, DEMO_CUSTOMER_PASSWORD),
        ),
        flagship_message=flagship_message(now),
    )


def flagship_message(now: dt.datetime) -> str:
    """The brief's message with its dates moved to match the demo data for today."""
    placed = (now - dt.timedelta(days=12)).date()
    birthday = flagship_deadline(now)
    return (
        f"I ordered product #4521 on {_day(placed)} with express shipping, but it's been 12 days "
        f"and the tracking shows it's stuck in Chicago. I need this for my daughter's birthday on "
        f"{_day(birthday)}. Can you expedite it and also apply my VIP discount to this order?"
    )


def flagship_deadline(now: dt.datetime) -> dt.date:
    return (now + dt.timedelta(days=4)).date()


def _day(day: dt.date) -> str:
    suffix = "th" if 11 <= day.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    return f"{day:%B} {day.day}{suffix}"


def _seed_tiers() -> dict[str, LoyaltyTier]:
    tiers = {}
    for code, name, rate, cap, minimum, retro, rank in demo_data.TIERS:
        tiers[code], _ = LoyaltyTier.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "discount_rate": rate,
                "max_discount": cap,
                "min_subtotal": minimum,
                "retroactive_days": retro,
                "rank": rank,
            },
        )
    return tiers


def _seed_methods() -> dict[str, ShippingMethod]:
    methods = {}
    for code, name, days, price in demo_data.SHIPPING_METHODS:
        methods[code], _ = ShippingMethod.objects.update_or_create(
            code=code, defaults={"name": name, "transit_days": days, "price": price}
        )
    return methods


def _seed_catalogue() -> dict[str, Product]:
    products = {}
    for sku, name, price, stock, description in demo_data.PRODUCTS:
        products[sku], _ = Product.objects.update_or_create(
            sku=sku,
            defaults={"name": name, "price": price, "stock": stock, "description": description},
        )
        demo_wallets.seed_variants(products[sku])
    for code, name, kind, days, cost, vip_free in demo_data.EXPEDITE_OPTIONS:
        ExpediteOption.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "transit_days": days,
                "cost": cost,
                "vip_free": vip_free,
            },
        )
    return products


def _seed_policies() -> None:
    StorePolicy.load(DEMO_STORE)


def _seed_articles() -> None:
    for slug, title, category, keywords, body in demo_data.ARTICLES:
        KnowledgeArticle.objects.update_or_create(
            slug=slug,
            defaults={"title": title, "category": category, "keywords": keywords, "body": body},
        )


def _seed_staff() -> list[Login]:
    logins = []
    for username, (password, group_name, first_name, superuser) in STAFF_LOGINS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@store.example", "first_name": first_name},
        )
        user.is_staff = True
        user.is_superuser = superuser
        if created:
            user.set_password(password)
        user.save()
        if group_name:
            group, _ = Group.objects.get_or_create(name=group_name)
            user.groups.add(group)
        logins.append(Login(group_name or "admin", username, password))
    return logins


def _customer_user(email: str, name: str) -> User:
    username = email.split("@")[0]
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": email, "first_name": name.split()[0]}
    )
    if created:
        user.set_password(DEMO_CUSTOMER_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _seed_flagship(
    now: dt.datetime,
    tiers: dict[str, LoyaltyTier],
    methods: dict[str, ShippingMethod],
    products: dict[str, Product],
) -> Customer:
    """Sarah, a VIP: ORD-4521, a telescope sent Express 12 days ago, stuck in Chicago."""
    sarah, _ = Customer.objects.update_or_create(
        email=FLAGSHIP_EMAIL,
        defaults={
            "name": "Sarah Mitchell",
            "tier": tiers["vip"],
            "locale": "en-US",
            "user": _customer_user(FLAGSHIP_EMAIL, "Sarah Mitchell"),
            "created_at": now - dt.timedelta(days=800),
            **demo_data.FLAGSHIP_ADDRESS,
        },
    )
    card = demo_wallets.seed_flagship_wallet(sarah)
    placed = now - dt.timedelta(days=12)
    order = _upsert_order(
        number=FLAGSHIP_ORDER,
        customer=sarah,
        status=Order.Status.SHIPPED,
        placed_at=placed,
        method=methods["express"],
        address="Sarah Mitchell\n1820 Lakeview Ave\nMadison, WI 53703",
        lines=[(products["TEL-AUR-70"], 1)],
    )
    demo_wallets.seed_payments(order, card)
    timeline = [
        (0, 3, "label_created", "Newark, NJ", "Shipping label created"),
        (0, 9, "in_transit", "Newark, NJ", "Picked up by carrier"),
        (1, 2, "in_transit", "Allentown, PA", "Departed sort facility"),
        (2, 5, "in_transit", "Chicago, IL", "Arrived at hub"),
        (3, 14, "delayed", "Chicago, IL", "Delayed: held at hub, awaiting onward transport"),
    ]
    _upsert_shipment(
        order=order,
        carrier="UPS",
        tracking="1Z999AA10123456784",
        status=Shipment.Status.DELAYED,
        location="Chicago, IL",
        shipped_at=placed + dt.timedelta(hours=9),
        eta=add_business_days(placed.date(), methods["express"].transit_days),
        events=[
            (placed + dt.timedelta(days=d, hours=h), s, loc, text)
            for d, h, s, loc, text in timeline
        ],
    )
    return sarah


def _seed_customers(rng: random.Random, tiers: dict[str, LoyaltyTier]) -> list[Customer]:
    customers = []
    for index, (first, last) in enumerate(
        zip(demo_data.FIRST_NAMES, demo_data.LAST_NAMES, strict=True)
    ):
        email = f"{first.lower()}.{last.lower()}@example.com"
        tier = (
            tiers["vip"]
            if index % 9 == 0
            else tiers["silver"]
            if index % 4 == 0
            else tiers["regular"]
        )
        customer, _ = Customer.objects.update_or_create(
            email=email,
            defaults={
                "name": f"{first} {last}",
                "tier": tier,
                "locale": rng.choice(["en-US", "en-GB", "en-US"]),
            },
        )
        if index < 3:
            customer.user = _customer_user(email, customer.name)
            customer.save(update_fields=["user"])
        demo_wallets.seed_card(customer, index)
        customers.append(customer)
    return customers


# (status, shipment status or None, days ago placed: low, high, weight)
ORDER_MIX = [
    (Order.Status.PENDING, None, 0, 0, 6),
    (Order.Status.PAID, None, 0, 1, 10),
    (Order.Status.PROCESSING, None, 1, 2, 12),
    (Order.Status.SHIPPED, Shipment.Status.IN_TRANSIT, 1, 6, 30),
    (Order.Status.SHIPPED, Shipment.Status.OUT_FOR_DELIVERY, 2, 5, 8),
    (Order.Status.SHIPPED, Shipment.Status.DELAYED, 6, 14, 6),
    (Order.Status.DELIVERED, Shipment.Status.DELIVERED, 7, 120, 60),
    (Order.Status.CANCELLED, None, 3, 60, 10),
    (Order.Status.RETURNED, Shipment.Status.DELIVERED, 20, 90, 8),
    # Added with issue 20, after the first 150 so those orders stay as they were.
    (Order.Status.PROCESSED, None, 1, 2, 4),
    (Order.Status.ITEMS_MODIFIED, None, 0, 1, 2),
    (Order.Status.RETURN_REQUESTED, Shipment.Status.DELIVERED, 7, 25, 3),
    (Order.Status.EXCHANGE_REQUESTED, Shipment.Status.DELIVERED, 7, 25, 3),
]


def _seed_orders(
    rng: random.Random,
    now: dt.datetime,
    customers: list[Customer],
    methods: dict[str, ShippingMethod],
    products: dict[str, Product],
) -> None:
    catalogue = [p for p in products.values() if p.stock > 0]
    mix = [row for row in ORDER_MIX for _ in range(row[4])]
    for index in range(len(mix)):
        status, ship_status, low, high, _weight = mix[index % len(mix)]
        placed = now - dt.timedelta(days=rng.randint(low, high), hours=rng.randint(0, 10))
        method = methods[rng.choice(["standard", "standard", "standard", "express", "overnight"])]
        lines = [(p, rng.randint(1, 2)) for p in rng.sample(catalogue, rng.randint(1, 3))]
        customer = customers[index % len(customers)]
        order = _upsert_order(
            number=f"ORD-{1001 + index}",
            customer=customer,
            status=status,
            placed_at=placed,
            method=method,
            address=f"{customer.name}\n{rng.randint(10, 9999)} Main St\n{rng.choice(demo_data.CITIES)}",
            lines=lines,
        )
        demo_wallets.seed_payments(order, customer.payment_methods.get(kind="credit_card"))
        if ship_status:
            _seed_ordinary_shipment(rng, now, order, method, ship_status, index)
        if status == Order.Status.RETURNED:
            _upsert_refund(
                order, order.subtotal, Refund.Status.PAID, "Returned within the window", "agent"
            )
        elif status == Order.Status.DELIVERED and index % 11 == 0:
            _upsert_refund(
                order,
                (order.subtotal / 2).quantize(CENT),
                Refund.Status.REQUESTED,
                "Item arrived damaged",
                "",
            )


def _seed_ordinary_shipment(
    rng: random.Random,
    now: dt.datetime,
    order: Order,
    method: ShippingMethod,
    status: str,
    index: int,
) -> None:
    shipped = order.placed_at + dt.timedelta(hours=rng.randint(3, 20))
    hub = rng.choice(demo_data.HUBS)
    city = order.shipping_address.splitlines()[-1]
    eta = add_business_days(shipped.date(), method.transit_days)
    events = [(shipped, "in_transit", "Newark, NJ", "Picked up by carrier")]
    span = max((now - shipped).total_seconds() / 3600, 4)
    events.append(
        (shipped + dt.timedelta(hours=min(20, span / 3)), "in_transit", hub, "Arrived at hub")
    )
    delivered_at = None
    if status == Shipment.Status.DELAYED:
        events.append(
            (shipped + dt.timedelta(hours=min(40, span / 2)), "delayed", hub, "Delayed: weather")
        )
    if status in (Shipment.Status.OUT_FOR_DELIVERY, Shipment.Status.DELIVERED):
        events.append(
            (
                shipped + dt.timedelta(hours=min(44, span * 0.6)),
                "out_for_delivery",
                city,
                "Out for delivery",
            )
        )
    if status == Shipment.Status.DELIVERED:
        delivered_at = min(
            shipped + dt.timedelta(days=method.transit_days + 1), now - dt.timedelta(hours=2)
        )
        events.append((delivered_at, "delivered", city, "Delivered, left at front door"))
    _upsert_shipment(
        order=order,
        carrier=demo_data.CARRIERS[index % 3],
        tracking=f"DEMO{order.number[4:]}{index:04d}",
        status=status,
        location=events[-1][2],
        shipped_at=shipped,
        eta=eta,
        events=events,
        delivered_at=delivered_at,
    )


def _upsert_order(
    *,
    number: str,
    customer: Customer,
    status: str,
    placed_at: dt.datetime,
    method: ShippingMethod,
    address: str,
    lines: list[tuple[Product, int]],
) -> Order:
    subtotal = sum((p.price * q for p, q in lines), Decimal("0.00"))
    order, _ = Order.objects.update_or_create(
        number=number,
        defaults={
            "customer": customer,
            "status": status,
            "placed_at": placed_at,
            "shipping_method": method,
            "shipping_address": address,
            "subtotal": subtotal,
            "shipping_cost": method.price,
            "discount_total": Decimal("0.00"),
            "total": subtotal + method.price,
            "refunded_total": Decimal("0.00"),
            **demo_wallets.address_from_text(address),
        },
    )
    order.items.all().delete()
    order.refunds.all().delete()
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order, product=p, variant=p.variants.first(), quantity=q, unit_price=p.price
        )
        for p, q in lines
    )
    return order


def _upsert_shipment(
    *,
    order: Order,
    carrier: str,
    tracking: str,
    status: str,
    location: str,
    shipped_at: dt.datetime,
    eta: dt.date,
    events: list[tuple[dt.datetime, str, str, str]],
    delivered_at: dt.datetime | None = None,
) -> Shipment:
    shipment, _ = Shipment.objects.update_or_create(
        tracking_number=tracking,
        defaults={
            "order": order,
            "carrier": carrier,
            "status": status,
            "current_location": location,
            "shipped_at": shipped_at,
            "estimated_delivery": eta,
            "delivered_at": delivered_at,
        },
    )
    shipment.events.all().delete()
    TrackingEvent.objects.bulk_create(
        TrackingEvent(shipment=shipment, occurred_at=at, status=s, location=loc, description=text)
        for at, s, loc, text in events
    )
    return shipment


def _upsert_refund(
    order: Order, amount: Decimal, status: str, reason: str, decided_by: str
) -> None:
    Refund.objects.create(
        order=order, amount=amount, status=status, reason=reason, decided_by=decided_by
    )
    counted = order.refunds.filter(status__in=Refund.COUNTED_STATUSES).aggregate(s=Sum("amount"))[
        "s"
    ]
    Order.objects.filter(pk=order.pk).update(refunded_total=counted or Decimal("0.00"))
