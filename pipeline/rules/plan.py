"""The deterministic plan: what the bot will say and do, built from Facts by rules.

It is the reasoning stage's floor (used when no model is configured, or when the model's plan
fails verification), and its plain rendering is the reply of last resort.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pipeline.rules.policy import ALREADY_DISCOUNTED
from pipeline.types import ActionItem, DeliveryOption, Facts, IntentResult, Plan, Retrieved

DELIVERY_INTENTS = {"order_status", "shipping_expedite", "complaint_escalation"}


def fmt_date(day: dt.date) -> str:
    return f"{day:%A}, {day:%B} {day.day}"


def fmt_money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


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
        kept.append(
            ActionItem(
                "payout_to_human",
                "The compensation you're owed needs a colleague's approval, so I've passed it on with everything above.",
            )
        )
    return kept


def _gate_steps(facts: Facts, retrieved: Retrieved) -> list[ActionItem] | None:
    """Steps that come before any order detail: identity checks and orders that are not theirs."""
    if retrieved.customer is None:
        if retrieved.verification == "failed":
            return [
                ActionItem(
                    "verify_failed",
                    "I couldn't match that order number with that e-mail address. Please check both and send them again.",
                )
            ]
        return [
            ActionItem(
                "ask_verification",
                "To look up an order I first need to confirm it's yours: please send the order number and the e-mail address you used to place it.",
            )
        ]
    if retrieved.order is None and retrieved.foreign_order_ref:
        numbers = ", ".join(o.number for o in retrieved.recent_orders[:3]) or "none yet"
        return [
            ActionItem(
                "order_not_found",
                f"I can't find that order on your account. Your recent orders are: {numbers}.",
            )
        ]
    if retrieved.order is None:
        return [
            ActionItem(
                "ask_order",
                "Which order is this about? Your order number starts with ORD- and is in your confirmation e-mail.",
            )
        ]
    return None


def _order_steps(facts: Facts, retrieved: Retrieved, intent: IntentResult) -> list[ActionItem]:
    intents = set(intent.all)
    requests = retrieved.mentions.requests
    steps: list[ActionItem] = []
    if intents & DELIVERY_INTENTS or requests.expedite or facts.deadline:
        steps += _status_steps(facts)
        steps += _deadline_steps(facts, wants_faster=requests.expedite or bool(facts.deadline))
    if facts.discount is not None:
        steps.append(_discount_step(facts))
    if facts.shipping_refund and (intents & DELIVERY_INTENTS or requests.expedite):
        steps.append(
            ActionItem(
                "refund_shipping",
                f"Because the delivery promise of {fmt_date(facts.promised_by)} was missed, I've refunded the {fmt_money(facts.shipping_refund)} shipping fee.",
                amount=facts.shipping_refund,
                date=facts.promised_by,
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
        return [
            ActionItem(
                "explain_status", f"Order {number} is {facts.order_status} and hasn't shipped yet."
            )
        ]
    if facts.shipment_status == "delivered":
        return [
            ActionItem(
                "explain_status",
                f"Order {number} was delivered by {facts.carrier} on {fmt_date(facts.expected_by)}.",
                date=facts.expected_by,
            )
        ]
    scan = fmt_date(facts.last_scan_at.date()) if facts.last_scan_at else "its last scan"
    where = f"Order {number} is with {facts.carrier} (tracking {facts.tracking_number}); its last scan was in {facts.location} on {scan}."
    if facts.stalled:
        return [
            ActionItem(
                "explain_status",
                where + " It hasn't moved since, so I can't count on it arriving on time.",
                date=facts.last_scan_at.date(),
            )
        ]
    return [
        ActionItem(
            "explain_status",
            where + f" It's expected by {fmt_date(facts.expected_by)}.",
            date=facts.expected_by,
        )
    ]


def _deadline_steps(facts: Facts, *, wants_faster: bool) -> list[ActionItem]:
    steps = []
    if facts.deadline and facts.current_meets_deadline is False:
        steps.append(
            ActionItem(
                "deadline_at_risk",
                f"The current parcel may not reach you by {fmt_date(facts.deadline)}.",
                date=facts.deadline,
            )
        )
    elif facts.deadline and facts.current_meets_deadline:
        steps.append(
            ActionItem(
                "deadline_ok",
                f"It should arrive before {fmt_date(facts.deadline)}, so no change is needed.",
                date=facts.deadline,
            )
        )
        return steps
    if not wants_faster:
        return steps
    best = next((o for o in facts.options if o.code == facts.recommended_option), None)
    if best is None:
        steps.append(
            ActionItem(
                "no_option",
                "None of our faster options can arrive in time, so I'm passing this to a colleague who can look at alternatives.",
            )
        )
        return steps
    steps.append(_option_step(best, recommended=True))
    steps += [
        _option_step(o, recommended=False)
        for o in facts.options
        if o is not best and o.meets_deadline is not False
    ][:1]
    return steps


def _option_step(option: DeliveryOption, *, recommended: bool) -> ActionItem:
    price = fmt_money(option.charged)
    if option.charged == 0:
        price = f"free for you (normally {fmt_money(option.cost)})" if option.cost > 0 else "free"
    lead = "The quickest fix is" if recommended else "Another option is"
    article = "an" if option.name[:1].lower() in "aeiou" else "a"
    return ActionItem(
        "offer_recommended" if recommended else "offer_option",
        f"{lead} {article} {option.name}, {price}, arriving by {fmt_date(option.arrives_by)}.",
        amount=option.charged,
        date=option.arrives_by,
    )


def _discount_step(facts: Facts) -> ActionItem:
    discount = facts.discount
    if discount.reason == ALREADY_DISCOUNTED:
        return ActionItem(
            "discount_already", "Your loyalty discount has already been applied to this order."
        )
    if not discount.applies:
        return ActionItem(
            "discount_refused", f"I can't add a loyalty discount to this order: {discount.reason}."
        )
    percent = f"{discount.rate * 100:.0f}%"
    return ActionItem(
        "apply_discount",
        f"I've applied your {discount.reason} of {percent}: {fmt_money(discount.amount)} goes back to your original payment method.",
        amount=discount.amount,
    )


def _refund_step(facts: Facts) -> ActionItem:
    refund = facts.refund
    if not refund.eligible:
        return ActionItem("refund_refused", f"I can't refund this order: {refund.reason}.")
    if not refund.within_bot_limit:
        return ActionItem(
            "refund_to_human",
            f"A refund of {fmt_money(refund.amount)} needs a colleague's approval, so I've passed it on.",
            amount=refund.amount,
        )
    return ActionItem(
        "issue_refund",
        f"I've started a refund of {fmt_money(refund.amount)} to your original payment method.",
        amount=refund.amount,
    )


def _cancel_step(facts: Facts) -> ActionItem:
    number = facts.order_number
    if facts.can_cancel:
        return ActionItem(
            "offer_cancel",
            f"Order {number} hasn't shipped, so it can still be cancelled for a full refund; a colleague will confirm the cancellation.",
        )
    why = {
        "cancelled": f"Order {number} is already cancelled, so there is nothing more to cancel.",
        "returned": f"Order {number} has already been returned.",
        "delivered": f"Order {number} has already been delivered, so it can't be cancelled; you can return it for a refund instead.",
    }.get(
        facts.order_status or "",
        f"Order {number} has already shipped, so it can't be cancelled; once it arrives you can return it for a refund.",
    )
    return ActionItem("cancel_refused", why)


def _address_step(facts: Facts) -> ActionItem:
    if facts.can_change_address:
        return ActionItem(
            "offer_address_change",
            f"Order {facts.order_number} hasn't shipped yet, so the address can still be changed: send me the new address.",
        )
    return ActionItem(
        "address_refused",
        f"Order {facts.order_number} has already shipped, so I can't change its address; the carrier may be able to redirect it.",
    )


def render_plan(plan: Plan, *, first_name: str | None = None) -> str:
    """The plain reply: the plan's steps, in order. Every fact in it comes from the plan."""
    greeting = f"Hi {first_name}! " if first_name else ""
    return greeting + " ".join(step.summary for step in plan.steps)


# How a clarifying question names each intent: "Do you want to <meaning>, or ...?"
MEANINGS = {
    "order_status": "know where your order is",
    "shipping_expedite": "get a delivery faster or ask about shipping options",
    "refund_request": "return something or get a refund",
    "cancel_order": "cancel an order",
    "change_order": "change something in an order",
    "place_order": "buy something",
    "change_address": "change a delivery address",
    "payment": "sort out a payment or a charge",
    "invoice": "get an invoice or receipt",
    "product_inquiry": "ask about a product",
    "complaint_escalation": "make a complaint",
    "human_agent": "talk to a person",
    "account": "get help with your account or our website",
    "feedback": "leave feedback",
}


def clarify_plan(intent: IntentResult) -> Plan:
    """The question asked instead of acting on a low-confidence guess: the two likeliest meanings."""
    choices = [MEANINGS[i] for i in (intent.primary, intent.runner_up) if i in MEANINGS]
    if len(choices) == 2:
        question = f"Just to be sure I help with the right thing: do you want to {choices[0]}, or {choices[1]}?"
    elif choices:
        question = f"Just to be sure I help with the right thing: do you want to {choices[0]}, or is it something else?"
    else:
        question = "I'm not sure I understood. Could you tell me a little more about what you need?"
    return Plan(
        headline="clarify", steps=(ActionItem("clarify", question),), source="deterministic"
    )


def handoff_plan(reason: str) -> Plan:
    return Plan(
        headline="handoff",
        steps=(
            ActionItem(
                "handoff",
                "I'm bringing in a member of our team to help with this; you'll see them join here, and you can keep writing in the meantime.",
            ),
        ),
        source="deterministic",
    )
