"""The fast lane's plan from the passages retrieval found (pure: no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.rules.grounding import extract, grounded_plan
from pipeline.types import ArticleView, Grounding, IntentResult
from tests.pipeline.builders import retrieved

PASSAGE = ArticleView(
    slug="gift-cards",
    title="Gift cards",
    body="Digital gift cards come in $25, $50 and $100. They never expire. Codes are e-mailed.",
    url="/help/gift-cards/",
)


def plan_for(text: str, intent: str, *passages: ArticleView):
    found = replace(retrieved(), groundings=(Grounding(text, passages),))
    return grounded_plan(found, IntentResult(intent, (), 0.9, "offline"))


def test_the_extract_is_the_lead_and_the_sentences_on_the_question() -> None:
    assert extract(PASSAGE, "do gift cards expire?") == (
        "Digital gift cards come in $25, $50 and $100. They never expire."
    )


@pytest.mark.parametrize(
    ("text", "intent"), [("thanks, great service!", "feedback"), ("hi", "other")]
)
def test_small_talk_gets_the_capabilities_not_a_refusal(text: str, intent: str) -> None:
    assert plan_for(text, intent).steps[0].kind == "capabilities"


def test_a_question_with_no_passage_is_declined() -> None:
    plan = plan_for("do you price match?", "payment")
    assert [s.kind for s in plan.steps] == ["unknown"]


def test_an_answer_links_its_article() -> None:
    plan = plan_for("do gift cards expire?", "other", PASSAGE)
    assert plan.steps[0].kind == "article" and "/help/gift-cards/" in plan.steps[0].summary
