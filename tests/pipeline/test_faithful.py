"""A model-written help-center answer may state only what its cited passages state: numbers,
amounts, percents, dates, named policies and links."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.rules.faithful import check_answer, named_policies
from pipeline.types import ArticleView

TODAY = dt.date(2026, 12, 2)
RETURNS = ArticleView(
    slug="returns-and-refunds",
    title="Returns and refunds",
    heading="",
    body=(
        "You can return most items within 30 days of delivery for a full refund of the item "
        "price. Refunds go back to the original payment method within 5 business days of "
        "approval. Our support assistant can approve refunds up to $50.00."
    ),
    url="/help/returns-and-refunds/",
)
VIP = ArticleView(
    slug="vip-program",
    title="VIP program",
    heading="Tiers",
    body="Silver members get 10% off every order; Gold members get 15% off and free express.",
    url="/help/vip-program/",
)


def check(text: str, *passages: ArticleView) -> tuple[str, ...]:
    return check_answer(text, passages or (RETURNS,), today=TODAY).problems


@pytest.mark.parametrize(
    "text",
    [
        "You have 30 days from delivery to send an item back for a full refund.",
        "You have thirty days to return it, and the refund reaches your card within five "
        "business days.",
        "Refunds up to $50 can be approved by our assistant right away.",
        "Under our return policy most items can come back within 30 days.",
        "More in /help/returns-and-refunds/ if you need the details.",
        "Tienes 30 días para devolverlo y el asistente aprueba devoluciones de hasta 50,00 US$.",
    ],
)
def test_a_faithful_answer_passes(text: str) -> None:
    assert check(text) == ()


def test_a_faithful_answer_over_two_passages_passes() -> None:
    text = "Gold members get 15% off, Silver 10%; returns are accepted within 30 days."
    assert check(text, RETURNS, VIP) == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("You have 60 days to return an item.", "number 60"),
        ("You have sixty days to return an item.", "number 60"),
        ("We refund up to $75.00 without review.", "amount $75.00"),
        ("El asistente aprueba hasta 75,00 US$.", "amount $75.00"),
        ("Returns get a 20% restocking fee.", "20%"),
        ("Returns are free until January 15.", "date"),
        ("Our price match guarantee covers that.", "price match guarantee"),
        ("Members of the Platinum tier get free returns.", "platinum tier"),
        ("See https://elsewhere.example/returns for more.", "not a cited article"),
    ],
)
def test_an_answer_stating_what_no_passage_does_fails(text: str, problem: str) -> None:
    problems = check(text)
    assert problems and any(problem in p for p in problems), problems


def test_a_fact_from_another_article_is_not_cited_by_this_one() -> None:
    assert check("Gold members get 15% off.", RETURNS)
    assert check("Gold members get 15% off.", VIP) == ()


def test_a_policy_name_is_its_words_before_the_noun() -> None:
    assert [name for name, _ in named_policies("Ask about our price match guarantee.")] == [
        "price match guarantee"
    ]
    assert named_policies("That is the plan.") == []
