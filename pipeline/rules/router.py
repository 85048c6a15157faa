"""The router: which lane a message takes, and the refusal policy that sends it to a human."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.types import IntentResult, Lane, Mentions

FAST_INTENTS = frozenset(
    {"payment", "invoice", "account", "product_inquiry", "feedback", "place_order", "other"}
)
# Below this the bot asks which of the two likeliest meanings the customer has in mind (and on
# a second low-confidence turn in a row, brings in a person). Chosen on the project's held-out
# messages (`manage.py eval_intents --heldout`, "suggested low-confidence threshold"): the
# threshold with the lowest cost when a confident wrong answer costs 1 and a needless
# clarifying question 0.5 (pipeline/evaluation.py choose_threshold). With the calibrated
# offline classifier that is 0.30; about 1 in 20 held-out messages fall below it.
LOW_CONFIDENCE = 0.30
_GENERAL = re.compile(
    r"\b(policy|policies|how (long|do|does|can|much)|what (is|are)|do you|can i|is it possible)\b",
    re.I,
)
_PERSONAL = re.compile(r"\b(my|mine|our|i ordered|i bought|i placed|i paid)\b", re.I)


@dataclass(frozen=True)
class Route:
    lane: Lane
    reason: str
    clarify: bool = False  # ask what the customer means before acting on a guess


def choose_lane(
    *,
    intent: IntentResult,
    mentions: Mentions,
    text: str,
    low_confidence_streak: int,
    failure_streak: int,
) -> Route:
    human = _refusal(intent, mentions, low_confidence_streak, failure_streak)
    if human:
        return Route("human", human)
    if intent.confidence < LOW_CONFIDENCE:
        return Route("fast", "unsure what is asked", clarify=True)
    if mentions.order_refs or mentions.emails:
        return Route("full", "names an order")
    if intent.primary in FAST_INTENTS and not mentions.requests.refund:
        return Route("fast", "answered from policy articles")
    if _GENERAL.search(text) and not _PERSONAL.search(text):
        return Route("fast", "a general policy question")
    return Route("full", "needs the customer's records")


def _refusal(
    intent: IntentResult, mentions: Mentions, low_streak: int, failures: int
) -> str | None:
    requests = mentions.requests
    if requests.legal_threat:
        return "legal threat"
    if requests.account_deletion:
        return "account deletion"
    if requests.human or (intent.primary == "human_agent" and intent.confidence >= 0.5):
        return "customer asked for a person"
    if intent.confidence < LOW_CONFIDENCE and low_streak >= 1:
        return "repeated low confidence"
    if failures >= 2:
        return "repeated failure"
    return None
