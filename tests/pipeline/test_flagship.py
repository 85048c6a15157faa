"""The brief's flagship case, end to end through respond_to_message: Sarah's stalled telescope.

Every expectation is re-derived from the database here, not read from the pipeline's facts."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chat.decisions import decision_apply
from llm.gateway import get_gateway
from orders.business_days import add_business_days
from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER, flagship_deadline, flagship_message
from orders.models import ExpediteOption, LoyaltyTier, Order, Refund, StorePolicy
from pipeline.models import ModelCall
from pipeline.rules.policy import DISCOUNT_REFUND_REASON, SHIPPING_REFUND_REASON
from tests.pipeline.conftest import (
    Answer,
    bot_refunds,
    day,
    money,
    open_proposal,
    stated_facts,
)

pytestmark = pytest.mark.django_db(transaction=True)

BRIEF_MESSAGE = (
    "I ordered product #4521 on November 28th with express shipping, but it's been 12 days and "
    "the tracking shows it's stuck in Chicago. I need this for my daughter's birthday on "
    "December 10th. Can you expedite it and also apply my VIP discount to this order?"
)
HAS_FAKE_RESPONDER = importlib.util.find_spec("fakes.responder") is not None


@dataclass(frozen=True)
class FromDatabase:
    """What the database says about ORD-4521, computed without the pipeline."""

    today: dt.date
    discount: Decimal
    shipping_fee: Decimal
    options: dict[str, ExpediteOption]
    arrivals: dict[str, dt.date]
    amounts: frozenset[Decimal]
    dates: frozenset[dt.date]
    top_tier: str


def from_database(deadline: dt.date) -> FromDatabase:
    now = timezone.now()
    order = Order.objects.select_related("customer__tier").get(number=FLAGSHIP_ORDER)
    tier = order.customer.tier
    raw = (order.subtotal * tier.discount_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    discount = min(raw, tier.max_discount)
    shipment = order.shipments.get()
    options = {o.code: o for o in ExpediteOption.objects.filter(active=True)}
    policy = StorePolicy.load()
    dispatch = (
        now.date()
        if now.weekday() < 5 and now.hour < policy.dispatch_cutoff_hour
        else add_business_days(now.date(), 1)
    )
    arrivals = {
        code: add_business_days(dispatch if o.kind == "replacement" else now.date(), o.transit_days)
        for code, o in options.items()
    }
    amounts = {order.subtotal, order.shipping_cost, order.total, discount}
    amounts |= {i.unit_price for i in order.items.all()}
    amounts |= {o.cost for o in options.values()} | {Decimal("0.00")}
    dates = {now.date(), deadline, order.placed_at.date(), *arrivals.values()}
    dates |= {e.occurred_at.date() for e in shipment.events.all()}
    dates |= {shipment.estimated_delivery, shipment.shipped_at.date()}
    return FromDatabase(
        now.date(),
        discount,
        order.shipping_cost,
        options,
        arrivals,
        frozenset(money(a) for a in amounts),
        frozenset(dates),
        LoyaltyTier.objects.order_by("-rank").first().code,
    )


def assert_reply_true_to_database(answer: Answer, db: FromDatabase) -> None:
    stated = stated_facts(answer.text, today=db.today)
    assert stated.order_ids <= {FLAGSHIP_ORDER}, stated.order_ids
    assert stated.amounts <= db.amounts, stated.amounts - db.amounts
    assert stated.dates <= db.dates, stated.dates - db.dates
    assert not stated.wrong_weekdays


def assert_flagship_facts(answer: Answer, db: FromDatabase, deadline: dt.date) -> None:
    facts = answer.facts
    assert {"order_status", "shipping_expedite"} <= answer.intents
    assert answer.trace.lane == "full"
    assert answer.trace.outcome == "answered" and not answer.handoff_frames
    assert facts["order_number"] == FLAGSHIP_ORDER
    assert facts["stalled"] is True
    assert facts["current_meets_deadline"] is False
    assert day(facts["deadline"]) == deadline
    options = {o["code"]: o for o in facts["options"]}
    best = options[facts["recommended_option"]]
    row = db.options[best["code"]]
    assert best["meets_deadline"] is True and day(best["arrives_by"]) <= deadline
    assert day(best["arrives_by"]) == db.arrivals[best["code"]]
    assert money(best["cost"]) == row.cost
    vip_free = row.vip_free and db.top_tier == "vip"
    assert money(best["charged"]) == (Decimal("0.00") if vip_free else row.cost)
    assert facts["discount"]["applies"] is True
    assert money(facts["discount"]["amount"]) == db.discount == Decimal("28.35")
    assert money(facts["shipping_refund"]) == db.shipping_fee == Decimal("14.99")


async def test_flagship_offline_sees_every_intent_and_gets_every_fact_right(start_chat) -> None:
    now = timezone.now()
    chat = await start_chat(FLAGSHIP_EMAIL)
    answer = await chat.say(flagship_message(now))
    db = await sync_to_async(from_database)(flagship_deadline(now))
    assert_flagship_facts(answer, db, flagship_deadline(now))
    facts = answer.facts
    # The quickest fix is the VIP's free overnight replacement, normally $24.99.
    assert facts["recommended_option"] == "overnight-replacement"
    assert money(db.options["overnight-replacement"].cost) == Decimal("24.99")
    assert_reply_true_to_database(answer, db)
    stated = stated_facts(answer.text, today=db.today)
    assert db.discount in stated.amounts
    assert db.arrivals["overnight-replacement"] in stated.dates
    assert {"apply_discount", "refund_shipping", "offer_recommended"} <= set(answer.step_kinds)


async def test_flagship_refunds_wait_for_a_confirmation_and_are_created_exactly_once(
    start_chat,
) -> None:
    now = timezone.now()
    chat = await start_chat(FLAGSHIP_EMAIL)
    offered = await chat.say(flagship_message(now))
    # Guarantee 7: the reply offers the payouts and asks; nothing is paid before a yes.
    assert await sync_to_async(bot_refunds)(FLAGSHIP_ORDER) == []
    assert {"apply_discount", "refund_shipping", "confirm_proposal"} <= set(offered.step_kinds)
    assert not re.search(r"\bI've (refunded|applied)\b", offered.text), offered.text
    proposal = await sync_to_async(open_proposal)(chat.conversation.pk)
    assert proposal is not None and proposal.name == "issue_refund"
    assert proposal.arguments["order_id"] == FLAGSHIP_ORDER
    assert Decimal(proposal.arguments["amount"]) == Decimal("43.34")
    assert "$43.34" in proposal.summary

    await sync_to_async(decision_apply)(
        conversation_id=chat.conversation.pk, proposal_id=str(proposal.pk), accept=True
    )
    first = await sync_to_async(bot_refunds)(FLAGSHIP_ORDER)
    assert sorted((r.reason, r.amount, r.status) for r in first) == [
        (DISCOUNT_REFUND_REASON, Decimal("28.35"), Refund.Status.APPROVED),
        (SHIPPING_REFUND_REASON, Decimal("14.99"), Refund.Status.APPROVED),
    ]
    again = await chat.say(flagship_message(now))
    assert await sync_to_async(bot_refunds)(FLAGSHIP_ORDER) == first
    assert again.facts["discount"]["applies"] is False
    assert "already" in again.facts["discount"]["reason"]
    assert again.facts["shipping_refund"] is None
    assert "apply_discount" not in again.step_kinds
    assert "refund_shipping" not in again.step_kinds
    assert {"discount_already", "discount_refused"} & set(again.step_kinds)
    assert await sync_to_async(open_proposal)(chat.conversation.pk) is None
    order = await Order.objects.aget(number=FLAGSHIP_ORDER)
    assert order.refunded_total == Decimal("43.34")


async def test_a_declined_flagship_refund_pays_nothing(start_chat) -> None:
    chat = await start_chat(FLAGSHIP_EMAIL)
    await chat.say(flagship_message(timezone.now()))
    proposal = await sync_to_async(open_proposal)(chat.conversation.pk)
    await sync_to_async(decision_apply)(
        conversation_id=chat.conversation.pk, proposal_id=str(proposal.pk), accept=False
    )
    assert await sync_to_async(bot_refunds)(FLAGSHIP_ORDER) == []
    order = await Order.objects.aget(number=FLAGSHIP_ORDER)
    assert order.refunded_total == Decimal("0.00")


def next_december_10(today: dt.date) -> dt.date:
    this_year = dt.date(today.year, 12, 10)
    return this_year if this_year >= today else dt.date(today.year + 1, 12, 10)


async def test_the_brief_literal_message_resolves_december_10_and_invents_nothing(
    start_chat,
) -> None:
    chat = await start_chat(FLAGSHIP_EMAIL)
    answer = await chat.say(BRIEF_MESSAGE)
    today = timezone.now().date()
    deadline = next_december_10(today)
    db = await sync_to_async(from_database)(deadline)
    assert answer.trace.outcome != "failed" and not answer.trace.error
    assert answer.trace.lane == "full"
    assert {"order_status", "shipping_expedite"} <= answer.intents
    assert day(answer.facts["deadline"]) == deadline
    assert answer.facts["order_number"] == FLAGSHIP_ORDER
    assert answer.facts["stalled"] is True
    assert money(answer.facts["discount"]["amount"]) == Decimal("28.35")
    # "November 28th" is the customer's own (wrong) date: the reply must not repeat it as fact.
    assert_reply_true_to_database(answer, db)


@pytest.mark.skipif(not HAS_FAKE_RESPONDER, reason="needs fakes.responder")
async def test_flagship_through_the_fake_server(start_chat, settings: Any) -> None:
    from fakes.llm_server import running_fake_server
    from fakes.responder import respond

    responder = respond
    now = timezone.now()
    async with running_fake_server(responder=responder) as server:
        settings.LLM = {**settings.LLM, "BASE_URL": server.base_url, "API_KEY": "sk-test-0123"}
        try:
            chat = await start_chat(FLAGSHIP_EMAIL)
            answer = await chat.say(flagship_message(now))
        finally:
            await get_gateway().aclose()
    db = await sync_to_async(from_database)(flagship_deadline(now))
    assert_flagship_facts(answer, db, flagship_deadline(now))
    assert_reply_true_to_database(answer, db)
    assert not answer.trace.degraded
    providers = {c.provider async for c in ModelCall.objects.filter(trace=answer.trace)}
    assert "remote" in providers


async def test_compensation_over_the_bot_limit_hands_off_without_paying(start_chat) -> None:
    await StorePolicy.objects.filter(pk=1).aupdate(bot_refund_limit=Decimal("30.00"))
    now = timezone.now()
    chat = await start_chat(FLAGSHIP_EMAIL)
    answer = await chat.say(flagship_message(now))
    assert "over the bot's" in answer.facts["handoff_reason"]
    assert answer.trace.lane == "human" and answer.handoff_frames
    assert await sync_to_async(bot_refunds)(FLAGSHIP_ORDER) == []
