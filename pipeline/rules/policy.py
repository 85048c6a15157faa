"""The policy engine: rules over the customer's real records, no model involved.

Everything a reply may promise (dates, options, costs, discounts, refunds) is decided here, so no
wording from the customer or a model can grant what policy forbids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from orders.business_days import add_business_days, next_business_day
from pipeline.types import (
    DeliveryOption,
    DiscountVerdict,
    Facts,
    OrderView,
    PolicyView,
    RefundVerdict,
    Retrieved,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DISCOUNT_REFUND_REASON = "Loyalty discount applied by support"
SHIPPING_REFUND_REASON = "Shipping fee refunded: delivery promise missed"
REFUND_REASON = "Refund approved by support within policy"
ALREADY_DISCOUNTED = "a discount has already been applied to this order"
MOVING = {"label_created", "in_transit", "delayed", "out_for_delivery"}
SHIPPED = {"shipped"}
OPEN = {"pending", "paid", "processing"}
FAST_METHODS = {"express", "overnight"}


def compute_facts(retrieved: Retrieved, *, now: dt.datetime) -> Facts:
    today = now.date()
    order = retrieved.order
    requests = retrieved.mentions.requests
    deadline = retrieved.mentions.deadline
    if order is None:
        return Facts(today=today, deadline=deadline, handoff_reason=_human_reason(retrieved))
    shipment = _shipment_facts(order, retrieved.policy, now)
    options = _delivery_options(retrieved, order, shipment["stalled"], now, deadline)
    discount = _discount(retrieved, order, today) if requests.discount else None
    shipping_refund = _shipping_refund(retrieved.policy, order, shipment["promise_missed"], today)
    # A refund returns what is left after this plan's other credits, so a refund of "the rest"
    # with a discount and the shipping fee on top never pays back more than was paid.
    credited = _credits(discount, shipping_refund)
    refund = _refund(retrieved, order, today, credited) if requests.refund else None
    facts = Facts(
        today=today,
        order_number=order.number,
        order_status=order.status,
        deadline=deadline,
        current_meets_deadline=_current_meets(shipment["expected_by"], deadline, order),
        options=options,
        recommended_option=_recommend(options, deadline),
        discount=discount,
        shipping_refund=shipping_refund,
        refund=refund,
        can_cancel=order.status in OPEN,
        can_change_address=order.status in OPEN,
        **shipment,
    )
    return _with_handoff(facts, retrieved)


def _shipment_facts(order: OrderView, policy: PolicyView, now: dt.datetime) -> dict:
    shipment = order.shipment
    promised_by = add_business_days(order.placed_at.date(), order.promised_transit_days + 1)
    if shipment is None:
        return {
            "promised_by": promised_by,
            "stalled": False,
            "expected_by": None,
            "promise_missed": False,
        }
    last_scan = shipment.scans[-1].at if shipment.scans else shipment.shipped_at
    promised_by = shipment.estimated_delivery or promised_by
    stalled = (
        shipment.status in MOVING
        and last_scan is not None
        and now - last_scan >= dt.timedelta(hours=policy.stalled_after_hours)
    )
    delivered = shipment.delivered_at.date() if shipment.delivered_at else None
    if delivered:
        expected = delivered
    elif stalled:
        expected = None  # a parcel that stopped moving has no date we can honestly promise
    else:
        expected = max(shipment.estimated_delivery or promised_by, next_business_day(now.date()))
    return {
        "shipment_status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "location": shipment.current_location,
        "last_scan_at": last_scan,
        "stalled": stalled,
        "promised_by": promised_by,
        "expected_by": expected,
        "promise_missed": (delivered or now.date()) > promised_by,
    }


def _current_meets(
    expected: dt.date | None, deadline: dt.date | None, order: OrderView
) -> bool | None:
    if deadline is None or order.status not in SHIPPED | OPEN:
        return None
    return expected is not None and expected <= deadline


def dispatch_date(now: dt.datetime, cutoff_hour: int) -> dt.date:
    """Same day before the cut-off on a business day, otherwise the next business day."""
    today = now.date()
    if today.weekday() < 5 and now.hour < cutoff_hour:
        return today
    return add_business_days(today, 1)


def _delivery_options(
    retrieved: Retrieved,
    order: OrderView,
    stalled: bool,
    now: dt.datetime,
    deadline: dt.date | None,
) -> tuple[DeliveryOption, ...]:
    if order.status not in SHIPPED | OPEN:
        return ()
    moving = order.shipment is not None and order.shipment.status in MOVING and not stalled
    top_tier = retrieved.customer is not None and retrieved.customer.top_tier
    dispatch = dispatch_date(now, retrieved.policy.dispatch_cutoff_hour)
    options = []
    for choice in retrieved.expedite_choices:
        if choice.kind == "upgrade" and not moving:
            continue  # a stalled or unshipped parcel cannot be upgraded in transit
        if choice.kind == "replacement" and order.status not in SHIPPED:
            continue
        arrives = add_business_days(
            dispatch if choice.kind == "replacement" else now.date(), choice.transit_days
        )
        options.append(
            DeliveryOption(
                code=choice.code,
                name=choice.name,
                kind=choice.kind,
                cost=choice.cost,
                charged=ZERO if choice.vip_free and top_tier else choice.cost,
                arrives_by=arrives,
                meets_deadline=None if deadline is None else arrives <= deadline,
            )
        )
    return tuple(options)


def _recommend(options: tuple[DeliveryOption, ...], deadline: dt.date | None) -> str | None:
    candidates = [o for o in options if o.meets_deadline is not False]
    if not candidates:
        return None
    best = min(candidates, key=lambda o: (o.charged, o.arrives_by, o.cost))
    return best.code


def _discount(retrieved: Retrieved, order: OrderView, today: dt.date) -> DiscountVerdict:
    customer = retrieved.customer
    rate = customer.discount_rate if customer else ZERO
    age = (today - order.placed_at.date()).days
    refusal = None
    if customer is None or rate <= 0:
        refusal = "no loyalty discount on this account's tier"
    elif order.discount_total > 0 or DISCOUNT_REFUND_REASON in order.refund_reasons:
        refusal = ALREADY_DISCOUNTED
    elif order.status in {"cancelled", "returned"}:
        refusal = "the order was cancelled or returned"
    elif age > customer.retroactive_days:
        refusal = f"the order is {age} days old; the discount can be added up to {customer.retroactive_days} days"
    elif order.subtotal < customer.min_subtotal:
        refusal = f"the order is below the ${customer.min_subtotal} minimum"
    if refusal:
        return DiscountVerdict(applies=False, amount=ZERO, rate=rate, reason=refusal)
    amount = min(
        (order.subtotal * rate).quantize(CENT, rounding=ROUND_HALF_UP), customer.max_discount
    )
    return DiscountVerdict(
        applies=True, amount=amount, rate=rate, reason=f"{customer.tier_name} discount"
    )


def _shipping_refund(
    policy: PolicyView, order: OrderView, promise_missed: bool, today: dt.date
) -> Decimal | None:
    """The published promise: a paid Express or Overnight delivery that misses its date gets its
    shipping fee back (claimable within the refund window of a late delivery)."""
    if not (promise_missed and policy.refund_shipping_when_late and order.shipping_cost > 0):
        return None
    if (
        order.shipping_method_code not in FAST_METHODS
        or SHIPPING_REFUND_REASON in order.refund_reasons
    ):
        return None
    if order.status not in SHIPPED | {"delivered"}:
        return None
    delivered = order.shipment.delivered_at if order.shipment else None
    if delivered and (today - delivered.date()).days > policy.refund_window_days:
        return None
    return order.shipping_cost


def _refund(
    retrieved: Retrieved, order: OrderView, today: dt.date, credited: Decimal
) -> RefundVerdict:
    policy = retrieved.policy
    remaining = order.total - order.refunded_total - credited
    asked = retrieved.mentions.requests.refund_amount
    amount = min(asked, remaining) if asked else remaining
    delivered = (
        order.shipment.delivered_at.date()
        if order.shipment and order.shipment.delivered_at
        else None
    )
    if order.status in OPEN:
        return RefundVerdict(
            False,
            ZERO,
            True,
            "the order has not shipped: it can be cancelled for a full refund instead",
        )
    if order.status != "delivered" or delivered is None:
        return RefundVerdict(
            False, ZERO, True, f"the order is {order.status}; refunds apply to delivered orders"
        )
    if remaining <= 0:
        reason = "this order has already been refunded in full"
        if credited:
            reason = "this plan's other credits (the discount or the shipping fee) already return what is left of the order"
        return RefundVerdict(False, ZERO, True, reason)
    if (today - delivered).days > policy.refund_window_days:
        return RefundVerdict(
            False,
            ZERO,
            True,
            f"it was delivered {(today - delivered).days} days ago, past the {policy.refund_window_days}-day window",
        )
    # One bot refund per order: otherwise "$99 now, $99 again" walks past the bot's limit.
    within = amount <= policy.bot_refund_limit and REFUND_REASON not in order.refund_reasons
    return RefundVerdict(True, amount, within, "within the return window")


def _human_reason(retrieved: Retrieved) -> str | None:
    requests = retrieved.mentions.requests
    if requests.legal_threat:
        return "legal threat"
    if requests.account_deletion:
        return "account deletion"
    if requests.human:
        return "customer asked for a person"
    return None


def _with_handoff(facts: Facts, retrieved: Retrieved) -> Facts:
    reason = _human_reason(retrieved)
    if (
        reason is None
        and facts.refund
        and facts.refund.eligible
        and not facts.refund.within_bot_limit
    ):
        reason = f"refund of ${facts.refund.amount} is over the bot's ${retrieved.policy.bot_refund_limit} limit"
        if retrieved.order and REFUND_REASON in retrieved.order.refund_reasons:
            reason = f"the bot already refunded this order once; ${facts.refund.amount} more needs a person"
    compensation = compensation_total(facts)
    if reason is None and compensation > retrieved.policy.bot_refund_limit:
        reason = f"compensation of ${compensation} is over the bot's ${retrieved.policy.bot_refund_limit} limit"
    return replace(facts, handoff_reason=reason) if reason else facts


def _credits(discount: DiscountVerdict | None, shipping_refund: Decimal | None) -> Decimal:
    """What a plan pays back besides a refund: the loyalty discount and the shipping fee."""
    return (discount.amount if discount and discount.applies else ZERO) + (shipping_refund or ZERO)


def compensation_total(facts: Facts) -> Decimal:
    total = _credits(facts.discount, facts.shipping_refund)
    if facts.refund and facts.refund.eligible and facts.refund.within_bot_limit:
        total += facts.refund.amount  # what the bot pays at once counts against one limit
    return total
