"""`seed_demo --history`: several weeks of past conversations, so the ops dashboard and the
ledger show trends instead of one day of $0.00.

Each conversation gets its messages, a trace per customer message with model calls priced as if
a model endpoint had answered (tokens from typical prompt sizes, dollars from llm.pricing's
table), and what happened next: handoffs an agent picked up and answered, CSAT scores, customers
who came back the next day, failures, verifier rejections, retries and offline-engine answers.
Daily golden-set runs go with it (demo/history_evals.py), with one regression in the latest.

Idempotent: every history conversation carries HISTORY_MARK in its visitor key and every history
run DEMO_CASE_PREFIX in its case keys; a new seed deletes the old history first. Rows go in with
bulk_create, a few thousand in seconds. Random but reproducible (a fixed seed).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction

from conversations.models import Conversation, Message
from conversations.services import token_hash
from demo.history_data import (
    AGENT_REPLY,
    CUSTOMER_TEXT,
    FAILURES,
    FAST_INTENTS,
    FULL_INTENTS,
    HANDOFF_REASONS,
    MODELS,
    REJECTIONS,
    TOKENS,
)
from demo.history_evals import DEMO_CASE_PREFIX, seed_eval_runs
from desk.demo import DEMO_AGENT
from desk.models import HandoffEvent
from llm.pricing import cost_usd, price_table
from llm.types import Usage
from ops.models import EvalRun
from orders.models import Customer
from pipeline.models import ModelCall, PipelineTrace

HISTORY_MARK = "demo-history-"
HISTORY_DAYS = 28
SEED = 23
SIGNED_IN_SHARE = 0.1


@dataclass
class Rows:
    conversations: list[Conversation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    traces: list[PipelineTrace] = field(default_factory=list)
    calls: list[list[ModelCall]] = field(default_factory=list)  # per trace, same order
    events: list[HandoffEvent] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryResult:
    conversations: int
    traces: int
    model_calls: int
    eval_runs: int


def seed_history(*, now: dt.datetime, days: int = HISTORY_DAYS) -> HistoryResult:
    rng = random.Random(SEED)
    customers = list(Customer.objects.order_by("pk")[:200])
    agent = User.objects.get(username=DEMO_AGENT)
    rows = Rows()
    for day in range(days, 0, -1):
        start = (now - dt.timedelta(days=day)).replace(hour=7, minute=0, second=0, microsecond=0)
        for _ in range(_conversations_on(start, day, rng)):
            at = start + dt.timedelta(minutes=rng.randint(0, 14 * 60))
            _conversation(rows, rng, at=at, customers=customers, agent=agent, now=now)
    with transaction.atomic():
        history_delete()
        _write(rows)
        runs = seed_eval_runs(rng, now=now, days=days)
    return HistoryResult(len(rows.conversations), len(rows.traces), sum(map(len, rows.calls)), runs)


def history_delete() -> None:
    conversations = Conversation.objects.filter(visitor_key__startswith=HISTORY_MARK)
    ModelCall.objects.filter(trace__conversation__in=conversations).delete()
    PipelineTrace.objects.filter(conversation__in=conversations).delete()
    HandoffEvent.objects.filter(conversation__in=conversations).delete()
    Message.objects.filter(conversation__in=conversations).update(reply_to=None)
    Message.objects.filter(conversation__in=conversations).delete()
    conversations.delete()
    demo_runs = EvalRun.objects.filter(results__case_key__startswith=DEMO_CASE_PREFIX)
    EvalRun.objects.filter(pk__in=demo_runs.values("pk")).delete()


def _conversations_on(start: dt.datetime, day: int, rng: random.Random) -> int:
    """Weekdays busier than weekends, and traffic growing over the weeks."""
    base = 34 if start.weekday() < 5 else 20
    return base + (HISTORY_DAYS - day) // 2 + rng.randint(-4, 4)


# One conversation -------------------------------------------------------------------------------


def _conversation(
    rows: Rows,
    rng: random.Random,
    *,
    at: dt.datetime,
    customers: list[Customer],
    agent: User,
    now: dt.datetime,
) -> None:
    # Most chats are anonymous visitors; the demo's few dozen customers write a few times a
    # month each, so a return within the reopen window mostly means the answer did not hold.
    customer = rng.choice(customers) if customers and rng.random() < SIGNED_IN_SHARE else None
    conversation = Conversation(
        customer=customer,
        visitor_key=f"{HISTORY_MARK}{customer.pk if customer else uuid.uuid4().hex[:12]}",
        token_hash=token_hash(uuid.uuid4().hex),
        status=Conversation.Status.BOT,
        created_at=at,
        updated_at=at,
    )
    rows.conversations.append(conversation)
    kind = rng.choices(
        ["fast", "full", "wrong", "low", "handoff", "failed"], weights=[50, 22, 8, 5, 12, 3]
    )[0]
    turn = _Turn(rows, rng, conversation, customer)
    if kind == "handoff":
        intent, reason = rng.choice(HANDOFF_REASONS)
        message = turn.exchange(at, lane="human", intent=intent, outcome="handoff", reason=reason)
        _handed_over(rows, rng, conversation, agent, after=message.created_at, now=now)
    elif kind == "failed":
        message = turn.exchange(at, lane="full", intent=rng.choice(FULL_INTENTS), outcome="failed")
        _handed_over(rows, rng, conversation, agent, after=message.created_at, now=now)
    else:
        lane = "fast" if kind == "fast" else "full"
        intents = FAST_INTENTS if lane == "fast" else FULL_INTENTS
        message = turn.exchange(at, lane=lane, intent=rng.choice(intents), outcome="answered")
        if rng.random() < 0.35:  # a follow-up question a few minutes later
            later = message.created_at + dt.timedelta(minutes=rng.randint(1, 6))
            turn.exchange(later, lane="fast", intent="order_status", outcome="answered")
        if kind == "wrong":  # the answer did not hold: the customer is back the next day
            back = at + dt.timedelta(hours=rng.randint(18, 40))
            if back < now:
                turn.exchange(
                    back, lane="full", intent=rng.choice(FULL_INTENTS), outcome="answered"
                )
        _rate(rng, conversation, low=kind == "low")
    conversation.updated_at = rows.messages[-1].created_at


def _rate(rng: random.Random, conversation: Conversation, *, low: bool) -> None:
    if low:
        conversation.csat_score = rng.choice([1, 2])
    elif rng.random() < 0.3:
        conversation.csat_score = rng.choices([3, 4, 5], weights=[2, 4, 6])[0]


def _handed_over(
    rows: Rows,
    rng: random.Random,
    conversation: Conversation,
    agent: User,
    *,
    after: dt.datetime,
    now: dt.datetime,
) -> None:
    """Queued, picked up by the agent after a wait, answered, resolved and usually rated."""
    queued = after + dt.timedelta(seconds=1)
    picked = queued + dt.timedelta(seconds=rng.randint(40, 900))
    replied = picked + dt.timedelta(seconds=rng.randint(20, 240))
    conversation.queued_at = queued
    conversation.handoff_reason = conversation.handoff_reason or "customer asked for a person"
    kind = HandoffEvent.Kind
    rows.events.append(HandoffEvent(conversation=conversation, kind=kind.QUEUED, at=queued))
    if replied + dt.timedelta(minutes=10) > now:  # too recent: still waiting
        conversation.status = Conversation.Status.QUEUED
        return
    rows.events.append(
        HandoffEvent(conversation=conversation, kind=kind.ASSIGNED, agent=agent, at=picked)
    )
    _message(rows, conversation, Message.Sender.AGENT, AGENT_REPLY, replied, author=agent)
    resolved = replied + dt.timedelta(minutes=rng.randint(3, 20))
    rows.events.append(
        HandoffEvent(conversation=conversation, kind=kind.RESOLVED, actor=agent, at=resolved)
    )
    conversation.status = Conversation.Status.RESOLVED
    conversation.resolved_at = resolved
    if rng.random() < 0.5:
        conversation.csat_score = rng.choices([2, 3, 4, 5], weights=[1, 2, 5, 7])[0]


def _message(
    rows: Rows,
    conversation: Conversation,
    sender: str,
    text: str,
    at: dt.datetime,
    *,
    reply_to: Message | None = None,
    author: User | None = None,
) -> Message:
    conversation.last_seq += 1
    message = Message(
        conversation=conversation,
        seq=conversation.last_seq,
        sender=sender,
        text=text,
        client_id=uuid.uuid4() if sender == Message.Sender.CUSTOMER else None,
        reply_to=reply_to,
        author=author,
        created_at=at,
    )
    rows.messages.append(message)
    return message


class _Turn:
    """A customer message, the bot's reply, and the trace with its priced model calls."""

    def __init__(
        self, rows: Rows, rng: random.Random, conversation: Conversation, customer: Any
    ) -> None:
        self.rows, self.rng, self.conversation, self.customer = rows, rng, conversation, customer
        self.prices = price_table()

    def exchange(
        self, at: dt.datetime, *, lane: str, intent: str, outcome: str, reason: str = ""
    ) -> Message:
        rng = self.rng
        said = _message(self.rows, self.conversation, Message.Sender.CUSTOMER, _text(intent), at)
        latency = _latency_ms(rng, lane)
        replied_at = at + dt.timedelta(milliseconds=latency)
        reply_text = _reply_text(outcome)
        reply = _message(
            self.rows, self.conversation, Message.Sender.BOT, reply_text, replied_at, reply_to=said
        )
        if reason:
            self.conversation.handoff_reason = reason
        trace = PipelineTrace(
            conversation=self.conversation,
            message=said,
            reply=reply,
            customer=self.customer,
            lane=lane,
            intent=intent,
            confidence=round(rng.uniform(0.55, 0.98), 2),
            outcome=outcome,
            handoff_reason=reason if outcome == "handoff" else "",
            latency_ms=round(latency, 1),
            created_at=at,
        )
        calls = self._calls(trace, lane, outcome)
        self._totals(trace, calls)
        self.rows.traces.append(trace)
        self.rows.calls.append(calls)
        return reply

    def _calls(self, trace: PipelineTrace, lane: str, outcome: str) -> list[ModelCall]:
        rng = self.rng
        if lane == "human":
            return [self._call(trace, "intent")]
        if lane == "fast" and rng.random() < 0.25:
            trace.cached = True  # the answer cache: no model call at all
            return []
        stages = ["intent", "empathy"] if lane == "fast" else list(MODELS)
        calls: list[ModelCall] = []
        for stage in stages:
            if rng.random() < 0.04 or (outcome == "failed" and stage == "reasoning"):
                calls.append(self._failed_call(trace, stage))
                trace.retries += 1
                if outcome == "failed":
                    trace.error = rng.choice(FAILURES)
                    return calls
                calls.append(self._call(trace, stage, attempt=2))
            else:
                calls.append(self._call(trace, stage))
        if lane == "full":
            self._verify(trace)
        return calls

    def _verify(self, trace: PipelineTrace) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            trace.verifier_rejections = rng.choice([1, 1, 2])
            source = "model-repaired" if roll < 0.08 else "deterministic"
            trace.repairs = 1 if source == "model-repaired" else 0
            rejections = rng.sample(REJECTIONS, trace.verifier_rejections)
            trace.plan = {"source": source, "rejections": rejections, "steps": []}
        elif roll < 0.14:
            trace.degraded = True  # every provider failed: the offline engine answered

    def _call(self, trace: PipelineTrace, stage: str, attempt: int = 1) -> ModelCall:
        prompt, completion, reasoning = TOKENS[stage]
        scale = self.rng.uniform(0.7, 1.4)
        usage = Usage(int(prompt * scale), int(completion * scale), int(reasoning * scale))
        model = MODELS[stage]
        return ModelCall(
            trace=trace,
            stage=stage,
            model=model,
            provider="remote",
            attempt=attempt,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            latency_ms=round(self.rng.uniform(150, 1400), 1),
            cost_usd=Decimal(str(round(cost_usd(model, usage, self.prices), 6))),
            outcome="ok",
        )

    def _failed_call(self, trace: PipelineTrace, stage: str) -> ModelCall:
        return ModelCall(
            trace=trace,
            stage=stage,
            model=MODELS[stage],
            provider="remote",
            attempt=1,
            latency_ms=round(self.rng.uniform(800, 30_000), 1),
            outcome="error",
            error=self.rng.choice(FAILURES),
        )

    def _totals(self, trace: PipelineTrace, calls: list[ModelCall]) -> None:
        trace.prompt_tokens = sum(c.prompt_tokens for c in calls)
        trace.completion_tokens = sum(c.completion_tokens for c in calls)
        trace.reasoning_tokens = sum(c.reasoning_tokens for c in calls)
        trace.cost_usd = sum((c.cost_usd for c in calls), Decimal("0"))
        trace.model_ms = round(sum(c.latency_ms for c in calls), 1)
        trace.stages = [
            {
                "stage": c.stage,
                "model": c.model,
                "latency_ms": c.latency_ms,
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
                "reasoning_tokens": c.reasoning_tokens,
                "cost_usd": float(c.cost_usd),
            }
            for c in calls
            if c.outcome == "ok"
        ]


def _text(intent: str) -> str:
    return CUSTOMER_TEXT.get(intent, "I have a question about my order.")


def _reply_text(outcome: str) -> str:
    if outcome == "answered":
        return "Here is what I found on your order, and what happens next."
    if outcome == "failed":
        return "Sorry, I could not finish checking that. A person from our team will take over."
    return "I'm passing you to a member of our team, who will join this chat shortly."


def _latency_ms(rng: random.Random, lane: str) -> float:
    """Log-normal, as latencies are: most quick, a long tail."""
    median = {"fast": 650.0, "full": 3800.0, "human": 45.0}[lane]
    return median * rng.lognormvariate(0, 0.45)


# Writing ----------------------------------------------------------------------------------------


@contextmanager
def _dates_as_given(*fields: models.Field) -> Iterator[None]:
    """auto_now and auto_now_add would stamp every row with today; history keeps its dates."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _write(rows: Rows) -> None:
    batch = 1000
    with _dates_as_given(
        Conversation._meta.get_field("updated_at"), PipelineTrace._meta.get_field("created_at")
    ):
        Conversation.objects.bulk_create(rows.conversations, batch_size=batch)
        Message.objects.bulk_create(rows.messages, batch_size=batch)
        PipelineTrace.objects.bulk_create(rows.traces, batch_size=batch)
    for trace, calls in zip(rows.traces, rows.calls, strict=True):
        for call in calls:
            call.trace_id = trace.pk
    ModelCall.objects.bulk_create([c for calls in rows.calls for c in calls], batch_size=batch)
    HandoffEvent.objects.bulk_create(rows.events, batch_size=batch)
