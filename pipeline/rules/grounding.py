"""The fast lane's answers, grounded in the knowledge base: each question of the message is
answered from its own passage, quoted (the sentences that bear on the question), with a link to
the article; a question nothing in the knowledge base is relevant enough to answer is said to be
unknown, and a person is offered. Never an unrelated article."""

from __future__ import annotations

import re

from knowledge.search import terms
from pipeline.rules.plan import phrase_step
from pipeline.types import ActionItem, ArticleView, Grounding, IntentResult, Plan, Retrieved

MAX_QUESTIONS = 3
CHATTER = frozenset({"other", "feedback"})  # intents whose statements are not questions
EXTRACT_SENTENCES = 3
_QUESTION = re.compile(
    r"^(and |also |oh and )?(how|what|whats|what's|when|where|which|who|why|can|could|do|does|"
    r"did|is|are|will|would|should|may|any)\b",
    re.I,
)


def questions_in(text: str) -> tuple[str, ...]:
    """The questions of a message, when it asks several ("How long is shipping? And do you take
    PayPal?"); else the whole message as one."""
    parts = [p.strip() for p in re.split(r"(?<=[?!.])\s+|\n+", text) if p.strip()]
    asked = [p for p in parts if p.endswith("?") or _QUESTION.match(p)]
    if len(asked) >= 2:
        return tuple(asked[:MAX_QUESTIONS])
    return (text.strip(),)


def looks_like_a_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(_QUESTION.match(text.strip()))


def extract(passage: ArticleView, question: str) -> str:
    """The passage's first sentence and the ones sharing most words with the question, in the
    passage's order: an extract, so every fact in it is the article's own."""
    sentences = _sentences(passage.body)
    wanted = set(terms(question))
    scored = [(len(wanted & set(terms(s))), -i) for i, s in enumerate(sentences)]
    best = sorted(range(1, len(sentences)), key=lambda i: scored[i], reverse=True)
    keep = {0, *(i for i in best[: EXTRACT_SENTENCES - 1] if scored[i][0] > 0)}
    return " ".join(sentences[i] for i in sorted(keep))


def grounded_plan(retrieved: Retrieved, intent: IntentResult) -> Plan:
    groundings = retrieved.groundings
    known = [g for g in groundings if g.passages]
    if not known and not _asks_about_something(groundings, intent):
        return _plan("capabilities", phrase_step("capabilities", "capabilities"))
    if not known:
        return _plan("unknown", phrase_step("unknown", "no_article"))
    several = len(groundings) > 1
    steps = [_answer(g, several) for g in groundings]
    if len(known) < len(groundings):
        steps.append(phrase_step("offer_person", "offer_person"))
    return _plan(known[0].passages[0].title, *steps)


def _asks_about_something(groundings: tuple[Grounding, ...], intent: IntentResult) -> bool:
    """A question with a topic (not "hi", "thanks!" or small talk): one the bot owes an answer
    or an honest "I don't have an article on that"."""
    if not any(terms(g.question) for g in groundings):
        return False
    return intent.primary not in CHATTER or any(
        looks_like_a_question(g.question) for g in groundings
    )


def answers_every_question(retrieved: Retrieved) -> bool:
    groundings = retrieved.groundings
    return bool(groundings) and all(g.passages for g in groundings)


def answer_cache_parts(retrieved: Retrieved) -> tuple[str, ...]:
    """What a cached answer rests on: each question's words and the passage that answers it."""
    return tuple(
        " ".join(sorted(set(terms(g.question))))
        + ">"
        + ",".join(f"{p.slug}#{p.heading}" for p in g.passages)
        for g in retrieved.groundings
    )


def _answer(grounding: Grounding, several: bool) -> ActionItem:
    lead = f"“{grounding.question}”: " if several else ""
    if not grounding.passages:
        return ActionItem("unknown", f"{lead}I don't have an article on that, so I won't guess.")
    passage = grounding.passages[0]
    text = extract(passage, grounding.question)
    return ActionItem("article", f"{lead}{text} (More in “{passage.title}”: {passage.url})")


def _plan(headline: str, *steps: ActionItem) -> Plan:
    return Plan(headline=headline, steps=tuple(steps), source="deterministic")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
