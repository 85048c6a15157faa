"""The pipeline's one entry point: a customer message in, events out.

intent + entity reading (in parallel) -> router -> retrieval (real queries) -> policy engine ->
reasoning (verified plan) -> actions -> empathy (fact-checked stream). The websocket, Celery and
the terminal chat all consume the same events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from conversations.proposals import state_load
from conversations.selectors import TurnRecord
from llm.budget import RequestBudget
from llm.gateway import Gateway, get_gateway
from llm.types import ChatRequest
from pipeline import prompts
from pipeline.flows import FlowContext, FlowReply, flow_turn
from pipeline.offline.language import read_language
from pipeline.rules import snapshot as cache
from pipeline.rules.actions import ActionFailed, offer_plan, plan_proposal
from pipeline.rules.grounding import answer_cache_parts, answers_every_question, grounded_plan
from pipeline.rules.plan import (
    clarify_plan,
    deterministic_plan,
    handoff_plan,
    render_plan,
)
from pipeline.rules.policy import compute_facts
from pipeline.rules.router import LOW_CONFIDENCE, Route, choose_lane
from pipeline.rules.verifier import check_plan, fact_sheet
from pipeline.stages import retrieval
from pipeline.stages.answer import written_answer
from pipeline.stages.empathy import EmpathyStage
from pipeline.stages.intent import intent_stage
from pipeline.stages.reasoning import reasoning_stage
from pipeline.tracing import no_model_trace, run_streaks, stage_trace
from pipeline.types import (
    Facts,
    IntentResult,
    Mentions,
    PipelineEvent,
    Plan,
    ProposalDraft,
    ReplyDelta,
    ReplyDone,
    Retrieved,
    StageDetail,
    StageStatus,
    StageTrace,
)
from pipeline.verification import LOCKED_REASON

STATUS_TEXT = {
    "intent": "Reading your message...",
    "retrieval": "Checking your order...",
    "reasoning": "Working out your options...",
    "empathy": "Writing your reply...",
}
GATE_STEPS = {
    "ask_verification",
    "verify_one",
    "verify_failed",
    "order_not_found",
    "ask_order",
}


@dataclass(frozen=True)
class PipelineInput:
    text: str
    conversation_id: str
    customer_id: int | None
    verified_in_chat: bool
    earlier_order_refs: tuple[str, ...] = ()
    low_confidence_streak: int = 0
    failure_streak: int = 0
    now: dt.datetime | None = None
    # Whom limits count against across conversations: customer:<id> or client:<hash>; blank for
    # conversations started before visitors were recorded (then per customer or conversation).
    visitor_key: str = ""
    language: str = ""  # the conversation's so far; "" before any message showed one
    store_id: int | None = None  # the conversation's store; None: the demo store


_ORDER_REF = re.compile(r"(?:ORD-?|#|order\s+(?:number\s+|no\.?\s*)?)(\d{3,12})", re.IGNORECASE)


def pipeline_input_for(turn: TurnRecord) -> PipelineInput:
    """What a run needs of a customer message: its text, who the customer is, the orders named
    earlier in the conversation, and how the conversation's last runs went."""
    refs = tuple(
        dict.fromkeys(ref for text in turn.earlier_texts for ref in _ORDER_REF.findall(text))
    )
    streaks = run_streaks(conversation_id=turn.conversation_id, low_confidence=LOW_CONFIDENCE)
    return PipelineInput(
        text=turn.text,
        conversation_id=str(turn.conversation_id),
        customer_id=turn.customer_id,
        verified_in_chat=turn.verified_in_chat,
        earlier_order_refs=refs,
        low_confidence_streak=streaks.low_confidence,
        failure_streak=streaks.failures,
        visitor_key=turn.visitor_key,
        language=turn.language,
        store_id=turn.store_id,
    )


@dataclass
class _Run:
    """Mutable state of one run; only the events it yields leave this module."""

    given: PipelineInput
    now: dt.datetime
    gateway: Gateway
    budget: RequestBudget
    # The reply's language: this message's when its words show one clearly, else the
    # conversation's, else English.
    language: str = "en"
    stages: list[StageTrace] = dataclasses.field(default_factory=list)

    @property
    def customer_key(self) -> str:
        """The daily token budget's key: the visitor's (chat/limits.py budget_key is the same)."""
        if self.given.visitor_key:
            return self.given.visitor_key
        return (
            f"customer:{self.given.customer_id}"
            if self.given.customer_id
            else f"conversation:{self.given.conversation_id}"
        )


async def run_pipeline(
    given: PipelineInput, *, gateway: Gateway | None = None
) -> AsyncIterator[PipelineEvent]:
    gateway = gateway or get_gateway()
    run = _Run(
        given,
        given.now or dt.datetime.now(dt.UTC),
        gateway,
        RequestBudget.from_config(gateway.config),
        language=read_language(given.text) or given.language or "en",
    )
    yield StageStatus("intent", STATUS_TEXT["intent"])
    flowed = await _flow_turn(run)
    if flowed is not None:
        for event in flowed:
            yield event
        return
    intent, mentions = await _read_message(run)
    route = choose_lane(
        intent=intent,
        mentions=mentions,
        text=given.text,
        low_confidence_streak=given.low_confidence_streak,
        failure_streak=given.failure_streak,
    )
    yield StageStatus("retrieval", STATUS_TEXT["retrieval"])
    retrieved = await _retrieve(run, mentions, intent, want_articles=route.lane == "fast")
    if retrieved.verification == "locked" and route.lane != "human":
        route = Route("human", LOCKED_REASON)
    if route.lane == "human":
        async for event in _answer_plain(
            run, route, intent, retrieved, handoff_plan(route.reason), route.reason
        ):
            yield event
        return
    # Unsure of the intent, but the help center answers every question asked: answer, don't ask.
    if route.clarify and not answers_every_question(retrieved):
        async for event in _answer_plain(run, route, intent, retrieved, clarify_plan(intent), None):
            yield event
        return
    if route.lane == "fast":
        async for event in _fast_lane(run, route, intent, retrieved):
            yield event
        return
    async for event in _full_lane(run, route, intent, retrieved):
        yield event


async def _flow_turn(run: _Run) -> list[PipelineEvent] | None:
    """The flows answer first: an open request or proposal, or a new request they know. None:
    no flow takes the message, and the lanes below answer it."""
    started = time.perf_counter()
    context = FlowContext(
        conversation_id=run.given.conversation_id,
        customer_id=run.given.customer_id,
        now=run.now,
        language=run.language,
        store_id=run.given.store_id,
        visitor_key=run.given.visitor_key,
    )
    reply = await sync_to_async(_flow_step)(context, run.given.text)
    if reply is None:
        return None
    run.stages.append(
        no_model_trace("flows", (time.perf_counter() - started) * 1000, StageDetail())
    )
    intent = IntentResult(primary=reply.intent, secondary=(), confidence=1.0, source="offline")
    done = ReplyDone(
        text=reply.text,
        lane="human" if reply.handoff_reason else "full",
        intent=intent,
        handoff_reason=reply.handoff_reason,
        degraded=False,
        facts=None,
        plan=None,
        stages=tuple(run.stages),
        verified_customer_id=reply.verified_customer_id,
        language=run.language,
        proposal=reply.proposal,
        flow_state=reply.state,
    )
    return [ReplyDelta(reply.text), done]


def _flow_step(context: FlowContext, text: str) -> FlowReply | None:
    state = state_load(conversation_id=context.conversation_id)
    return flow_turn(context=context, text=text, state=state)


async def _read_message(run: _Run) -> tuple[IntentResult, Mentions]:
    """Intent and entity reading need only the text, so they run side by side."""
    (intent, intent_trace), (mentions, entity_trace) = await asyncio.gather(
        intent_stage(
            text=run.given.text,
            gateway=run.gateway,
            budget=run.budget,
            customer_key=run.customer_key,
        ),
        _entities(run),
    )
    run.stages += [intent_trace, entity_trace]
    return intent, mentions


async def _entities(run: _Run) -> tuple[Mentions, StageTrace]:
    text = run.given.text
    offline = retrieval.mentions_offline(text, today=run.now.date())
    payload = {"message": text, "today": run.now.date().isoformat()}
    request = ChatRequest(
        stage="retrieval",
        messages=prompts.messages(prompts.RETRIEVAL_SYSTEM, "retrieval", payload),
        json_mode=True,
        customer_key=run.customer_key,
    )
    completion = await run.gateway.complete(request, offline=lambda _: "{}", budget=run.budget)
    if completion.offline:
        return offline, stage_trace(
            "retrieval", [completion], detail=StageDetail(entities="offline")
        )
    try:
        mentions = retrieval.mentions_from_model(completion.text, text=text, fallback=offline)
        return mentions, stage_trace(
            "retrieval", [completion], detail=StageDetail(entities="model")
        )
    except (ValueError, TypeError, AttributeError) as exc:
        return offline, stage_trace(
            "retrieval", [completion], detail=StageDetail(entities="offline", invalid=str(exc))
        )


async def _retrieve(
    run: _Run, mentions: Mentions, intent: IntentResult, *, want_articles: bool
) -> Retrieved:
    started = time.perf_counter()
    context = retrieval.Context(
        conversation_id=run.given.conversation_id,
        customer_id=run.given.customer_id,
        verified_in_chat=run.given.verified_in_chat,
        earlier_order_refs=run.given.earlier_order_refs,
        visitor_key=run.given.visitor_key,
    )
    retrieved = await sync_to_async(retrieval.retrieve)(
        context=context,
        mentions=mentions,
        intents=intent.all,
        text=run.given.text,
        want_articles=want_articles,
    )
    detail = StageDetail(
        verification=retrieved.verification,
        order=retrieved.order.number if retrieved.order else None,
        articles=tuple(a.slug for a in retrieved.articles),
    )
    run.stages.append(no_model_trace("queries", (time.perf_counter() - started) * 1000, detail))
    return retrieved


async def _fast_lane(
    run: _Run, route: Route, intent: IntentResult, retrieved: Retrieved
) -> AsyncIterator[PipelineEvent]:
    slugs = tuple(dict.fromkeys(a.slug for a in retrieved.articles))
    write = run.gateway.config.configured and answers_every_question(retrieved)
    # One read of the rules version; the key names each question's words and passage, and
    # whether a model writes the answer (an extract cached offline is not a written answer).
    parts = (*answer_cache_parts(retrieved), "written" if write else "extract")
    key = await cache.answer_key(intent.primary, parts, language=run.language)
    text = await cache.cached_answer(key)
    plan = grounded_plan(retrieved, intent)
    cached = text is not None
    if text is None:
        text = render_plan(plan, language=run.language)
        if write:
            yield StageStatus("empathy", STATUS_TEXT["empathy"])
            text, keep = await _written_answer(run, retrieved, text)
        else:
            run.stages.append(no_model_trace("answer", 0.0, StageDetail(articles=slugs)))
            keep = True
        if keep:
            await cache.store_answer(key, text)
    else:
        run.stages.append(no_model_trace("answer", 0.0, StageDetail(cached=True, articles=slugs)))
    yield ReplyDelta(text)
    yield _done(
        run, route, intent, retrieved, text, plan=plan, facts=None, handoff=None, cached=cached
    )


async def _written_answer(run: _Run, retrieved: Retrieved, extract: str) -> tuple[str, bool]:
    """With a model endpoint, the answer written from the passages and checked against them
    (pipeline.stages.answer), else the extract. What a failing model left (the extract, as a
    stand-in) is not cached: the next asker gets the written answer once the model is back."""
    written = await written_answer(
        groundings=retrieved.groundings,
        extract=extract,
        language=run.language,
        today=run.now.date(),
        gateway=run.gateway,
        budget=run.budget,
        customer_key=run.customer_key,
    )
    run.stages.append(written.trace)
    return written.text, not written.trace.detail.degraded


async def _answer_plain(
    run: _Run,
    route: Route,
    intent: IntentResult,
    retrieved: Retrieved,
    plan: Plan,
    handoff: str | None,
) -> AsyncIterator[PipelineEvent]:
    first = retrieved.customer.first_name if retrieved.customer else None
    text = render_plan(plan, first_name=first, language=run.language)
    yield ReplyDelta(text)
    yield _done(run, route, intent, retrieved, text, plan=plan, facts=None, handoff=handoff)


async def _full_lane(
    run: _Run, route: Route, intent: IntentResult, retrieved: Retrieved
) -> AsyncIterator[PipelineEvent]:
    facts = compute_facts(retrieved, now=run.now)
    fallback = deterministic_plan(facts=facts, retrieved=retrieved, intent=intent)
    sheet = fact_sheet(
        facts=facts, retrieved=retrieved, plan=fallback, customer_text=run.given.text
    )
    plan = fallback
    if not GATE_STEPS & {s.kind for s in fallback.steps}:
        yield StageStatus("reasoning", STATUS_TEXT["reasoning"])
        plan, trace = await reasoning_stage(
            facts=facts,
            fallback=fallback,
            sheet=sheet,
            gateway=run.gateway,
            budget=run.budget,
            customer_key=run.customer_key,
        )
        run.stages.append(trace)
    handoff = facts.handoff_reason
    proposal = None
    try:
        # Nothing is paid here: the payouts are put to the customer, and carried out only
        # when they accept (conversations.proposals, guarantee 7).
        proposal = await sync_to_async(plan_proposal)(
            plan=plan,
            order_number=facts.order_number,
            customer_id=retrieved.customer.id if retrieved.customer else None,
            language=run.language,
            text=run.given.text,
        )
        proposed = proposal.summary if proposal else ""
        run.stages.append(no_model_trace("actions", 0.0, StageDetail(proposed=proposed)))
    except ActionFailed as exc:
        handoff = f"could not carry out the plan: {exc}"
        plan = handoff_plan(handoff)
    if proposal is not None:
        plan = _offered_plan(plan, fallback, proposal, facts, retrieved, run.given.text)
    yield StageStatus("empathy", STATUS_TEXT["empathy"])
    sheet = fact_sheet(facts=facts, retrieved=retrieved, plan=plan, customer_text=run.given.text)
    empathy = EmpathyStage(
        plan=plan,
        sheet=sheet,
        first_name=retrieved.customer.first_name if retrieved.customer else None,
        today=run.now.date(),
        language=run.language,
        gateway=run.gateway,
        budget=run.budget,
        customer_key=run.customer_key,
    )
    async for piece in empathy.stream():
        yield ReplyDelta(piece)
    run.stages.append(empathy.trace)
    done = _done(
        run, route, intent, retrieved, empathy.text, plan=plan, facts=facts, handoff=handoff
    )
    yield dataclasses.replace(done, proposal=proposal)


def _offered_plan(
    plan: Plan,
    fallback: Plan,
    proposal: ProposalDraft,
    facts: Facts,
    retrieved: Retrieved,
    text: str,
) -> Plan:
    """The plan as offered while its proposal waits. Its steps were checked when its payouts
    counted as paid; offered, nothing is paid yet, so they are checked again: a model's step
    that says money went back ("I've refunded...") fails now, and the rules' own plan, offered,
    is what the reply states instead."""
    offered = offer_plan(plan, proposal)
    sheet = fact_sheet(facts=facts, retrieved=retrieved, plan=offered, customer_text=text)
    if plan is fallback or check_plan(offered, facts, sheet).ok:
        return offered
    return offer_plan(fallback, proposal)


def _done(
    run: _Run,
    route: Route,
    intent: IntentResult,
    retrieved: Retrieved,
    text: str,
    *,
    plan: Plan | None,
    facts: Facts | None,
    handoff: str | None,
    cached: bool = False,
) -> ReplyDone:
    lane = "human" if handoff else route.lane
    degraded = any(s.detail.degraded for s in run.stages)
    verified = (
        retrieved.customer.id
        if retrieved.verification == "verified_now" and retrieved.customer
        else None
    )
    return ReplyDone(
        text=text,
        lane=lane,
        intent=intent,
        handoff_reason=handoff,
        degraded=degraded,
        facts=facts,
        plan=plan,
        stages=tuple(run.stages),
        verified_customer_id=verified,
        cached=cached,
        language=run.language,
    )
