"""Intent-stage evaluation: accuracy, macro-F1, per-intent table, latency, tokens, cost.

The classifier under test is any callable from text to ``ClassifiedText``, sync or
async, so the same report measures the offline classifier today and the pipeline's
intent stage (which may call a model) later.
"""

from __future__ import annotations

import asyncio
import csv
import inspect
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from llm.gateway import Gateway, get_gateway
from pipeline.offline.intent import INTENTS, classify
from pipeline.stages.intent import intent_stage


@dataclass(frozen=True)
class ClassifiedText:
    intent: str
    confidence: float = 1.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str


@dataclass(frozen=True)
class LoadedRows:
    rows: tuple[LabelledText, ...]
    skipped: tuple[tuple[str, int], ...]  # (source label, rows) with no taxonomy intent


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True)
class EvaluationReport:
    total: int
    accuracy: float
    macro_f1: float  # over intents present in the gold labels
    macro_f1_all: float  # over gold and predicted intents, as sklearn's "macro" does
    per_intent: tuple[IntentScore, ...]
    confusions: tuple[tuple[str, str, int], ...]  # (gold, predicted, count), worst first
    latency_p50_ms: float
    latency_p95_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float
    skipped: tuple[tuple[str, int], ...]
    other_recall: float  # share of out-of-scope messages answered with `other`
    ece: float  # expected calibration error of the confidence, 10 equal-width bins
    # The confidence below which the bot should ask rather than act (see choose_threshold).
    suggested_threshold: float


Classifier = Callable[[str], "ClassifiedText | Awaitable[ClassifiedText]"]


def offline_classifier(text: str) -> ClassifiedText:
    prediction = classify(text)
    return ClassifiedText(intent=prediction.primary, confidence=prediction.confidence)


def load_label_map(path: Path) -> dict[str, str]:
    """Source label -> taxonomy intent, from a two-column CSV (source, intent)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return {row[0].strip(): row[1].strip() for row in reader if len(row) >= 2}


def load_rows(
    path: Path,
    *,
    text_col: str,
    label_col: str,
    label_map: dict[str, str] | None = None,
    limit: int | None = None,
) -> LoadedRows:
    """Rows with a taxonomy label; labels the map (or taxonomy) does not know are counted, not guessed."""
    rows: list[LabelledText] = []
    skipped: Counter[str] = Counter()
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if limit is not None and len(rows) >= limit:
                break
            source = (record.get(label_col) or "").strip()
            label = label_map.get(source) if label_map is not None else source
            if label not in INTENTS:
                skipped[source] += 1
                continue
            rows.append(LabelledText(text=record.get(text_col) or "", label=label))
    return LoadedRows(rows=tuple(rows), skipped=tuple(sorted(skipped.items())))


async def _classify_one(classifier: Classifier, text: str) -> tuple[ClassifiedText, float]:
    started = time.perf_counter()
    result = classifier(text)
    if inspect.isawaitable(result):
        result = await result
    return result, (time.perf_counter() - started) * 1000


async def evaluate(
    rows: Iterable[LabelledText],
    classifier: Classifier = offline_classifier,
    *,
    skipped: tuple[tuple[str, int], ...] = (),
) -> EvaluationReport:
    """Classify every row one at a time (latency is per message) and score the results."""
    gold: list[str] = []
    predicted: list[str] = []
    confidences: list[float] = []
    latencies: list[float] = []
    usage: list[float] = [0, 0, 0.0]  # input tokens, output tokens, cost
    for row in rows:
        result, elapsed_ms = await _classify_one(classifier, row.text)
        gold.append(row.label)
        predicted.append(result.intent)
        confidences.append(result.confidence)
        latencies.append(elapsed_ms)
        usage[0] += result.input_tokens
        usage[1] += result.output_tokens
        usage[2] += result.cost_usd
    return _report(gold, predicted, confidences, latencies, usage, skipped)


def evaluate_sync(
    rows: Iterable[LabelledText],
    classifier: Classifier = offline_classifier,
    *,
    skipped: tuple[tuple[str, int], ...] = (),
) -> EvaluationReport:
    return asyncio.run(evaluate(rows, classifier, skipped=skipped))


def _report(
    gold: list[str],
    predicted: list[str],
    confidences: list[float],
    latencies: list[float],
    usage: list[float],
    skipped: tuple[tuple[str, int], ...],
) -> EvaluationReport:
    scores = per_intent_scores(gold, predicted)
    with_support = [s.f1 for s in scores if s.support]
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    pairs = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    right = [g == p for g, p in zip(gold, predicted, strict=True)]
    out_of_scope = [p == "other" for g, p in zip(gold, predicted, strict=True) if g == "other"]
    return EvaluationReport(
        total=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=sum(with_support) / len(with_support) if with_support else 0.0,
        macro_f1_all=sum(s.f1 for s in scores) / len(scores) if scores else 0.0,
        per_intent=scores,
        confusions=tuple((g, p, n) for (g, p), n in pairs.most_common(10)),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        input_tokens=int(usage[0]),
        output_tokens=int(usage[1]),
        cost_usd=float(usage[2]),
        skipped=skipped,
        other_recall=sum(out_of_scope) / len(out_of_scope) if out_of_scope else 0.0,
        ece=expected_calibration_error(confidences, right),
        suggested_threshold=choose_threshold(confidences, right),
    )


def expected_calibration_error(
    confidences: list[float], correct: list[bool], *, bins: int = 10
) -> float:
    """Mean gap between stated confidence and accuracy, over equal-width bins, by share of rows."""
    if not confidences:
        return 0.0
    buckets: dict[int, list[tuple[float, bool]]] = {}
    for confidence, right in zip(confidences, correct, strict=True):
        index = min(int(confidence * bins), bins - 1)
        buckets.setdefault(index, []).append((confidence, right))
    gap = 0.0
    for rows in buckets.values():
        stated = sum(c for c, _ in rows) / len(rows)
        actual = sum(r for _, r in rows) / len(rows)
        gap += len(rows) / len(confidences) * abs(stated - actual)
    return gap


# A confident wrong answer sends the customer down the wrong lane (and may act on it); an
# unneeded clarifying question costs one extra turn. The first is taken as twice as bad.
CLARIFY_COST = 0.5


def choose_threshold(confidences: list[float], correct: list[bool]) -> float:
    """The confidence threshold with the lowest cost: each wrong answer at or above it costs 1,
    each right answer below it (a needless clarifying question) costs ``CLARIFY_COST``."""
    best, best_cost = 0.0, float("inf")
    for step in range(5, 96, 5):
        threshold = step / 100
        cost = sum(
            (not right) if c >= threshold else CLARIFY_COST * right
            for c, right in zip(confidences, correct, strict=True)
        )
        if cost < best_cost:
            best, best_cost = threshold, cost
    return best


def per_intent_scores(gold: list[str], predicted: list[str]) -> tuple[IntentScore, ...]:
    """Precision, recall and F1 for every intent that occurs in gold or predictions."""
    support = Counter(gold)
    guessed = Counter(predicted)
    hits = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    scores = []
    for intent in (i for i in INTENTS if support[i] or guessed[i]):
        precision = hits[intent] / guessed[intent] if guessed[intent] else 0.0
        recall = hits[intent] / support[intent] if support[intent] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(IntentScore(intent, precision, recall, f1, support[intent], guessed[intent]))
    return tuple(scores)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def stage_classifier(gateway: Gateway) -> Classifier:
    """The pipeline's own intent stage: the configured model (with its repair and fallbacks), or
    the offline classifier when no endpoint is set. Tokens and cost come from the stage trace."""

    async def classify_with_stage(text: str) -> ClassifiedText:
        result, trace = await intent_stage(
            text=text, gateway=gateway, budget=None, customer_key=None
        )
        return ClassifiedText(
            intent=result.primary,
            confidence=result.confidence,
            input_tokens=trace.prompt_tokens,
            output_tokens=trace.completion_tokens,
            cost_usd=trace.cost_usd,
        )

    return classify_with_stage


async def evaluate_with_stage(
    rows: Iterable[LabelledText], *, skipped: tuple[tuple[str, int], ...] = ()
) -> EvaluationReport:
    gateway = get_gateway()
    try:
        return await evaluate(rows, stage_classifier(gateway), skipped=skipped)
    finally:
        await gateway.aclose()
