"""Stage 2, retrieval: read the customer's words into entities, then run real queries.

Only the conversation's verified customer's records are read. An anonymous visitor gets no order
detail until they give an order number and the e-mail it was placed with (pipeline/verification.py).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

from knowledge.search import confident
from knowledge.search import search as knowledge_search
from orders import selectors
from orders.models import Customer, StorePolicy
from pipeline import selectors as views
from pipeline import verification
from pipeline.offline.entities import Entities, extract_entities, looks_like_injection
from pipeline.rules.grounding import questions_in
from pipeline.rules.snapshot import StoreRules, store_rules
from pipeline.types import IN_FLIGHT_STATUSES, Grounding, Mentions, OrderView, Requests, Retrieved

ORDER_INTENTS = frozenset(
    {
        "order_status",
        "shipping_expedite",
        "refund_request",
        "cancel_order",
        "change_order",
        "change_address",
        "complaint_escalation",
        "invoice",
    }
)


@dataclass(frozen=True)
class Context:
    """What the run already knows about the conversation before this message."""

    conversation_id: str
    customer_id: int | None
    verified_in_chat: bool
    earlier_order_refs: tuple[str, ...]
    visitor_key: str = ""  # "customer:<id>" or "client:<hash>"; empty: the conversation


def mentions_offline(text: str, *, today: dt.date) -> Mentions:
    return mentions_from_entities(
        extract_entities(text, today=today), injection=looks_like_injection(text)
    )


def mentions_from_entities(entities: Entities, *, injection: bool) -> Mentions:
    deadlines = [d.value for d in entities.dates if d.role == "deadline"]
    ordered = [d.value for d in entities.dates if d.role == "order_date"]
    amounts = [m.amount for m in entities.amounts]
    return Mentions(
        order_refs=tuple(ref.number for ref in entities.order_refs),
        emails=entities.emails,
        deadline=min(deadlines) if deadlines else None,
        stated_order_date=ordered[0] if ordered else None,
        requests=Requests(
            expedite=entities.wants_expedite,
            discount=entities.wants_discount,
            refund=entities.wants_refund,
            cancel=entities.wants_cancel,
            human=entities.wants_human,
            legal_threat=entities.legal_threat,
            account_deletion=entities.account_deletion,
            urgent=entities.urgency,
            injection=injection,
            refund_amount=amounts[0] if entities.wants_refund and amounts else None,
        ),
    )


def mentions_from_model(raw: str, *, text: str, fallback: Mentions) -> Mentions:
    """Accept a model's entity JSON only where the text backs it: an order number or e-mail the
    customer never wrote is dropped, and the request flags can only add to what the rules saw."""
    data = json.loads(raw)
    digits = "".join(ch if ch.isdigit() else " " for ch in text).split()
    refs = tuple(
        str(r).lstrip("#").upper().removeprefix("ORD-") for r in data.get("order_refs", [])
    )
    refs = tuple(r for r in refs if r in digits) or fallback.order_refs
    emails = tuple(
        e for e in data.get("emails", []) if isinstance(e, str) and e.lower() in text.lower()
    )
    deadline = _date_or_none(data.get("deadline")) or fallback.deadline
    flags = {
        name: bool(data.get("requests", {}).get(name))
        for name in ("expedite", "discount", "refund", "cancel")
    }
    requests = replace(
        fallback.requests,
        **{name: value or getattr(fallback.requests, name) for name, value in flags.items()},
    )
    return replace(
        fallback,
        order_refs=refs,
        emails=emails or fallback.emails,
        deadline=deadline,
        requests=requests,
    )


def _grounding(question: str, rules: StoreRules, policy: StorePolicy) -> Grounding:
    """The passage that answers one question, if any is relevant enough (knowledge.search)."""
    hit = confident(knowledge_search(query=question, index=rules.knowledge, limit=1))
    return Grounding(question, (views.passage_view(hit, policy),) if hit else ())


def _date_or_none(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def retrieve(
    *,
    context: Context,
    mentions: Mentions,
    intents: tuple[str, ...],
    text: str,
    want_articles: bool = True,
) -> Retrieved:
    """All database reads for one message (sync: run it off the event loop). Articles are
    searched only for answers that rest on them (the fast lane)."""
    rules = store_rules()
    policy = rules.policy
    customer, verification = _who(context, mentions)
    customer_view = (
        views.customer_view(customer, top_rank=rules.top_tier_rank) if customer else None
    )
    order, foreign = (None, None)
    recent: tuple[OrderView, ...] = ()
    if customer is not None:
        order, foreign = _named_order(
            customer.pk, mentions.order_refs or context.earlier_order_refs
        )
        about_orders = bool(mentions.order_refs) or bool(ORDER_INTENTS & set(intents))
        if order is None and about_orders:  # their other orders: to pick one or to list them
            recent = tuple(
                views.order_view(o)
                for o in selectors.orders_for_customer(customer_id=customer.pk, limit=5)
            )
            if not mentions.order_refs:
                order = _most_relevant(recent)
        elif order is not None:
            recent = (order,)
    elif mentions.order_refs:
        foreign = mentions.order_refs[0]
    groundings = (
        tuple(_grounding(question, rules, policy) for question in questions_in(text))
        if want_articles
        else ()
    )
    articles = tuple({p.slug: p for g in groundings for p in g.passages}.values())
    return Retrieved(
        customer=customer_view,
        order=order,
        recent_orders=recent,
        articles=articles,
        mentions=mentions,
        policy=views.policy_view(policy),
        expedite_choices=rules.expedite_choices,
        verification=verification,
        foreign_order_ref=foreign,
        groundings=groundings,
    )


def _who(context: Context, mentions: Mentions) -> tuple[Customer | None, str]:
    if context.customer_id is not None:
        customer = Customer.objects.select_related("tier").get(pk=context.customer_id)
        return customer, "verified_before" if context.verified_in_chat else "signed_in"
    attempt = verification.verify_in_chat(
        order_refs=mentions.order_refs,
        emails=mentions.emails,
        conversation_id=context.conversation_id,
        visitor_key=context.visitor_key,
    )
    return attempt.customer, attempt.outcome


def _named_order(customer_id: int, refs: tuple[str, ...]) -> tuple[OrderView | None, str | None]:
    for ref in refs:
        order = selectors.order_get_for_customer(customer_id=customer_id, number=ref)
        if order is not None:
            return views.order_view(order), None
    return None, (refs[0] if refs else None)


def _most_relevant(recent: tuple[OrderView, ...]) -> OrderView | None:
    """With no number given, the customer almost always means the order still on its way; with
    several on their way, nobody can tell which (None: the plan asks, naming them)."""
    in_flight = [order for order in recent if order.status in IN_FLIGHT_STATUSES]
    if len(in_flight) > 1:
        return None
    if in_flight:
        return in_flight[0]
    return recent[0] if recent else None
