"""The reply in the customer's language: the offline engine's fixed sentences in Spanish, French and
German with the same facts; English, honestly, for every other language; the conversation keeps
the language; a model told the language writes in it, and its localized facts are checked like
English ones."""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from conversations.models import Conversation
from fakes.responder import localized_responder
from llm.gateway import get_gateway
from orders.demo import FLAGSHIP_EMAIL, flagship_message
from pipeline.offline.language import detect_language
from pipeline.rules.phrases import PHRASES, fmt_date, fmt_money, say
from pipeline.rules.plan import deterministic_plan, handoff_plan, render_plan
from pipeline.rules.policy import compute_facts
from pipeline.rules.verifier import FactSheet, check_text, fact_sheet
from tests.pipeline.builders import INTENT, NOW, TODAY, flagship

ENGLISH_ONLY = say("english_only")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_a_translation_states_the_same_facts_as_the_english_sentence(language: str) -> None:
    # English-only wording ({article}, a policy {reason}) may go; a fact placeholder may not.
    for phrase, template in PHRASES[language].items():
        english = _fields(PHRASES["en"][phrase]) - {"article", "reason"}
        assert _fields(template) - {"tier"} == english, phrase


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_the_flagship_offline_reply_in_each_language_passes_the_fact_check(language: str) -> None:
    data = flagship()
    facts = compute_facts(data, now=NOW)
    plan = deterministic_plan(facts=facts, retrieved=data, intent=INTENT)
    sheet = fact_sheet(facts=facts, retrieved=data, plan=plan, customer_text="")
    text = render_plan(plan, first_name="Sarah", language=language)
    assert check_text(text, sheet, today=TODAY).ok
    assert ENGLISH_ONLY not in text and detect_language(text) == language
    assert fmt_money(facts.discount.amount, language) in text
    assert fmt_money(facts.shipping_refund, language) in text
    assert fmt_date(facts.deadline, language) in text
    assert "ORD-4521" in text


def test_english_output_is_the_plan_summaries_as_before() -> None:
    data = flagship()
    facts = compute_facts(data, now=NOW)
    plan = deterministic_plan(facts=facts, retrieved=data, intent=INTENT)
    summaries = " ".join(step.summary for step in plan.steps)
    assert render_plan(plan, first_name="Sarah") == "Hi Sarah! " + summaries
    assert "I've applied your VIP discount of 15%: $28.35 goes back" in summaries


@pytest.mark.parametrize("language", ["it", "pt", "xx"])
def test_other_languages_get_english_that_says_so_and_offers_a_person(language: str) -> None:
    text = render_plan(handoff_plan("asked"), first_name="Luca", language=language)
    assert text == "Hi Luca! " + ENGLISH_ONLY + handoff_plan("asked").steps[0].summary
    assert "ask for a person" in ENGLISH_ONLY


def test_a_step_only_written_in_english_makes_the_whole_reply_english() -> None:
    data = flagship()
    facts = compute_facts(data, now=NOW)
    facts = facts.__class__(**{**facts.__dict__, "discount": None, "shipping_refund": None})
    refused = deterministic_plan(facts=facts, retrieved=data, intent=INTENT)
    refused = refused.__class__(
        headline=refused.headline,
        steps=(*refused.steps, refused.steps[0].__class__("refund_refused", "I can't refund.")),
        source="model",
    )
    text = render_plan(refused, language="es")
    assert text.startswith(ENGLISH_ONLY) and text.endswith("I can't refund.")


SHEET = FactSheet(
    amounts=frozenset({Decimal("1093.34"), Decimal("14.99")}),
    dates=frozenset({dt.date(2026, 12, 10)}),
    orders=frozenset({"ORD-4521"}),
    numbers=frozenset(),
    percents=frozenset({Decimal(15)}),
    payouts=frozenset({Decimal("14.99")}),
)
SHEET_TODAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    "sentence",
    [
        "Costs $1,093.34.",
        "Cuesta 1.093,34 US$.",
        "Coûte 1 093,34 $US.",
        "Kostet 1.093,34 $.",
        "Llega el 10 de diciembre.",
        "Llega el miércoles 10 de diciembre.",
        "Elle arrive le 10 décembre.",
        "Ankunft am Mittwoch, 10. Dezember.",
        "Arriva il 10 dicembre.",
        "Chega a 10 de dezembro.",
        "Un descuento del 15 %.",
        "Te he reembolsado 14,99 US$.",
        "Ich habe Ihnen 14,99 $ erstattet.",
        "El pedido ORD-4521 está en camino.",
    ],
)
def test_a_correctly_localized_fact_passes(sentence: str) -> None:
    assert check_text(sentence, SHEET, today=SHEET_TODAY).ok


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("Cuesta 1.093,35 US$.", "amount $1093.35 is not in the facts"),
        ("Coûte 1 039,34 $US.", "amount $1039.34 is not in the facts"),
        ("Cuesta 1.093,34 €.", "amount 1.093,34 € is in another currency than the store's"),
        ("Llega el 11 de diciembre.", "date 2026-12-11 is not in the facts"),
        ("Elle arrive le 1er décembre.", "date 2026-12-01 is not in the facts"),
        ("Ankunft am 11. Dezember.", "date 2026-12-11 is not in the facts"),
        ("Un descuento del 20 %.", "20% is not in the facts"),
        ("Te he reembolsado 1.093,34 US$.", "says $1093.34 was paid back"),
        ("J'ai remboursé 1 093,34 $US.", "says $1093.34 was paid back"),
        ("Ich habe Ihnen 1.093,34 $ erstattet.", "says $1093.34 was paid back"),
        ("El pedido ORD-9999 está en camino.", "order ORD-9999 is not one of"),
    ],
)
def test_a_wrong_localized_fact_is_still_caught(sentence: str, problem: str) -> None:
    verdict = check_text(sentence, SHEET, today=SHEET_TODAY)
    assert not verdict.ok
    assert any(p.startswith(problem) for p in verdict.problems), verdict.problems


# -- end to end, through respond_to_message --


@pytest.mark.django_db(transaction=True)
async def test_the_conversation_keeps_the_customers_language(start_chat) -> None:
    chat = await start_chat()
    answer = await chat.say("Hola, ¿dónde está mi pedido? Gracias")
    assert detect_language(answer.text) == "es" and ENGLISH_ONLY not in answer.text
    assert (await Conversation.objects.aget(pk=answer.conversation.pk)).language == "es"
    answer = await chat.say("ORD-4521")  # no words to tell a language by: Spanish still
    assert detect_language(answer.text) == "es"
    assert (await Conversation.objects.aget(pk=answer.conversation.pk)).language == "es"
    answer = await chat.say("sorry, where is my order please?")
    assert detect_language(answer.text) == "en"
    assert (await Conversation.objects.aget(pk=answer.conversation.pk)).language == "en"


@pytest.mark.django_db(transaction=True)
async def test_an_italian_customer_is_answered_in_english_and_offered_a_person(start_chat) -> None:
    chat = await start_chat()
    answer = await chat.say("Ciao, dove è il mio ordine? Grazie")
    assert ENGLISH_ONLY in answer.text
    assert (await Conversation.objects.aget(pk=answer.conversation.pk)).language == "it"


def _spanish_flagship() -> str:
    # The flagship's facts, in Spanish words; the offline entity reader understands the order id.
    return "Hola, ¿dónde está mi pedido ORD-4521? Necesito el paquete, gracias"


async def _through_fake_server(start_chat, settings: Any, responder) -> Any:
    from fakes.llm_server import running_fake_server

    async with running_fake_server(responder=responder) as server:
        settings.LLM = {**settings.LLM, "BASE_URL": server.base_url, "API_KEY": "sk-test-0123"}
        try:
            chat = await start_chat(FLAGSHIP_EMAIL)
            return await chat.say(_spanish_flagship())
        finally:
            await get_gateway().aclose()


def _empathy_detail(answer: Any) -> dict[str, Any]:
    return next(s for s in answer.trace.stages if s["stage"] == "empathy")["detail"]


@pytest.mark.django_db(transaction=True)
async def test_a_model_told_the_language_writes_in_it_and_its_true_facts_pass(
    start_chat, settings: Any
) -> None:
    answer = await _through_fake_server(start_chat, settings, localized_responder())
    assert answer.text.startswith("Siento mucho las molestias, Sarah.")
    assert "Te confirmo estos datos:" in answer.text
    assert " US$" in answer.text or " de " in answer.text  # facts written the Spanish way
    assert "drift" not in _empathy_detail(answer)
    assert not _empathy_detail(answer).get("fell_back_to_plan")


@pytest.mark.django_db(transaction=True)
async def test_a_model_that_drifts_a_date_in_spanish_is_caught(start_chat, settings: Any) -> None:
    answer = await _through_fake_server(start_chat, settings, localized_responder(shift_days=1))
    detail = _empathy_detail(answer)
    assert any(p.startswith("date ") for p in detail["drift"]), detail
    assert "Para ser exactos: " in answer.text  # the plan's own Spanish sentences finish it
    assert detect_language(answer.text) == "es"


def test_the_flagship_message_still_reads_as_english() -> None:
    assert detect_language(flagship_message(timezone.now())) == "en"
