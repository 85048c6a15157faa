"""The policy engine alone: rules over hand-built views, no database, no model."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from orders.business_days import add_business_days, next_business_day
from pipeline.rules.policy import (
    DISCOUNT_REFUND_REASON,
    SHIPPING_REFUND_REASON,
    compute_facts,
    dispatch_date,
)
from tests.pipeline.builders import (
    NOW,
    POLICY,
    TODAY,
    customer,
    delivered_order,
    flagship,
    order,
    retrieved,
    shipment,
)

D = Decimal
FRIDAY = dt.date(2026, 11, 20)


def facts_for(data, now: dt.datetime = NOW):
    return compute_facts(data, now=now)


# -- business days and dispatch --


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRIDAY, 1, dt.date(2026, 11, 23)),  # Friday + 1 -> Monday
        (FRIDAY, 0, FRIDAY),
        (dt.date(2026, 11, 21), 1, dt.date(2026, 11, 23)),  # Saturday + 1 -> Monday
        (dt.date(2026, 11, 18), 5, dt.date(2026, 11, 25)),  # a full week
    ],
)
def test_business_days_skip_weekends(start, days, expected) -> None:
    assert add_business_days(start, days) == expected


def test_next_business_day_of_a_weekend_is_monday() -> None:
    assert next_business_day(dt.date(2026, 11, 22)) == dt.date(2026, 11, 23)
    assert next_business_day(FRIDAY) == FRIDAY


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 11, 18, 14, 59, tzinfo=dt.UTC), dt.date(2026, 11, 18)),
        (dt.datetime(2026, 11, 18, 15, 0, tzinfo=dt.UTC), dt.date(2026, 11, 19)),
        (dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
        (dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC), dt.date(2026, 11, 23)),
    ],
)
def test_dispatch_cut_off(now, expected) -> None:
    assert dispatch_date(now, 15) == expected


def test_replacement_after_friday_cut_off_arrives_after_the_weekend() -> None:
    friday_late = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    facts = facts_for(flagship(), now=friday_late)
    options = {o.code: o for o in facts.options}
    assert options["overnight-replacement"].arrives_by == dt.date(2026, 11, 24)  # Mon + 1
    assert options["express-replacement"].arrives_by == dt.date(2026, 11, 25)


# -- the flagship, by rules --


def test_flagship_facts() -> None:
    facts = facts_for(flagship())
    assert facts.stalled and facts.expected_by is None
    assert facts.current_meets_deadline is False
    assert facts.deadline == TODAY + dt.timedelta(days=4)
    assert {o.code for o in facts.options} == {"express-replacement", "overnight-replacement"}
    best = next(o for o in facts.options if o.code == facts.recommended_option)
    assert best.code == "overnight-replacement"
    assert best.cost == D("24.99") and best.charged == D("0.00") and best.meets_deadline
    assert facts.discount.applies and facts.discount.amount == D("28.35")
    assert facts.shipping_refund == D("14.99")
    assert facts.handoff_reason is None


def test_replacement_is_charged_to_a_non_vip() -> None:
    facts = facts_for(replace(flagship(), customer=customer("silver")))
    overnight = next(o for o in facts.options if o.code == "overnight-replacement")
    assert overnight.charged == overnight.cost == D("24.99")


def test_no_option_is_recommended_when_none_meets_the_deadline() -> None:
    facts = facts_for(retrieved(deadline=TODAY, expedite=True))
    assert facts.options and all(o.meets_deadline is False for o in facts.options)
    assert facts.recommended_option is None


# -- stalled threshold --


@pytest.mark.parametrize(("hours", "stalled"), [(72, True), (71, False)])
def test_stalled_threshold(hours, stalled) -> None:
    moving = order(
        shipment=shipment(
            status="in_transit",
            last_scan=NOW - dt.timedelta(hours=hours),
            eta=TODAY + dt.timedelta(days=2),
        )
    )
    facts = facts_for(retrieved(the_order=moving, expedite=True))
    assert facts.stalled is stalled
    assert (facts.expected_by is None) is stalled
    # A parcel that stopped moving cannot be upgraded in transit.
    assert ("carrier-priority" in {o.code for o in facts.options}) is not stalled


def test_a_moving_parcel_is_expected_by_its_estimate() -> None:
    eta = TODAY + dt.timedelta(days=2)
    moving = order(shipment=shipment(status="in_transit", last_scan=NOW, eta=eta))
    facts = facts_for(retrieved(the_order=moving, deadline=eta))
    assert facts.expected_by == eta and facts.current_meets_deadline is True
    assert facts.promise_missed is False and facts.shipping_refund is None


# -- loyalty discount --


def test_discount_is_capped_for_the_tier() -> None:
    big = order(subtotal=D("1000.00"), total=D("1014.99"))
    facts = facts_for(retrieved(the_order=big, discount=True))
    assert facts.discount.applies and facts.discount.amount == D("100.00")


@pytest.mark.parametrize(("age", "applies"), [(30, True), (31, False)])
def test_discount_retroactive_window(age, applies) -> None:
    aged = order(placed_at=NOW - dt.timedelta(days=age))
    assert facts_for(retrieved(the_order=aged, discount=True)).discount.applies is applies


@pytest.mark.parametrize(("subtotal", "amount"), [("49.99", None), ("50.00", "2.50")])
def test_discount_minimum_subtotal(subtotal, amount) -> None:
    small = order(subtotal=D(subtotal), total=D(subtotal) + D("14.99"))
    verdict = facts_for(retrieved(the_order=small, who=customer("silver"), discount=True)).discount
    assert verdict.applies is (amount is not None)
    assert verdict.amount == (D(amount) if amount else D("0.00"))


@pytest.mark.parametrize(
    "overrides",
    [{"discount_total": D("10.00")}, {"refund_reasons": (DISCOUNT_REFUND_REASON,)}],
)
def test_an_order_is_discounted_only_once(overrides) -> None:
    verdict = facts_for(retrieved(the_order=order(**overrides), discount=True)).discount
    assert not verdict.applies and verdict.amount == 0 and "already" in verdict.reason


def test_no_discount_for_a_tier_without_one() -> None:
    verdict = facts_for(retrieved(who=customer("regular"), discount=True)).discount
    assert not verdict.applies and verdict.amount == 0


def test_the_shipping_fee_is_refunded_only_once() -> None:
    refunded = order(refund_reasons=(SHIPPING_REFUND_REASON,))
    assert facts_for(retrieved(the_order=refunded)).shipping_refund is None


# -- refunds --


@pytest.mark.parametrize(("days_ago", "eligible"), [(30, True), (31, False)])
def test_refund_window_edges(days_ago, eligible) -> None:
    refund = facts_for(retrieved(the_order=delivered_order(days_ago), refund=True)).refund
    assert refund.eligible is eligible
    assert refund.amount == (D("59.99") if eligible else D("0.00"))


@pytest.mark.parametrize(("total", "within"), [("100.00", True), ("100.01", False)])
def test_bot_refund_limit_edges(total, within) -> None:
    facts = facts_for(retrieved(the_order=delivered_order(3, total), refund=True))
    assert facts.refund.eligible and facts.refund.within_bot_limit is within
    assert (facts.handoff_reason is None) is within


def test_a_refund_asked_for_more_than_was_paid_is_capped() -> None:
    data = retrieved(the_order=delivered_order(3), refund=True, refund_amount=D("5000"))
    assert facts_for(data).refund.amount == D("59.99")


def test_a_refund_with_a_discount_and_the_shipping_fee_never_pays_back_more_than_was_paid() -> None:
    late = shipment(status="delivered", delivered_at=NOW - dt.timedelta(days=2))
    paid = order(status="delivered", shipment=late)  # $203.99, Express, delivered late
    facts = facts_for(retrieved(the_order=paid, discount=True, refund=True))
    assert facts.discount.applies and facts.shipping_refund == D("14.99")
    assert facts.refund.eligible
    assert facts.refund.amount + facts.discount.amount + facts.shipping_refund == paid.total


def test_no_refund_is_left_when_the_other_credits_cover_the_rest() -> None:
    late = shipment(status="delivered", delivered_at=NOW - dt.timedelta(days=2))
    nearly_refunded = order(status="delivered", shipment=late, refunded_total=D("189.00"))
    facts = facts_for(retrieved(the_order=nearly_refunded, refund=True))
    assert facts.shipping_refund == D("14.99")
    assert not facts.refund.eligible and facts.refund.amount == 0
    assert "already return what is left" in facts.refund.reason


def test_an_unshipped_order_is_not_refunded_but_can_be_cancelled() -> None:
    unshipped = order(status="processing", shipment=None)
    facts = facts_for(retrieved(the_order=unshipped, refund=True))
    assert not facts.refund.eligible and facts.can_cancel and facts.can_change_address


def test_a_shipped_order_cannot_be_cancelled_or_redirected() -> None:
    facts = facts_for(retrieved(cancel=True))
    assert facts.can_cancel is False and facts.can_change_address is False


def test_compensation_over_the_limit_hands_off() -> None:
    # $100.00 capped discount + $14.99 shipping fee: each is allowed, together over $100.
    big = order(subtotal=D("1000.00"), total=D("1014.99"))
    facts = facts_for(retrieved(the_order=big, discount=True))
    assert facts.discount.amount == D("100.00") and facts.shipping_refund == D("14.99")
    assert facts.handoff_reason and "compensation" in facts.handoff_reason


def test_a_lower_limit_changes_the_verdict_not_the_facts() -> None:
    strict = replace(POLICY, bot_refund_limit=D("30.00"))
    facts = facts_for(retrieved(discount=True, policy=strict))
    assert facts.discount.amount == D("28.35")
    assert facts.handoff_reason and "compensation" in facts.handoff_reason


@pytest.mark.parametrize(
    ("flag", "reason"),
    [("legal_threat", "legal"), ("account_deletion", "deletion"), ("human", "person")],
)
def test_refusal_reasons(flag, reason) -> None:
    assert reason in facts_for(retrieved(**{flag: True})).handoff_reason
