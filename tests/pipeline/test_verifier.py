"""The verifier alone: invented facts and actions the rules did not allow are rejected."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from pipeline.rules.plan import deterministic_plan, fmt_date
from pipeline.rules.policy import compute_facts
from pipeline.rules.verifier import FactSheet, check_plan, check_text, fact_sheet
from pipeline.types import ActionItem, Facts, Plan, Retrieved
from tests.pipeline.builders import (
    INTENT,
    NOW,
    TODAY,
    customer,
    delivered_order,
    flagship,
    retrieved,
)

D = Decimal
CUSTOMER_TEXT = "It's been 12 days and I need it for a birthday. Can you expedite it?"


def sheet_for(data: Retrieved) -> tuple[Facts, Plan, FactSheet]:
    facts = compute_facts(data, now=NOW)
    plan = deterministic_plan(facts=facts, retrieved=data, intent=INTENT)
    return (
        facts,
        plan,
        fact_sheet(facts=facts, retrieved=data, plan=plan, customer_text=CUSTOMER_TEXT),
    )


def plan_of(*steps: ActionItem) -> Plan:
    return Plan(headline="h", steps=steps, source="model")


@pytest.fixture
def flagship_sheet() -> tuple[Facts, Plan, FactSheet]:
    return sheet_for(flagship())


def test_the_rules_plan_passes(flagship_sheet) -> None:
    facts, plan, sheet = flagship_sheet
    assert check_plan(plan, facts, sheet).ok


@pytest.mark.parametrize(
    "sentence",
    [
        "I've applied your VIP discount: $28.35 goes back to your card.",
        "The overnight replacement is normally $24.99 but free for you.",
        "Your order ORD-4521 is stuck in Chicago.",
        "That's your 15% VIP discount.",
        "It's been 12 days, I know.",
    ],
)
def test_true_facts_are_accepted(flagship_sheet, sentence) -> None:
    _, _, sheet = flagship_sheet
    assert check_text(sentence, sheet, today=TODAY).ok


def test_the_deadline_and_the_arrival_date_are_accepted(flagship_sheet) -> None:
    facts, _, sheet = flagship_sheet
    best = next(o for o in facts.options if o.code == facts.recommended_option)
    text = f"It arrives by {fmt_date(best.arrives_by)}, before {fmt_date(facts.deadline)}."
    assert check_text(text, sheet, today=TODAY).ok


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("As a thank-you, I've taken $5.00 off your order.", "amount $5.00"),
        ("Your refund of $203.98 is on its way.", "amount $203.98"),
        ("It will arrive by December 3.", "date 2026-12-03"),
        ("It will arrive on 2026-11-27.", "date 2026-11-27"),
        ("Your other order ORD-9999 is fine.", "ORD-9999"),
        ("You get 25% off.", "25%"),
        ("It should take 17 more days.", "number 17"),
    ],
)
def test_invented_facts_are_rejected(flagship_sheet, sentence, problem) -> None:
    _, _, sheet = flagship_sheet
    verdict = check_text(sentence, sheet, today=TODAY)
    assert not verdict.ok
    assert any(problem in p for p in verdict.problems), verdict.problems


def test_apply_discount_is_rejected_when_the_discount_does_not_apply() -> None:
    data = replace(flagship(), customer=customer("regular"))
    facts, _, sheet = sheet_for(data)
    bad = plan_of(ActionItem("apply_discount", "I've applied a discount.", amount=D("28.35")))
    verdict = check_plan(bad, facts, sheet)
    assert any("apply_discount is not allowed" in p for p in verdict.problems)


def test_a_discount_of_the_wrong_amount_is_rejected(flagship_sheet) -> None:
    facts, _, sheet = flagship_sheet
    bad = plan_of(ActionItem("apply_discount", "I've applied your discount.", amount=D("24.99")))
    verdict = check_plan(bad, facts, sheet)
    assert any("apply_discount states 24.99" in p for p in verdict.problems)


def test_issue_refund_over_the_bot_limit_is_rejected() -> None:
    data = retrieved(the_order=delivered_order(3, "449.00"), refund=True)
    facts, plan, sheet = sheet_for(data)
    assert "refund_to_human" in [s.kind for s in plan.steps]
    bad = plan_of(ActionItem("issue_refund", "I've refunded $449.00.", amount=D("449.00")))
    verdict = check_plan(bad, facts, sheet)
    assert any("issue_refund is not allowed" in p for p in verdict.problems)


def test_issue_refund_outside_the_window_is_rejected() -> None:
    data = retrieved(the_order=delivered_order(45), refund=True)
    facts, _, sheet = sheet_for(data)
    bad = plan_of(ActionItem("issue_refund", "I've refunded $59.99.", amount=D("59.99")))
    assert not check_plan(bad, facts, sheet).ok


def test_issue_refund_of_the_wrong_amount_is_rejected() -> None:
    data = retrieved(the_order=delivered_order(3), refund=True)
    facts, _, sheet = sheet_for(data)
    bad = plan_of(ActionItem("issue_refund", "I've refunded it.", amount=D("45.00")))
    assert any("issue_refund states 45.00" in p for p in check_plan(bad, facts, sheet).problems)


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        ("refund_shipping", {"shipping_refund": None}),
        ("offer_cancel", {"can_cancel": False}),
        ("offer_address_change", {"can_change_address": False}),
    ],
)
def test_actions_the_facts_do_not_allow_are_rejected(flagship_sheet, kind, overrides) -> None:
    facts, _, sheet = flagship_sheet
    bad = plan_of(
        ActionItem(kind, "Done.", amount=D("14.99") if kind == "refund_shipping" else None)
    )
    verdict = check_plan(bad, replace(facts, **overrides), sheet)
    assert any(f"{kind} is not allowed" in p for p in verdict.problems)


def test_a_plan_step_with_an_invented_date_is_rejected(flagship_sheet) -> None:
    facts, _, sheet = flagship_sheet
    invented = TODAY + dt.timedelta(days=9)
    bad = plan_of(ActionItem("explain_status", f"It arrives by {fmt_date(invented)}."))
    assert not check_plan(bad, facts, sheet).ok


def test_a_percentage_that_is_only_a_day_of_the_month_is_rejected(flagship_sheet) -> None:
    facts, _, sheet = flagship_sheet
    assert dt.date(2026, 11, 20) in sheet.dates  # the express replacement's arrival
    assert facts.discount.rate * 100 == 15
    assert not check_text("You get 20% off.", sheet, today=TODAY).ok


def test_an_offered_plan_may_name_its_payouts_but_not_say_they_were_paid() -> None:
    """While the payouts wait for the customer's confirmation (a proposal), nothing is paid: a
    sentence saying money went back fails, the same amount offered passes."""
    data = flagship()
    facts, plan, sheet = sheet_for(data)
    paid_claim = "I've applied your VIP discount: $28.35 goes back to your card."
    assert check_text(paid_claim, sheet, today=TODAY).ok  # carried out: it may say so

    offered = replace(plan, offered=True)
    offered_sheet = fact_sheet(
        facts=facts, retrieved=data, plan=offered, customer_text=CUSTOMER_TEXT
    )
    assert not check_text(paid_claim, offered_sheet, today=TODAY).ok
    assert check_text(
        "I can apply your VIP discount: $28.35 would go back to your card.",
        offered_sheet,
        today=TODAY,
    ).ok
