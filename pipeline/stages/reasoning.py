"""Stage 3, reasoning: rules compute the facts, the model writes a plan, the verifier checks it.

A plan that fails verification goes back to the model with the failures (at most MAX_REPAIRS
rounds); after that the deterministic plan is used. The model words the plan; it never decides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from llm.budget import RequestBudget
from llm.gateway import Gateway
from llm.types import ChatRequest, Completion
from pipeline import prompts
from pipeline.rules.verifier import FactSheet, check_plan
from pipeline.tracing import stage_trace
from pipeline.types import ActionItem, Facts, Plan, StageDetail, StageTrace

MAX_REPAIRS = 3


def plan_dict(plan: Plan) -> dict[str, object]:
    return {"headline": plan.headline, "steps": [_step_json(s) for s in plan.steps]}


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan_dict(plan), default=str)


def _step_json(step: ActionItem) -> dict[str, object]:
    return {
        "kind": step.kind,
        "summary": step.summary,
        "amount": str(step.amount) if step.amount is not None else None,
        "date": step.date.isoformat() if step.date else None,
    }


class InvalidPlan(ValueError):
    pass


def parse_plan(raw: str) -> Plan:
    try:
        data = json.loads(raw)
        steps = tuple(_parse_step(s) for s in data["steps"])
        headline = str(data.get("headline", ""))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise InvalidPlan(f"plan is not valid JSON of the agreed shape: {exc}") from exc
    if not steps:
        raise InvalidPlan("plan has no steps")
    return Plan(headline=headline, steps=steps, source="model")


def _parse_step(raw: dict) -> ActionItem:
    amount = raw.get("amount")
    date = raw.get("date")
    return ActionItem(
        kind=str(raw["kind"]),
        summary=str(raw["summary"]),
        amount=Decimal(str(amount)) if amount not in (None, "") else None,
        date=dt.date.fromisoformat(date) if date else None,
    )


def facts_payload(facts: Facts, fallback: Plan) -> dict[str, object]:
    return {
        "facts": dataclasses.asdict(facts),
        "allowed_steps": [s.kind for s in fallback.steps],
        "draft": plan_dict(fallback),
    }


async def reasoning_stage(
    *,
    facts: Facts,
    fallback: Plan,
    sheet: FactSheet,
    gateway: Gateway,
    budget: RequestBudget | None,
    customer_key: str | None,
) -> tuple[Plan, StageTrace]:
    base = prompts.messages(prompts.REASONING_SYSTEM, "reasoning", facts_payload(facts, fallback))
    request = ChatRequest(
        stage="reasoning", messages=base, json_mode=True, customer_key=customer_key
    )
    offline = lambda _: plan_to_json(fallback)  # noqa: E731
    completions: list[Completion] = []
    rejections: list[str] = []
    for round_ in range(MAX_REPAIRS + 1):
        completion = await gateway.complete(request, offline=offline, budget=budget)
        completions.append(completion)
        if completion.offline:
            return fallback, stage_trace(
                "reasoning", completions, repairs=round_, detail=_detail(rejections, "offline")
            )
        problems = _problems(completion.text, facts, sheet, fallback)
        if not problems:
            plan = dataclasses.replace(
                _with_rule_phrases(parse_plan(completion.text), fallback),
                source="model-repaired" if round_ else "model",
                repairs=round_,
                rejections=tuple(rejections),
            )
            return plan, stage_trace(
                "reasoning", completions, repairs=round_, detail=_detail(rejections, "accepted")
            )
        rejections.extend(problems)
        request = _repair_request(request, completion.text, problems)
    plan = dataclasses.replace(fallback, repairs=MAX_REPAIRS, rejections=tuple(rejections))
    return plan, stage_trace(
        "reasoning", completions, repairs=MAX_REPAIRS, detail=_detail(rejections, "deterministic")
    )


def _with_rule_phrases(plan: Plan, fallback: Plan) -> Plan:
    """A model's step that says word for word what a rules' step says is that step, phrase
    included, so it too can be rendered in the customer's language."""
    ours = {(s.kind, s.summary, s.amount, s.date): s for s in fallback.steps}
    steps = tuple(ours.get((s.kind, s.summary, s.amount, s.date), s) for s in plan.steps)
    return dataclasses.replace(plan, steps=steps)


def _problems(raw: str, facts: Facts, sheet: FactSheet, fallback: Plan) -> list[str]:
    try:
        plan = parse_plan(raw)
    except InvalidPlan as exc:
        return [str(exc)]
    problems = list(check_plan(plan, facts, sheet).problems)
    # The rules' plan is the minimum: a plan that forgets the discount or the deadline is wrong.
    missing = [s.kind for s in fallback.steps if s.kind not in {p.kind for p in plan.steps}]
    problems += [f"missing step {kind}" for kind in missing]
    return problems


def _repair_request(request: ChatRequest, bad: str, problems: list[str]) -> ChatRequest:
    follow_up = (
        {"role": "assistant", "content": bad[:4000]},
        {
            "role": "user",
            "content": "The verifier rejected that plan: "
            + "; ".join(problems[:8])
            + ". Send a corrected plan as JSON only.",
        },
    )
    return dataclasses.replace(request, messages=(*request.messages, *follow_up))


def _detail(rejections: list[str], verdict: str) -> StageDetail:
    return StageDetail(verdict=verdict, rejections=tuple(rejections))
