"""Frozen stage views built by hand, for the pure tests of the policy engine and the verifier.

The defaults are the flagship case on a fixed Wednesday: a VIP's $189 telescope sent Express
12 days earlier, last scanned in Chicago 9 days ago."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pipeline.types import (
    CustomerView,
    ExpediteChoice,
    IntentResult,
    Mentions,
    OrderView,
    PolicyView,
    Requests,
    Retrieved,
    ShipmentView,
    TrackingScan,
)

D = Decimal
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)  # a Wednesday, before the cut-off
TODAY = NOW.date()

POLICY = PolicyView(
    refund_window_days=30,
    bot_refund_limit=D("100.00"),
    stalled_after_hours=72,
    refund_shipping_when_late=True,
    dispatch_cutoff_hour=15,
)
TIERS = {
    "vip": ("VIP", D("0.150"), D("100.00"), D("0.00"), 30, True),
    "silver": ("Silver", D("0.050"), D("25.00"), D("50.00"), 14, False),
    "regular": ("Regular", D("0.000"), D("0.00"), D("0.00"), 0, False),
}
CHOICES = (
    ExpediteChoice("carrier-priority", "Carrier priority upgrade", "upgrade", 2, D("9.99"), False),
    ExpediteChoice(
        "express-replacement", "Express replacement", "replacement", 2, D("14.99"), False
    ),
    ExpediteChoice(
        "overnight-replacement", "Overnight replacement", "replacement", 1, D("24.99"), True
    ),
)


def customer(tier: str = "vip") -> CustomerView:
    name, rate, cap, minimum, retro, top = TIERS[tier]
    return CustomerView(
        id=7,
        name="Sarah Mitchell",
        first_name="Sarah",
        email="sarah.mitchell@example.com",
        tier_code=tier,
        tier_name=name,
        discount_rate=rate,
        max_discount=cap,
        min_subtotal=minimum,
        retroactive_days=retro,
        top_tier=top,
    )


def shipment(
    *,
    status: str = "delayed",
    last_scan: dt.datetime | None = None,
    eta: dt.date | None = dt.date(2026, 11, 10),
    delivered_at: dt.datetime | None = None,
) -> ShipmentView:
    last_scan = last_scan or NOW - dt.timedelta(days=9)
    return ShipmentView(
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        status=status,
        current_location="Chicago, IL",
        shipped_at=last_scan - dt.timedelta(days=2),
        estimated_delivery=eta,
        delivered_at=delivered_at,
        scans=(TrackingScan(last_scan, "Chicago, IL", status, "Held at hub"),),
    )


def order(**overrides: Any) -> OrderView:
    base = OrderView(
        number="ORD-4521",
        status="shipped",
        placed_at=NOW - dt.timedelta(days=12),
        shipping_method="Express",
        shipping_method_code="express",
        promised_transit_days=2,
        subtotal=D("189.00"),
        shipping_cost=D("14.99"),
        discount_total=D("0.00"),
        total=D("203.99"),
        refunded_total=D("0.00"),
        items=(("Aurora 70mm Kids' Telescope", 1, D("189.00")),),
        refund_reasons=(),
        shipment=shipment(),
    )
    return replace(base, **overrides)


def delivered_order(days_ago: int, total: str = "59.99", **overrides: Any) -> OrderView:
    delivered = NOW - dt.timedelta(days=days_ago)
    return order(
        status="delivered",
        placed_at=delivered - dt.timedelta(days=3),
        subtotal=D(total) - D("14.99"),
        total=D(total),
        shipment=shipment(
            status="delivered",
            last_scan=delivered,
            eta=delivered.date(),
            delivered_at=delivered,
        ),
        **overrides,
    )


def retrieved(
    *,
    the_order: OrderView | None = None,
    who: CustomerView | None = None,
    deadline: dt.date | None = None,
    policy: PolicyView = POLICY,
    **requests: Any,
) -> Retrieved:
    the_order = the_order or order()
    return Retrieved(
        customer=who or customer(),
        order=the_order,
        recent_orders=(the_order,),
        articles=(),
        mentions=Mentions(order_refs=("4521",), deadline=deadline, requests=Requests(**requests)),
        policy=policy,
        expedite_choices=CHOICES,
        verification="signed_in",
    )


def flagship() -> Retrieved:
    return retrieved(deadline=TODAY + dt.timedelta(days=4), expedite=True, discount=True)


INTENT = IntentResult("order_status", ("shipping_expedite",), 0.9, "offline")
