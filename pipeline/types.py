"""What the stages hand each other: frozen dataclasses, never dicts.

intent -> IntentResult; retrieval -> Retrieved (the customer's real records); the policy engine
-> Facts (every number the reply may use); reasoning -> Plan (action items, verified against the
facts); empathy -> the reply text. The run yields PipelineEvents to whoever listens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Literal

from llm.types import CallRecord

Lane = Literal["fast", "full", "human"]
# Orders still on their way: with no number named, the one a customer means, if there is one.
IN_FLIGHT_STATUSES = frozenset({"shipped", "processing", "processed", "paid", "pending"})


@dataclass(frozen=True)
class IntentResult:
    primary: str
    secondary: tuple[str, ...]
    confidence: float
    source: str  # "model", "model-repaired" or "offline"
    # The second likeliest intent, named in the clarifying question when confidence is low.
    runner_up: str | None = None

    @property
    def all(self) -> tuple[str, ...]:
        return (self.primary, *self.secondary)


@dataclass(frozen=True)
class Requests:
    """What the customer asks for, read from their words (flags, not decisions)."""

    expedite: bool = False
    discount: bool = False
    refund: bool = False
    cancel: bool = False
    human: bool = False
    legal_threat: bool = False
    account_deletion: bool = False
    urgent: bool = False
    injection: bool = False
    refund_amount: Decimal | None = None


@dataclass(frozen=True)
class Mentions:
    """Entities pulled from the customer's text."""

    order_refs: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    deadline: dt.date | None = None
    stated_order_date: dt.date | None = None
    requests: Requests = Requests()


@dataclass(frozen=True)
class TrackingScan:
    at: dt.datetime
    location: str
    status: str
    description: str


@dataclass(frozen=True)
class ShipmentView:
    carrier: str
    tracking_number: str
    status: str
    current_location: str
    shipped_at: dt.datetime | None
    estimated_delivery: dt.date | None
    delivered_at: dt.datetime | None
    scans: tuple[TrackingScan, ...]


@dataclass(frozen=True)
class OrderView:
    number: str
    status: str
    placed_at: dt.datetime
    shipping_method: str
    shipping_method_code: str
    promised_transit_days: int
    subtotal: Decimal
    shipping_cost: Decimal
    discount_total: Decimal
    total: Decimal
    refunded_total: Decimal
    items: tuple[tuple[str, int, Decimal], ...]  # (product name, quantity, unit price)
    refund_reasons: tuple[str, ...]
    shipment: ShipmentView | None


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    first_name: str
    email: str
    tier_code: str
    tier_name: str
    discount_rate: Decimal
    max_discount: Decimal
    min_subtotal: Decimal
    retroactive_days: int
    top_tier: bool


@dataclass(frozen=True)
class ArticleView:
    """A passage of a knowledge-base article, its policy placeholders filled in."""

    slug: str
    title: str
    body: str  # the passage's text
    heading: str = ""
    url: str = ""  # where the customer reads the whole article
    relevance: float = 1.0  # knowledge.search's, in [0, 1]


@dataclass(frozen=True)
class Grounding:
    """One question of the message and the passages relevant enough to answer it; none when the
    knowledge base has nothing on it (the bot says so rather than quote an unrelated article)."""

    question: str
    passages: tuple[ArticleView, ...]


@dataclass(frozen=True)
class Retrieved:
    customer: CustomerView | None
    order: OrderView | None
    recent_orders: tuple[OrderView, ...]
    articles: tuple[ArticleView, ...]
    mentions: Mentions
    policy: PolicyView
    expedite_choices: tuple[ExpediteChoice, ...]
    verification: Literal[
        "signed_in", "verified_now", "verified_before", "needed", "ambiguous", "failed", "locked"
    ]
    foreign_order_ref: str | None = None  # named an order that is not theirs (or does not exist)
    groundings: tuple[Grounding, ...] = ()  # the fast lane's questions, each with its passages


@dataclass(frozen=True)
class PolicyView:
    refund_window_days: int
    bot_refund_limit: Decimal
    stalled_after_hours: int
    refund_shipping_when_late: bool
    dispatch_cutoff_hour: int


@dataclass(frozen=True)
class ExpediteChoice:
    code: str
    name: str
    kind: str
    transit_days: int
    cost: Decimal
    vip_free: bool


@dataclass(frozen=True)
class DeliveryOption:
    code: str
    name: str
    kind: str
    cost: Decimal
    charged: Decimal  # what the customer pays (zero when free for their tier)
    arrives_by: dt.date
    meets_deadline: bool | None


@dataclass(frozen=True)
class DiscountVerdict:
    applies: bool
    amount: Decimal
    rate: Decimal
    reason: str


@dataclass(frozen=True)
class RefundVerdict:
    eligible: bool
    amount: Decimal
    within_bot_limit: bool
    reason: str


@dataclass(frozen=True)
class Facts:
    """Everything policy decided, computed by rules from the database. The only source of
    numbers, dates, amounts and order ids the customer may see."""

    today: dt.date
    order_number: str | None = None
    order_status: str | None = None
    shipment_status: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    location: str | None = None
    last_scan_at: dt.datetime | None = None
    stalled: bool = False
    promised_by: dt.date | None = None
    expected_by: dt.date | None = None
    promise_missed: bool = False
    deadline: dt.date | None = None
    current_meets_deadline: bool | None = None
    options: tuple[DeliveryOption, ...] = ()
    recommended_option: str | None = None
    discount: DiscountVerdict | None = None
    shipping_refund: Decimal | None = None
    refund: RefundVerdict | None = None
    can_cancel: bool | None = None
    can_change_address: bool | None = None
    handoff_reason: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionItem:
    kind: str  # e.g. "ship_replacement", "apply_discount", "refund_shipping", "explain_status"
    summary: str
    amount: Decimal | None = None
    date: dt.date | None = None
    # The rules' own steps: the sentence's id in rules.phrases and the facts it states, so the
    # plain reply can be written in the customer's language. A model's steps have neither.
    phrase: str = ""
    args: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Plan:
    headline: str
    steps: tuple[ActionItem, ...]
    source: str  # "model", "model-repaired", "deterministic"
    repairs: int = 0
    rejections: tuple[str, ...] = ()
    # Its payouts are put to the customer as a proposal, not carried out yet: a reply may offer
    # them but may not say they were paid (pipeline.rules.verifier).
    offered: bool = False


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageDetail:
    """What a stage's checks and queries found, beyond its model call. Every field is optional:
    a stage fills in what it has. Saved with the trace as JSON (pipeline.tracing), without
    `calls` (the model calls are rows of their own)."""

    calls: tuple[CallRecord, ...] = ()
    degraded: bool = False  # the offline engine answered for a failing model
    invalid: str = ""  # why the model's structured output was refused
    entities: str = ""  # retrieval: who read the entities ("model" or "offline")
    verdict: str = ""  # reasoning: "accepted", "offline" or "deterministic"
    rejections: tuple[str, ...] = ()  # reasoning: what the verifier refused, each round
    drift: tuple[str, ...] = ()  # empathy: sentences held back for stating other facts
    fell_back_to_plan: bool = False  # empathy: the plan's own words finished the reply
    verification: str = ""  # queries: how the customer was verified
    order: str | None = None  # queries: the order in focus
    articles: tuple[str, ...] = ()  # queries and answer: knowledge-base slugs used
    cached: bool = False  # answer: from the answer cache
    done: tuple[str, ...] = ()  # actions: what was carried out
    proposed: str = ""  # actions: the write put to the customer, carried out if they accept

    def saved(self) -> dict[str, Any]:
        """The JSON form kept on the trace: the fields that say something."""
        return {
            f.name: value
            for f in fields(self)
            if f.name != "calls" and (value := getattr(self, f.name)) not in ((), "", False, None)
        }


@dataclass(frozen=True)
class StageTrace:
    stage: str
    model: str
    offline: bool
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    repairs: int = 0
    detail: StageDetail = field(default_factory=StageDetail)


# Events the run yields; the websocket, Celery and the terminal chat consume them alike.
@dataclass(frozen=True)
class StageStatus:
    stage: str
    text: str


@dataclass(frozen=True)
class ReplyDelta:
    text: str


@dataclass(frozen=True)
class ProposalDraft:
    """A write action the reply puts to the customer; chat.turns opens it with the reply."""

    name: str
    args: dict[str, Any]
    summary: str


@dataclass(frozen=True)
class ReplyDone:
    text: str
    lane: Lane
    intent: IntentResult
    handoff_reason: str | None
    degraded: bool
    facts: Facts | None
    plan: Plan | None
    stages: tuple[StageTrace, ...]
    verified_customer_id: int | None
    cached: bool = False
    language: str = "en"  # what the reply was written in; the conversation keeps it
    proposal: ProposalDraft | None = None
    # The flows' state after this turn (pipeline.flows.state), saved with the reply; None: the
    # run did not touch it.
    flow_state: dict[str, Any] | None = None


PipelineEvent = StageStatus | ReplyDelta | ReplyDone
