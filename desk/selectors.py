"""Reads for the handoff desk: the queue's rows, and everything the agent console shows."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Left

from conversations.models import Conversation, ConversationState, Message, Proposal
from desk.assignment import owned_counts
from desk.models import AgentProfile, CannedResponse, ConversationNote, HandoffQueue
from desk.permissions import display_name, work_queue_users
from orders.actions.ledger import ref_of
from orders.models import ActionRecord, ExpediteOption, Order, ProductVariant, StorePolicy
from orders.selectors import (
    OrderLedger,
    action_log_for_conversation,
    order_ledger,
    orders_for_customer,
    orders_with_history_for_customer,
    payment_methods_for_customer,
)
from pipeline.models import PipelineTrace

TRANSCRIPT_LIMIT = 200
LAST_MESSAGE_CHARS = 120


def queue_queryset() -> QuerySet[HandoffQueue]:
    """Every conversation ever handed to a human, with the opening words of its latest message
    from a person or the bot (system notices say nothing about the case)."""
    latest = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .exclude(sender=Message.Sender.SYSTEM)
        .order_by("-seq")
    )
    return (
        HandoffQueue.objects.filter(queued_at__isnull=False)
        .select_related("customer__tier", "assigned_agent")
        .annotate(
            last_message=Subquery(
                latest.annotate(head=Left("text", LAST_MESSAGE_CHARS)).values("head")[:1]
            ),
            last_sender=Subquery(latest.values("sender")[:1]),
        )
    )


def conversation_for_console(*, conversation_id: uuid.UUID | str) -> Conversation | None:
    return (
        Conversation.objects.select_related("customer__tier", "assigned_agent")
        .filter(pk=conversation_id)
        .first()
    )


def transcript(*, conversation_id: uuid.UUID | str) -> list[Message]:
    """The latest messages, oldest first."""
    latest = Message.objects.filter(conversation_id=conversation_id).select_related("author")
    return list(reversed(latest.order_by("-seq")[:TRANSCRIPT_LIMIT]))


def notes_for(*, conversation_id: uuid.UUID | str) -> list[ConversationNote]:
    return list(
        ConversationNote.objects.filter(conversation_id=conversation_id)
        .select_related("author")
        .order_by("created_at")
    )


def canned_responses() -> list[CannedResponse]:
    return list(CannedResponse.objects.order_by("title"))


def customer_orders(*, conversation: Conversation, limit: int = 5) -> list[Order]:
    if conversation.customer_id is None:
        return []
    return orders_for_customer(customer_id=conversation.customer_id, limit=limit)


def customer_orders_with_ledgers(
    *, conversation: Conversation, limit: int = 5
) -> list[tuple[Order, OrderLedger]]:
    """The customer's orders, each with what was paid and refunded per method."""
    if conversation.customer_id is None:
        return []
    orders = orders_with_history_for_customer(customer_id=conversation.customer_id, limit=limit)
    return [(order, order_ledger(order)) for order in orders]


def action_log(*, conversation_id: uuid.UUID | str) -> list[ActionRecord]:
    return action_log_for_conversation(conversation_id=conversation_id)


@dataclass(frozen=True)
class ActionChoices:
    """What the console's action forms offer, as (value, label) pairs: the ids are those the
    services take (a row's external id, else its own id)."""

    orders: list[tuple[str, str]]
    items: list[tuple[str, str]]
    variants: list[tuple[str, str]]
    payment_methods: list[tuple[str, str]]
    replacement_options: list[tuple[str, str]]
    cancel_reasons: list[str]


def action_choices(*, orders: list[Order], customer_id: int | None) -> ActionChoices:
    if customer_id is None:
        return ActionChoices([], [], [], [], [], [])
    items, product_ids = [], set()
    for order in orders:
        for item in order.items.all():
            product_ids.add(item.product_id)
            if item.variant_id and not item.request:
                label = f"{order.number}: {item.product.name}"
                items.append((ref_of(item.variant), label))
    variants = ProductVariant.objects.filter(product_id__in=product_ids, available=True)
    options = ExpediteOption.objects.filter(kind=ExpediteOption.Kind.REPLACEMENT, active=True)
    policy = StorePolicy.for_store_id(orders[0].store_id) if orders else StorePolicy.load()
    return ActionChoices(
        orders=[(o.number, f"{o.number} ({o.get_status_display().lower()})") for o in orders],
        items=items,
        variants=[
            (ref_of(v), f"{v.product.name} {v.options_text} (${v.price})".replace("  ", " "))
            for v in variants.select_related("product")
        ],
        payment_methods=[
            (ref_of(m), str(m)) for m in payment_methods_for_customer(customer_id=customer_id)
        ],
        replacement_options=[(o.code, f"{o.name} (${o.cost})") for o in options],
        cancel_reasons=list(policy.cancel_reasons),
    )


@dataclass(frozen=True)
class AgentChoice:
    user_id: int
    name: str
    owned: int
    capacity: int
    available: bool

    @property
    def has_room(self) -> bool:
        return self.owned < self.capacity


def agent_choices() -> list[AgentChoice]:
    """Agents a conversation can be reassigned to, with their load."""
    users = list(work_queue_users().select_related("agent_profile"))
    owned = owned_counts(user.pk for user in users)
    default_capacity = AgentProfile._meta.get_field("capacity").default
    choices = []
    for user in users:
        profile = getattr(user, "agent_profile", None)
        choices.append(
            AgentChoice(
                user_id=user.pk,
                name=display_name(user),
                owned=owned.get(user.pk, 0),
                capacity=profile.capacity if profile else default_capacity,
                available=bool(profile and profile.available),
            )
        )
    return choices


def owned_by(*, user: Any) -> int:
    return owned_counts([user.pk]).get(user.pk, 0)


def agent_available(*, user: Any) -> bool:
    return AgentProfile.objects.filter(user=user, available=True).exists()


@dataclass(frozen=True)
class PipelineState:
    """What the pipeline made of the customer's last message, for the agent to read."""

    intent: str
    secondary_intents: list[str]
    confidence: float
    lane: str
    outcome: str
    handoff_reason: str
    facts: list[tuple[str, str]]
    verdicts: list[tuple[str, str]]
    plan_headline: str
    plan_steps: list[tuple[str, str]]
    rejections: list[str] = field(default_factory=list)
    draft_reply: str = ""
    error: str = ""


VERDICT_KEYS = ("discount", "refund", "options", "recommended_option", "current_meets_deadline")


def pipeline_state(*, conversation_id: uuid.UUID | str) -> PipelineState | None:
    trace = (
        PipelineTrace.objects.filter(conversation_id=conversation_id)
        .select_related("reply")
        .order_by("-created_at", "-pk")
        .first()
    )
    if trace is None:
        return None
    facts = {k: v for k, v in (trace.facts or {}).items() if v not in (None, "", [], {})}
    plan = trace.plan or {}
    return PipelineState(
        intent=trace.intent,
        secondary_intents=list(trace.secondary_intents or []),
        confidence=trace.confidence,
        lane=trace.lane,
        outcome=trace.get_outcome_display(),
        handoff_reason=trace.handoff_reason,
        facts=[(k, _show(v)) for k, v in facts.items() if k not in VERDICT_KEYS],
        verdicts=[(k, _show(facts[k])) for k in VERDICT_KEYS if k in facts],
        plan_headline=str(plan.get("headline", "")),
        plan_steps=[
            (str(s.get("kind", "")), str(s.get("summary", ""))) for s in plan.get("steps", [])
        ],
        rejections=_rejections(trace, plan),
        draft_reply=trace.reply.text if trace.reply else "",
        error=trace.error,
    )


def _rejections(trace: PipelineTrace, plan: dict[str, Any]) -> list[str]:
    found = [str(r) for r in plan.get("rejections", [])]
    for stage in trace.stages or []:
        found += [
            f"{stage.get('stage')}: {r}" for r in stage.get("detail", {}).get("rejections", [])
        ]
    return found


@dataclass(frozen=True)
class ConversationMemory:
    """What the conversation carries between turns, for the agent who takes it over: the flows'
    state as label / text rows, and the proposal still waiting for the customer's answer."""

    state: list[tuple[str, str]]
    proposal: Proposal | None
    proposal_args: list[tuple[str, str]] = field(default_factory=list)


def conversation_memory(*, conversation_id: uuid.UUID | str) -> ConversationMemory:
    data = ConversationState.objects.filter(conversation_id=conversation_id).values_list(
        "data", flat=True
    )
    state = next(iter(data), None) or {}
    proposal = (
        Proposal.objects.filter(conversation_id=conversation_id, state=Proposal.State.OPEN)
        .order_by("-created_at")
        .first()
    )
    return ConversationMemory(
        state=[
            (str(k).replace("_", " "), _show(v))
            for k, v in state.items()
            if v not in (None, "", [], {})
        ],
        proposal=proposal,
        proposal_args=[(k, _show(v)) for k, v in (proposal.arguments if proposal else {}).items()],
    )


def _show(value: Any) -> str:
    """Plain text for a JSON value, one line per item; templates escape it."""
    if isinstance(value, dict):
        return " · ".join(f"{k}: {_scalar(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_show(item) for item in value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
