"""The fast lane's answer written by the model from the help-center passages, when there is a
model endpoint: a reply in the customer's words and language rather than quoted sentences.

It is shown only if it is faithful to the passages (pipeline.rules.faithful): anything it
states that no cited passage does, and the extract answers instead, as it does offline. The
links to the articles are added here, not left to the model. The whole answer is checked before
any of it is shown (it is short; a wrong number must not stream out and be taken back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from llm.budget import RequestBudget
from llm.gateway import Gateway
from llm.types import ChatRequest
from pipeline import prompts
from pipeline.rules.faithful import check_answer
from pipeline.tracing import stage_trace
from pipeline.types import ArticleView, Grounding, StageDetail, StageTrace


@dataclass(frozen=True)
class WrittenAnswer:
    text: str
    trace: StageTrace
    written: bool  # the model's answer was kept (else the extract)


async def written_answer(
    *,
    groundings: tuple[Grounding, ...],
    extract: str,
    language: str,
    today: dt.date,
    gateway: Gateway,
    budget: RequestBudget | None,
    customer_key: str | None,
) -> WrittenAnswer:
    """The model's answer to every question from its passages, checked; else `extract`."""
    passages = cited(groundings)
    slugs = tuple(dict.fromkeys(p.slug for p in passages))
    completion = await gateway.complete(
        request(groundings, passages, language, customer_key),
        offline=lambda _: extract,
        budget=budget,
    )
    if completion.offline:
        detail = StageDetail(articles=slugs, fell_back_to_plan=True)
        return WrittenAnswer(extract, stage_trace("answer", [completion], detail=detail), False)
    text = completion.text.strip()
    problems = check_answer(text, passages, today=today).problems
    if completion.truncated:
        problems = (*problems, "cut off at the token limit")
    if not text:
        problems = (*problems, "empty")
    kept = not problems
    detail = StageDetail(articles=slugs, drift=tuple(problems), fell_back_to_plan=not kept)
    trace = stage_trace("answer", [completion], detail=detail)
    if not kept:
        return WrittenAnswer(extract, trace, False)
    return WrittenAnswer(with_links(text, passages), trace, True)


def cited(groundings: tuple[Grounding, ...]) -> tuple[ArticleView, ...]:
    """The passage answering each question, once each (questions may share one)."""
    return tuple({(p.slug, p.heading): p for g in groundings for p in g.passages[:1]}.values())


def request(
    groundings: tuple[Grounding, ...],
    passages: tuple[ArticleView, ...],
    language: str,
    customer_key: str | None,
) -> ChatRequest:
    payload = {
        "questions": [g.question for g in groundings],
        "passages": [{"title": p.title, "heading": p.heading, "text": p.body} for p in passages],
        "language": language,
    }
    # The empathy stage's model and limits: this is the fast lane's writing step.
    return ChatRequest(
        stage="empathy",
        messages=prompts.messages(prompts.ANSWER_SYSTEM, "answer", payload),
        customer_key=customer_key,
    )


def with_links(text: str, passages: tuple[ArticleView, ...]) -> str:
    articles = {p.slug: p for p in passages}.values()
    links = " ".join(f"(More in “{p.title}”: {p.url})" for p in articles if p.url not in text)
    return f"{text} {links}".strip()
