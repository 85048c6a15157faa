"""The deterministic plan: what the bot will say and do, built from Facts by rules.

It is the reasoning stage's floor (used when no model is configured, or when the model's plan
fails verification), and its plain rendering is the reply of last resort. Each step is built from
a phrase id and its facts (``phrases``), so the plain rendering can be in the customer's language.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pipeline.rules.phrases import PHRASES, TRANSLATED, Said, Term, say
from pipeline.rules.phrases import fmt_date as fmt_date  # re-exported: callers writing facts
from pipeline.rules.phrases import fmt_money as fmt_money
from pipeline.rules.policy import ALREADY_DISCOUNTED
from pipeline.types import (
    IN_FLIGHT_STATUSES,
    ActionItem,
    DeliveryOption,
    Facts,
    IntentResult,
    Plan,
    Retrieved,
)

DELIVERY_INTENTS = {"order_status", "shipping_expedite", "complaint_escalation"}


def phrase_step(
    kind: str,
    phrase: str,
    *,
    amount: Decimal | None = None,
    date: dt.date | None = None,
    **args: object,
) -> ActionItem:
    """A step whose English summary and every translation come from one phrase and its facts."""
    return ActionItem(
        kind,
        say(phrase, **args),
        amount=amount,
        date=date,
        phrase=phrase,
        args=tuple(args.items()),
    )


def deterministic_plan(*, facts: Facts, retrieved: Retrieved, intent: IntentResult) -> Plan:
    steps = _gate_steps(facts, retrieved)
    if steps is None:
        steps = _order_steps(facts, retrieved, intent)
        if facts.handoff_reason:
            steps = _without_payouts(steps)
    headline = steps[0].summary if steps else "I'm here to help."
    return Plan(headline=headline, steps=tuple(steps), source="deterministic")


PAYOUTS = {"apply_discount", "refund_shipping", "issue_refund"}


def _without_payouts(steps: list[ActionItem]) -> list[ActionItem]:
    """Over the bot's limit nothing is paid by the bot: a colleague approves it all."""
    kept = [s for s in steps if s.kind not in PAYOUTS]
    if len(kept) < len(steps):
        kept.append(phrase_step("payout_to_human", "payout_to_human"))
    return kept


def _gate_steps(facts: Facts, retrieved: Retrieved) -> list[ActionItem] | None:
    """Steps that come before any order detail: identity checks and orders that are not theirs."""
    if retrieved.customer is None:
        if retrieved.verification == "ambiguous":
            return [
                ActionItem(
                    "verify_one",
                    "To keep accounts safe I check one identity at a time: please send one order number and the one e-mail address it was placed with.",
                )
            ]
        if retrieved.verification == "failed":
            return [phrase_step("verify_failed", "verify_failed")]
        return [phrase_step("ask_verification", "ask_verification")]
    if retrieved.order is None and retrieved.foreign_order_ref:
        numbers = ", ".join(o.number for o in retrieved.recent_orders[:3])
        if not numbers:
            return [phrase_step("order_not_found", "order_not_found_none")]
        return [phrase_step("order_not_found", "order_not_found", numbers=numbers)]
    if retrieved.order is None:
        in_flight = [o for o in retrieved.recent_orders if o.status in IN_FLIGHT_STATUSES]
        if len(in_flight) > 1:
            orders = ", ".join(f"{o.number} ({o.status})" for o in in_flight)
            return [phrase_step("ask_order", "ask_which_order", orders=orders)]
        return [phrase_step("ask_order", "ask_order")]
    return None


def _order_steps(facts: Facts, retrieved: Retrieved, intent: IntentResult) -> list[ActionItem]:
    intents = set(intent.all)
    requests = retrieved.mentions.requests
    steps: list[ActionItem] = []
    if intents & DELIVERY_INTENTS or requests.expedite or facts.deadline:
        steps += _status_steps(facts)
        steps += _deadline_steps(facts, wants_faster=requests.expedite or bool(facts.deadline))
    if facts.discount is not None:
        steps.append(_discount_step(facts, retrieved))
    if facts.shipping_refund and (intents & DELIVERY_INTENTS or requests.expedite):
        steps.append(
            phrase_step(
                "refund_shipping",
                "refund_shipping",
                amount=facts.shipping_refund,
                date=facts.promised_by,
                promised=facts.promised_by,
                fee=facts.shipping_refund,
            )
        )
    if facts.refund is not None:
        steps.append(_refund_step(facts))
    if "cancel_order" in intents or requests.cancel:
        steps.append(_cancel_step(facts))
    if "change_address" in intents:
        steps.append(_address_step(facts))
    if not steps:
        steps += _status_steps(facts)
    return steps


def _status_steps(facts: Facts) -> list[ActionItem]:
    number = facts.order_number
    if facts.shipment_status is None:
        status = Term(facts.order_status)
        return [phrase_step("explain_status", "status_unshipped", number=number, status=status)]
    if facts.shipment_status == "delivered":
        return [
            phrase_step(
                "explain_status",
                "status_delivered",
                date=facts.expected_by,
                number=number,
                carrier=facts.carrier,
                day=facts.expected_by,
            )
        ]
    scan = facts.last_scan_at.date() if facts.last_scan_at else Said("last_scan")
    where = {
        "number": number,
        "carrier": facts.carrier,
        "tracking": facts.tracking_number,
        "location": facts.location,
        "scan": scan,
    }
    if facts.stalled:
        return [
            phrase_step("explain_status", "status_stalled", date=facts.last_scan_at.date(), **where)
        ]
    return [
        phrase_step(
            "explain_status",
            "status_moving",
            date=facts.expected_by,
            expected=facts.expected_by,
            **where,
        )
    ]


def _deadline_steps(facts: Facts, *, wants_faster: bool) -> list[ActionItem]:
    steps = []
    if facts.deadline and facts.current_meets_deadline is False:
        steps.append(
            phrase_step(
                "deadline_at_risk",
                "deadline_at_risk",
                date=facts.deadline,
                deadline=facts.deadline,
            )
        )
    elif facts.deadline and facts.current_meets_deadline:
        steps.append(
            phrase_step("deadline_ok", "deadline_ok", date=facts.deadline, deadline=facts.deadline)
        )
        return steps
    if not wants_faster:
        return steps
    best = next((o for o in facts.options if o.code == facts.recommended_option), None)
    if best is None:
        steps.append(phrase_step("no_option", "no_option"))
        return steps
    steps.append(_option_step(best, recommended=True))
    steps += [
        _option_step(o, recommended=False)
        for o in facts.options
        if o is not best and o.meets_deadline is not False
    ][:1]
    return steps


def _option_step(option: DeliveryOption, *, recommended: bool) -> ActionItem:
    price: object = option.charged
    if option.charged == 0:
        price = Said("price_free_for_you", (("cost", option.cost),))
        price = price if option.cost > 0 else Said("price_free")
    return phrase_step(
        "offer_recommended" if recommended else "offer_option",
        "option_best" if recommended else "option_other",
        amount=option.charged,
        date=option.arrives_by,
        article="an" if option.name[:1].lower() in "aeiou" else "a",
        name=option.name,
        price=price,
        arrives=option.arrives_by,
    )


def _discount_step(facts: Facts, retrieved: Retrieved) -> ActionItem:
    discount = facts.discount
    if discount.reason == ALREADY_DISCOUNTED:
        return phrase_step("discount_already", "discount_already")
    if not discount.applies:
        return phrase_step("discount_refused", "discount_refused", reason=discount.reason)
    return phrase_step(
        "apply_discount",
        "apply_discount",
        amount=discount.amount,
        reason=discount.reason,  # English only: "VIP discount"; translations name the tier
        tier=retrieved.customer.tier_name if retrieved.customer else "",
        sum=discount.amount,
        percent=f"{discount.rate * 100:.0f}%",
    )


def _refund_step(facts: Facts) -> ActionItem:
    refund = facts.refund
    if not refund.eligible:
        return phrase_step("refund_refused", "refund_refused", reason=refund.reason)
    kind = "issue_refund" if refund.within_bot_limit else "refund_to_human"
    return phrase_step(kind, kind, amount=refund.amount, sum=refund.amount)


def _cancel_step(facts: Facts) -> ActionItem:
    number = facts.order_number
    if facts.can_cancel:
        return phrase_step("offer_cancel", "offer_cancel", number=number)
    why = {
        "cancelled": "cancel_cancelled",
        "returned": "cancel_returned",
        "delivered": "cancel_delivered",
    }.get(facts.order_status or "", "cancel_shipped")
    return phrase_step("cancel_refused", why, number=number)


def _address_step(facts: Facts) -> ActionItem:
    if facts.can_change_address:
        return phrase_step(
            "offer_address_change", "offer_address_change", number=facts.order_number
        )
    return phrase_step("address_refused", "address_refused", number=facts.order_number)


def render_plan(plan: Plan, *, first_name: str | None = None, language: str = "en") -> str:
    """The plain reply: the plan's steps, in order, in the customer's language when every step
    has its sentence there; otherwise in English, saying so. Every fact comes from the plan."""
    localized = localized_steps(plan, language)
    if localized is not None:
        greeting = say("greeting", language, first_name=first_name) if first_name else ""
        return greeting + " ".join(localized)
    greeting = say("greeting", first_name=first_name) if first_name else ""
    return greeting + say("english_only") + " ".join(step.summary for step in plan.steps)


def localized_steps(plan: Plan, language: str) -> list[str] | None:
    """Each step's sentence in `language`; None when that language lacks one of them (a model's
    own wording, a policy reason or article written in English, a language without phrases)."""
    if language == "en":
        return [step.summary for step in plan.steps]
    if language not in TRANSLATED or not all(step.phrase for step in plan.steps):
        return None
    try:
        return [say(step.phrase, language, **dict(step.args)) for step in plan.steps]
    except KeyError:
        return None


def clarify_plan(intent: IntentResult) -> Plan:
    """The question asked instead of acting on a low-confidence guess: the two likeliest meanings."""
    choices = [
        Said(f"meaning_{i}")
        for i in (intent.primary, intent.runner_up)
        if i and f"meaning_{i}" in PHRASES["en"]
    ]
    if len(choices) == 2:
        step = phrase_step("clarify", "clarify_two", first=choices[0], second=choices[1])
    elif choices:
        step = phrase_step("clarify", "clarify_one", first=choices[0])
    else:
        step = phrase_step("clarify", "clarify_none")
    return Plan(headline="clarify", steps=(step,), source="deterministic")


def handoff_plan(reason: str) -> Plan:
    return Plan(
        headline="handoff",
        steps=(phrase_step("handoff", "handoff"),),
        source="deterministic",
    )
