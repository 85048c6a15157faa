"""Stage 1, intent: classify the message into the taxonomy, as schema-checked JSON.

One repair round on invalid output (the model sees what was wrong); then the offline classifier.
"""

from __future__ import annotations

import json

from llm.gateway import Gateway, RequestBudget
from llm.types import ChatRequest, Completion
from pipeline import prompts
from pipeline.offline.intent import INTENTS, classify
from pipeline.tracing import stage_trace
from pipeline.types import IntentResult, StageDetail, StageTrace


class InvalidIntent(ValueError):
    pass


def parse_intent(raw: str) -> IntentResult:
    """Validate the intent JSON against its schema; raise InvalidIntent saying what is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidIntent(f"not JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise InvalidIntent("expected a JSON object")
    primary = data.get("primary")
    if primary not in INTENTS:
        raise InvalidIntent(f"primary must be one of the taxonomy, got {primary!r}")
    secondary = data.get("secondary", [])
    if not isinstance(secondary, list) or any(s not in INTENTS for s in secondary):
        raise InvalidIntent("secondary must be a list of taxonomy intents")
    confidence = data.get("confidence", 0.5)
    if not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise InvalidIntent("confidence must be a number from 0 to 1")
    ordered = tuple(dict.fromkeys(s for s in secondary if s != primary))
    return IntentResult(
        primary=primary,
        secondary=ordered[:3],
        confidence=float(confidence),
        source="model",
        runner_up=ordered[0] if ordered else None,
    )


def offline_intent(text: str) -> IntentResult:
    prediction = classify(text)
    return IntentResult(
        primary=prediction.primary,
        secondary=prediction.secondary,
        confidence=prediction.confidence,
        source="offline",
        runner_up=prediction.scores[1][0],
    )


def _offline_json(text: str) -> str:
    result = offline_intent(text)
    return json.dumps(
        {
            "primary": result.primary,
            "secondary": list(result.secondary),
            "confidence": result.confidence,
        }
    )


async def intent_stage(
    *, text: str, gateway: Gateway, budget: RequestBudget | None, customer_key: str | None
) -> tuple[IntentResult, StageTrace]:
    base = prompts.messages(prompts.INTENT_SYSTEM, "intent", {"message": text})
    request = ChatRequest(stage="intent", messages=base, json_mode=True, customer_key=customer_key)
    completion = await gateway.complete(
        request, offline=lambda _: _offline_json(text), budget=budget
    )
    completions = [completion]
    if completion.offline:
        return offline_intent(text), stage_trace("intent", completions)
    try:
        return parse_intent(completion.text), stage_trace("intent", completions)
    except InvalidIntent as problem:
        repaired = await _repair(request, completion, str(problem), gateway, budget, text)
        completions.append(repaired)
    try:
        result = parse_intent(repaired.text)
        source = "offline" if repaired.offline else "model-repaired"
        return _with_source(result, source), stage_trace("intent", completions, repairs=1)
    except InvalidIntent as problem:
        trace = stage_trace(
            "intent", completions, repairs=1, detail=StageDetail(invalid=str(problem))
        )
        return offline_intent(text), trace


async def _repair(
    request: ChatRequest,
    bad: Completion,
    problem: str,
    gateway: Gateway,
    budget: RequestBudget | None,
    text: str,
) -> Completion:
    follow_up = (
        {"role": "assistant", "content": bad.text[:2000]},
        {
            "role": "user",
            "content": f"That reply was invalid ({problem}). Reply with the JSON object only.",
        },
    )
    retry = ChatRequest(
        stage="intent",
        messages=(*request.messages, *follow_up),
        json_mode=True,
        customer_key=request.customer_key,
    )
    return await gateway.complete(retry, offline=lambda _: _offline_json(text), budget=budget)


def _with_source(result: IntentResult, source: str) -> IntentResult:
    return IntentResult(
        result.primary, result.secondary, result.confidence, source, result.runner_up
    )
