"""Passage search over the demo help center (moved here from tests/orders/test_selectors.py when
the search moved from orders.selectors to knowledge.search; the four lookups are the same)."""

from __future__ import annotations

import pytest

from knowledge.models import Passage
from knowledge.search import (
    RELEVANCE_THRESHOLD,
    confident,
    index_optimize,
    passage_index,
    search,
)
from orders.models import KnowledgeArticle
from pipeline.rules.snapshot import store_rules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("how long do I have to return something for a refund", "returns-and-refunds"),
        ("my parcel is stuck and tracking hasn't moved", "late-and-stuck-parcels"),
        ("do vip members get a discount", "vip-program"),
        ("can I get an invoice with my VAT number", "invoices"),
        ("how do I descale the kettle", "product-care-kitchen"),
        ("refunding returned items", "returns-and-refunds"),
    ],
)
def test_search_finds_the_right_article(demo_store: object, query: str, slug: str) -> None:
    hits = search(query=query, index=passage_index())
    assert hits[0].passage.slug == slug and confident(hits) is hits[0]


def test_the_passage_under_the_right_heading_is_found(demo_store: object) -> None:
    hit = search(query="how do I descale the kettle", index=passage_index())[0]
    assert hit.passage.heading == "Descaling the kettle"
    assert "vinegar" in hit.passage.text


@pytest.mark.parametrize(
    "query",
    ["how to clean the jacket?", "do you price match?", "what's the capital of France?"],
)
def test_questions_the_help_center_does_not_answer_stay_under_the_threshold(
    demo_store: object, query: str
) -> None:
    hits = search(query=query, index=passage_index())
    assert confident(hits) is None
    assert all(h.relevance < RELEVANCE_THRESHOLD for h in hits)


def test_unpublished_articles_are_not_found(demo_store: object) -> None:
    KnowledgeArticle.objects.filter(slug="invoices").update(is_published=False)
    hits = search(query="invoice receipt", index=passage_index())
    assert all(h.passage.slug != "invoices" for h in hits)


def test_the_rules_snapshot_finds_an_article_published_after_it_was_taken(
    demo_store: object,
) -> None:
    question = "could you gift wrap it with a ribbon"
    before = store_rules().knowledge
    KnowledgeArticle.objects.create(
        slug="gift-wrap", title="Gift wrapping", keywords="gift wrap ribbon", body="Free."
    )
    # The snapshot taken before stays as it was; the rules taken after the save see the article.
    assert all(h.passage.slug != "gift-wrap" for h in search(query=question, index=before))
    assert search(query=question, index=store_rules().knowledge)[0].passage.slug == "gift-wrap"


def test_an_edit_splits_the_article_again_and_the_index_follows(demo_store: object) -> None:
    article = KnowledgeArticle.objects.get(slug="gift-cards")
    article.body = "Intro.\n\n## Engraving\n\nWe engrave gift cards in gold leaf."
    article.save()
    assert list(Passage.objects.filter(article=article).values_list("heading", flat=True)) == [
        "",
        "Engraving",
    ]
    hit = search(query="gold leaf engraving", index=passage_index())[0]
    assert hit.passage.slug == "gift-cards" and hit.passage.heading == "Engraving"
    article.delete()
    assert not search(query="gold leaf engraving", index=passage_index())


def test_postgres_full_text_search_ranks_passages_with_stemming(
    demo_store: object, postgres: None
) -> None:
    hits = search(query="refunding returned items", index=passage_index())
    assert hits[0].passage.slug == "returns-and-refunds"
    assert confident(search(query="how to clean the jacket?", index=passage_index())) is None


def test_the_index_still_answers_after_its_segments_are_merged(demo_store: object) -> None:
    index_optimize()
    assert search(query="how do I descale the kettle", index=passage_index())[0].passage.slug == (
        "product-care-kitchen"
    )
