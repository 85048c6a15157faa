"""The `knowledge` bench section: importing a help center and searching its passages.

`import_markdown` writes 1,000 Markdown articles (five headed sections each) to a temporary
folder and times `knowledge.services.knowledge_import` over it on the configured database;
target under 60 s on SQLite. `search_latency` makes sure 10,000 passages exist, takes the passage
index once (as the rules snapshot does), then times `knowledge.search.search` for the project's
tuning questions; target p95 under 20 ms. Both delete every article they made, whatever happens.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import knowledge
from bench.registry import BenchContext, Figures, register
from bench.stats import percentiles_ms
from knowledge.evaluation import TUNE, read_questions
from knowledge.search import passage_index, search
from knowledge.services import knowledge_import
from orders.models import KnowledgeArticle

PREFIX = "bench-kb-"
IMPORT_TARGET_S = 60.0
SEARCH_TARGET_MS = 20.0
SECTIONS = 5
HELP_CENTER = Path(knowledge.__file__).resolve().parent / "data" / "help_center"


def vocabulary() -> list[str]:
    """The demo help center's words, each as often as it is used there: generated articles read
    like a store's (a question's words match some passages, not all of them)."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(HELP_CENTER.glob("*.md")))
    return re.findall(r"[a-z]{3,}", text.lower())


def write_articles(folder: Path, count: int, seed: int = 25) -> None:
    rng = random.Random(seed)
    words = vocabulary()
    for n in range(count):
        parts = [f"# {' '.join(rng.sample(words, 3)).capitalize()} guide {n}\n"]
        for s in range(SECTIONS):
            sentences = " ".join(
                " ".join(rng.choices(words, k=12)).capitalize() + "." for _ in range(3)
            )
            parts.append(f"## {' '.join(rng.sample(words, 2)).capitalize()} {s}\n\n{sentences}\n")
        (folder / f"{PREFIX}{n:05d}.md").write_text("\n".join(parts), encoding="utf-8")


@contextmanager
def bench_articles() -> Iterator[None]:
    try:
        yield
    finally:
        KnowledgeArticle.objects.filter(slug__startswith=PREFIX).delete()


def import_markdown(count: int = 1000) -> Figures:
    with tempfile.TemporaryDirectory() as tmp, bench_articles():
        write_articles(Path(tmp), count)
        started = time.perf_counter()
        report = knowledge_import([tmp])
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        unchanged = knowledge_import([tmp])
        reimport = time.perf_counter() - again
    return {
        "articles": count,
        "created": len(report.created),
        "failed": len(report.failed),
        "import_s": round(seconds, 2),
        "reimport_unchanged_s": round(reimport, 2),
        "unchanged": len(unchanged.unchanged),
        "target_s": IMPORT_TARGET_S,
        "ok": seconds < IMPORT_TARGET_S and not report.failed,
    }


def search_latency(passages: int = 10_000, rounds: int = 3) -> Figures:
    questions = [q.text for q in read_questions(TUNE)]
    with tempfile.TemporaryDirectory() as tmp, bench_articles():
        write_articles(Path(tmp), -(-passages // SECTIONS))  # five passages an article
        knowledge_import([tmp])
        started = time.perf_counter()
        index = passage_index()
        index_s = time.perf_counter() - started
        timings = []
        for _ in range(rounds):
            for question in questions:
                began = time.perf_counter()
                search(query=question, index=index)
                timings.append((time.perf_counter() - began) * 1000)
    figures = percentiles_ms(timings)
    return {
        "passages": index.size,
        "index_build_s": round(index_s, 2),
        **figures,
        "target_p95_ms": SEARCH_TARGET_MS,
        "ok": figures["p95_ms"] < SEARCH_TARGET_MS,
    }


@register(
    "knowledge", "help-center import of 1,000 Markdown articles; passage search p95 over 10,000"
)
def knowledge_section(context: BenchContext) -> Figures:
    if context.quick:
        return {"import": import_markdown(100), "search": search_latency(1_000, rounds=1)}
    return {"import": import_markdown(), "search": search_latency()}
