"""How well the knowledge base answers: questions with the article that answers each (or `none`),
ranked by knowledge.search. Recall@1, @3 and MRR rank the answerable questions, whatever the
threshold; the threshold decides the declines: the share of `none` questions declined, and of
answerable ones wrongly declined."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

from knowledge.search import Hit, PassageIndex, search

DATA = Path(__file__).resolve().parent / "data"
TUNE = DATA / "questions_tune.csv"
HELDOUT = DATA / "questions_heldout.csv"


@dataclass(frozen=True)
class Question:
    text: str
    expected: str | None  # an article slug; None when no article answers it


@dataclass(frozen=True)
class Ranked:
    question: Question
    slugs: tuple[str, ...]
    top_relevance: float


@dataclass(frozen=True)
class Scores:
    questions: int
    answerable: int
    unanswerable: int
    threshold: float
    recall_at_1: float
    recall_at_3: float
    mrr: float
    answered_correctly: float  # answerable: the right article first, and above the threshold
    wrongly_declined: float  # answerable, but under the threshold
    declined_correctly: float  # `none` questions under the threshold

    def as_dict(self) -> dict[str, float | int]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def read_questions(path: Path | str) -> list[Question]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"question", "expected"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path}: needs the columns question,expected (missing {sorted(missing)})")
    return [
        Question(
            r["question"].strip(),
            None if r["expected"].strip() == "none" else r["expected"].strip(),
        )
        for r in rows
        if r["question"].strip()
    ]


def rank_all(questions: list[Question], index: PassageIndex) -> list[Ranked]:
    ranked = []
    for question in questions:
        hits: list[Hit] = search(query=question.text, index=index, limit=3)
        ranked.append(
            Ranked(
                question,
                tuple(h.passage.slug for h in hits),
                hits[0].relevance if hits else 0.0,
            )
        )
    return ranked


def score(ranked: list[Ranked], threshold: float) -> Scores:
    answerable = [r for r in ranked if r.question.expected]
    unanswerable = [r for r in ranked if not r.question.expected]

    def share(items: list[Ranked], test) -> float:
        return sum(1 for r in items if test(r)) / len(items) if items else 0.0

    def reciprocal(r: Ranked) -> float:
        slugs = list(r.slugs)
        return 1 / (slugs.index(r.question.expected) + 1) if r.question.expected in slugs else 0.0

    return Scores(
        questions=len(ranked),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        threshold=threshold,
        recall_at_1=share(answerable, lambda r: r.slugs[:1] == (r.question.expected,)),
        recall_at_3=share(answerable, lambda r: r.question.expected in r.slugs[:3]),
        mrr=sum(map(reciprocal, answerable)) / len(answerable) if answerable else 0.0,
        answered_correctly=share(
            answerable,
            lambda r: r.slugs[:1] == (r.question.expected,) and r.top_relevance >= threshold,
        ),
        wrongly_declined=share(answerable, lambda r: r.top_relevance < threshold),
        declined_correctly=share(unanswerable, lambda r: r.top_relevance < threshold),
    )


def choose_threshold(ranked: list[Ranked]) -> float:
    """The threshold with the lowest cost on these questions, when quoting a wrong article (or any
    article for a question none answers) costs 1 and declining an answerable question 0.5: a
    decline offers a person, a wrong article misleads. Ties go to the lower threshold."""
    candidates = [round(0.20 + 0.01 * step, 2) for step in range(71)]
    return min(candidates, key=lambda t: (cost(ranked, t), t))


def cost(ranked: list[Ranked], threshold: float) -> float:
    total = 0.0
    for r in ranked:
        if r.top_relevance < threshold:
            total += 0.5 if r.question.expected else 0.0
        elif r.slugs[:1] != (r.question.expected,):
            total += 1.0
    return total
