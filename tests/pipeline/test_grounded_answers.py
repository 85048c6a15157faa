"""The fast lane answers policy and product questions from the help center's passages, links the
article, and says so when it has no article, instead of quoting an unrelated one."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from knowledge.services import knowledge_import_upload
from pipeline.rules.grounding import questions_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_with_several_questions_is_split_into_them() -> None:
    assert questions_in("Hi! How long does express take? And do you take PayPal?") == (
        "How long does express take?",
        "And do you take PayPal?",
    )
    assert questions_in("what's your return policy") == ("what's your return policy",)


async def test_a_product_question_is_answered_from_its_passage_with_a_link(start_chat) -> None:
    chat = await start_chat()
    answer = await chat.say("How do I descale the kettle?")
    assert answer.trace.lane == "fast"
    assert "vinegar" in answer.text
    assert "/help/product-care-kitchen/" in answer.text
    stage = next(s for s in answer.trace.stages if s["stage"] == "answer")
    assert stage["detail"]["articles"] == ["product-care-kitchen"]


@pytest.mark.parametrize("question", ["how to clean the jacket?", "Do you price match?"])
async def test_a_question_with_no_article_is_declined_and_a_person_offered(
    start_chat, question: str
) -> None:
    chat = await start_chat()
    answer = await chat.say(question)
    assert "don't have an article on that" in answer.text
    assert "member of our team" in answer.text
    assert "/help/" not in answer.text  # no unrelated article
    stage = next(s for s in answer.trace.stages if s["stage"] == "answer")
    assert stage["detail"].get("articles", []) == []


async def test_each_question_gets_its_own_passage_or_its_own_decline(start_chat) -> None:
    chat = await start_chat()
    answer = await chat.say(
        "Do you accept Apple Pay? Do you offer gift wrapping? Do you ship to Canada?"
    )
    assert "Apple Pay" in answer.text and "/help/payment-methods/" in answer.text
    assert "United States" in answer.text and "/help/international-shipping/" in answer.text
    assert "“Do you offer gift wrapping?”: I don't have an article on that" in answer.text
    assert "member of our team" in answer.text


async def test_reimporting_an_article_invalidates_the_cached_answer(start_chat) -> None:
    chat = await start_chat()
    question = "Do gift cards expire?"
    first = await chat.say(question)
    assert "never expire" in first.text
    assert (await chat.say(question)).trace.cached is True
    changed = "# Gift cards\n\nGift cards expire after five years.\n"
    await sync_to_async(knowledge_import_upload)("gift-cards.md", changed.encode())
    third = await chat.say(question)
    assert third.trace.cached is False and "five years" in third.text
