"""Offline intent classifier: naive Bayes over words and character n-grams.

Trained once, lazily, from the project's own examples (``intent_data``); no network
and no third-party code, so it also serves as the last fallback when every model
provider is down. A few keyword cues encode domain knowledge the examples cannot
carry alone (a "receipt" is an invoice question) and surface secondary intents in
messages that ask for several things at once.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

from pipeline.offline.intent_data import generic_words, load_examples
from pipeline.offline.text_features import features, tokens

INTENTS: tuple[str, ...] = (
    "order_status",
    "shipping_expedite",
    "refund_request",
    "cancel_order",
    "change_order",
    "place_order",
    "change_address",
    "payment",
    "invoice",
    "product_inquiry",
    "complaint_escalation",
    "human_agent",
    "account",
    "feedback",
    "other",
)

_ALPHA = 0.3
# Scales the per-feature average log-likelihood into a softmax that is neither
# overconfident (raw naive Bayes) nor flat; chosen on held-out project examples.
_SHARPNESS = 6.0
_SECONDARY_RATIO = 0.35
_SECONDARY_FLOOR = 0.12


@dataclass(frozen=True)
class IntentPrediction:
    primary: str
    secondary: tuple[str, ...]
    confidence: float
    scores: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class _Model:
    log_probs: dict[str, tuple[float, ...]]
    generic: frozenset[str]
    domain: frozenset[str]  # words the store's intents use and small talk does not
    domain_deletes: frozenset[str]  # each domain word with one letter dropped, for typos


# Explicit, unambiguous wording for an intent; used to name secondary intents in
# multi-request messages and to nudge the primary when the model is unsure.
_CUES: dict[str, re.Pattern[str]] = {
    "shipping_expedite": re.compile(
        r"\b(expedite|expedited|speed (it|this|that)? ?up|rush (it|my|the)|overnight|"
        r"next[- ]day|express (shipping|delivery)|faster shipping|upgrade (the |my )?shipping)\b"
    ),
    "order_status": re.compile(
        r"\b(where'?s? (is )?my (order|package|parcel)|tracking|stuck in|hasn'?t (arrived|shipped)|"
        r"not (arrived|received)|been \d+ (days|weeks)|order status)\b"
    ),
    "refund_request": re.compile(r"\b(refund|refunded|money back|reimburse\w*)\b"),
    "cancel_order": re.compile(r"\bcancel\w* (my |the |this )?(order|purchase)\b"),
    "invoice": re.compile(r"\b(invoices?|receipts?|bills?)\b(?! me)"),
    "human_agent": re.compile(r"\b(real person|human|live agent|representative)\b"),
    "change_address": re.compile(r"\b(shipping|delivery|new|wrong) address\b"),
    "complaint_escalation": re.compile(r"\b(complaint|unacceptable|supervisor|manager)\b"),
}
_CUE_BOOST = 0.6
# Added to `other` when no word of the message belongs to the store's vocabulary:
# the model has never seen "airport" or "turtles", so its vote there means little.
_OUT_OF_SCOPE_BOOST = 3.0
_OTHER = INTENTS.index("other")


def _train() -> _Model:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text, intent in load_examples():
        counts[intent].update(features(text))
    vocabulary = set().union(*counts.values())
    totals = {intent: sum(counts[intent].values()) for intent in INTENTS}
    denominators = {i: math.log(totals[i] + _ALPHA * len(vocabulary)) for i in INTENTS}
    log_probs = {
        feat: tuple(math.log(counts[i][feat] + _ALPHA) - denominators[i] for i in INTENTS)
        for feat in vocabulary
    }
    generic = frozenset(w for word in generic_words() for w in tokens(word))
    domain = _domain_words(counts, generic)
    return _Model(log_probs, generic, domain, frozenset(d for w in domain for d in _deletes(w)))


def _domain_words(counts: dict[str, Counter[str]], generic: frozenset[str]) -> frozenset[str]:
    words: dict[str, Counter[str]] = defaultdict(Counter)
    for intent, feats in counts.items():
        for feat, n in feats.items():
            if feat.startswith("w:") and feat[2:] not in generic:
                words[feat[2:]][intent == "other"] += n
    return frozenset(
        w for w, n in words.items() if len(w) >= 3 and n[False] >= 2 and n[True] * 10 < n[False]
    )


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} if len(word) >= 4 else set()


def _in_scope(text: str, model: _Model) -> bool:
    """True when some word is store vocabulary, allowing one typo in longer words."""
    for word in tokens(text):
        if word in model.generic:
            continue
        if word in model.domain or (len(word) >= 4 and word in model.domain_deletes):
            return True
        if len(word) >= 5 and not _deletes(word).isdisjoint(model.domain | model.domain_deletes):
            return True
    return False


@cache
def _model() -> _Model:
    return _train()


def _raw_scores(text: str, model: _Model) -> list[float]:
    sums = [0.0] * len(INTENTS)
    seen = 0
    for feat in features(text):
        row = model.log_probs.get(feat)
        if row is None:
            continue
        seen += 1
        for k, value in enumerate(row):
            sums[k] += value
    if not seen:
        return [0.0] * len(INTENTS)
    return [s / seen * _SHARPNESS for s in sums]


def _cue_hits(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    return tuple(intent for intent, pattern in _CUES.items() if pattern.search(lowered))


def _softmax(values: list[float]) -> list[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def classify(text: str) -> IntentPrediction:
    """Primary intent, secondary intents, and a calibrated confidence for ``text``."""
    model = _model()
    scores = _raw_scores(text, model)
    cues = _cue_hits(text)
    if not cues and not _in_scope(text, model):
        scores[_OTHER] += _OUT_OF_SCOPE_BOOST
    for intent in cues:
        scores[INTENTS.index(intent)] += _CUE_BOOST
    probs = _softmax(scores)
    ranked = sorted(zip(INTENTS, probs, strict=True), key=lambda pair: -pair[1])
    primary, confidence = ranked[0]
    return IntentPrediction(
        primary=primary,
        secondary=_secondary(ranked, cues),
        confidence=round(confidence, 4),
        scores=tuple((intent, round(p, 4)) for intent, p in ranked),
    )


def _secondary(ranked: list[tuple[str, float]], cues: tuple[str, ...]) -> tuple[str, ...]:
    primary, top = ranked[0]
    close = [
        intent
        for intent, p in ranked[1:3]
        if intent != "other" and p >= _SECONDARY_FLOOR and p >= top * _SECONDARY_RATIO
    ]
    cued = [intent for intent in cues if intent != primary and intent not in close]
    return tuple(close + cued) if primary != "other" else ()
