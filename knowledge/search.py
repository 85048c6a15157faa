"""Passage search: the full-text engine picks and ranks candidates (SQLite FTS5's BM25 on the
embedded default, PostgreSQL's ts_rank in production); a relevance in [0, 1] decides whether the
best of them answers the question at all.

The relevance is the share of the question's words, weighted by how rare each is in the
knowledge base (IDF), that the passage or its article's title contains; a missing word that
names another article's topic (it is in some title, heading or keywords) counts TOPIC_WEIGHT
times. It is averaged (BODY_WEIGHT) with the same share over the passage without its article's
title: a title says what the article is about, not that this passage says anything about what
was asked, so "a size guide for kids clothes" matching only the clothing size guide's title
scores lower than a question its text answers. A question about cleaning a jacket shares
"jacket" with the size guide but not "clean", the topic of the kitchen-care article, so it stays
under RELEVANCE_THRESHOLD and the bot says it has no article on that instead of quoting a wrong
one.

With an embedding model (llm.embeddings), the engine's candidates are also ordered by how close
their meaning is to the question's (hybrid ranking); the relevance, and so the decision to
decline, stays on words, where its threshold was chosen.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection

from knowledge.models import Passage
from llm.embeddings import Embedder, Vector, cosine

# Chosen on the tuning questions (knowledge/data/questions_tune.csv) with
# `manage.py eval_knowledge knowledge/data/questions_tune.csv --choose`: the value that
# maximises correct answers plus correct refusals; the held-out figures are in docs/benchmarks.md.
RELEVANCE_THRESHOLD = 0.46
TOPIC_WEIGHT = 2.0
BODY_WEIGHT = 0.5
HEAD_WEIGHT = 0.3
OWN_WEIGHT = 0.3
RANK_WEIGHT = 0.3
CANDIDATES = 30
MAX_POSTINGS = 1000
# The weight of meaning (cosine of question and passage) in the order, beside the words' shares
# (up to 1.9 together). Not tuned: the project has no embedding model offline to tune it on.
EMBED_WEIGHT = 0.5
VECTOR_TTL_S = 30 * 24 * 3600
MEMO_SIZE = 50_000

# Words that carry no topic in a customer's question: function words, contractions as they are
# typed without the apostrophe, and verbs too general to name what is asked about.
_STOPWORD_TEXT = """
a about after again all also am an and any anything are as at be been before being but by
can could did do does doing for from get gets getting got had has have having hello help
hey hi how i if in into is it its just know let like long many me much my need of on one or
our please possible question so some someone something sometimes tell than thank thanks
that the their them then there these they thing things this those to too up us use want was
way we were what whats when where which while who why will with would yes you your
already yet now still ever really only very should shall might must may
say says said make makes made take takes took put puts see sees saw come comes came go goes went
find finds give gives
didnt doesnt dont wasnt hasnt isnt arent cant wont havent werent shouldnt couldnt wouldnt
im ive youre thats theres
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class IndexedPassage:
    id: int
    slug: str
    title: str
    heading: str
    text: str
    terms: frozenset[str]  # stems of title, keywords, heading and text
    head: frozenset[str]  # stems of title, keywords and heading
    own: frozenset[str]  # stems of the passage's own heading and text
    body: frozenset[str] = frozenset()  # stems of all but the article's title
    source: str = ""  # where the article was imported from (knowledge.models.ArticleSource)


@dataclass(frozen=True)
class PassageIndex:
    """Every published passage's words and each word's document frequency: what the relevance
    needs beyond the engine's ranking. Built once per rules version (pipeline.rules.snapshot)."""

    passages: dict[int, IndexedPassage]
    df: dict[str, int]
    topics: frozenset[str] = frozenset()  # every word of a title, heading or keywords
    vectors: Mapping[int, Vector] = field(default_factory=dict)  # passage id -> its embedding
    embedder: Embedder | None = None  # embeds questions when there are vectors

    @property
    def size(self) -> int:
        return len(self.passages)

    def idf(self, term: str) -> float:
        # A word the knowledge base never uses weighs as much as the rarest one it does.
        return math.log(1 + (self.size + 1) / (self.df.get(term, 0) + 0.5))


@dataclass(frozen=True)
class Hit:
    passage: IndexedPassage
    relevance: float
    rank: float  # the engine's score, higher is better


def words(text: str) -> list[str]:
    """The words of a text that can carry its topic, as written."""
    found = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return [w for w in found if w not in _STOPWORDS and (len(w) > 2 or w.isdigit())]


def terms(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def stem(word: str) -> str:
    """A light suffix stripper, the same for questions and passages: refunds, refunded and
    refunding meet at "refund", shipping and ships at "ship"."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipp(ing) -> ship
            break
    return word.removesuffix("e") if len(word) > 4 else word


def passage_index(embedder: Embedder | None = None) -> PassageIndex:
    passages = {}
    df: dict[str, int] = {}
    rows = Passage.objects.filter(article__is_published=True).values_list(
        "id", "article__slug", "title", "keywords", "heading", "text", "article__source__location"
    )
    for pk, slug, title, keywords, heading, text, source in rows.iterator(chunk_size=2000):
        head = frozenset(terms(f"{title} {keywords} {heading}"))
        own = frozenset(terms(f"{heading} {text}"))
        found = head | own
        body = own | frozenset(terms(keywords))
        passages[pk] = IndexedPassage(
            pk, slug, title, heading, text, found, head, own, body=body, source=source or ""
        )
        for term in found:
            df[term] = df.get(term, 0) + 1
    topics = frozenset().union(*(p.head for p in passages.values()))
    vectors = passage_vectors(passages, embedder) if embedder is not None else {}
    return PassageIndex(passages, df, topics, vectors, embedder if vectors else None)


def passage_vectors(
    passages: Mapping[int, IndexedPassage], embedder: Embedder
) -> dict[int, Vector]:
    """Every passage's embedding: from this process's memo or the shared cache where its text
    was embedded before (keyed by the model and the text, so an edited passage is embedded
    again), else from the endpoint; {} if the endpoint fails. The rules snapshot rebuilds the
    index every half minute, so the memo keeps that from reading every vector again."""
    keys = {pk: _vector_key(embedder.model, _embedded_text(p)) for pk, p in passages.items()}
    vectors = {pk: _MEMO[key] for pk, key in keys.items() if key in _MEMO}
    unseen = [key for pk, key in keys.items() if pk not in vectors]
    found = cache.get_many(unseen) if unseen else {}
    vectors |= {pk: _vector(found[key]) for pk, key in keys.items() if key in found}
    missing = [pk for pk in passages if pk not in vectors]
    if missing:
        made = embedder.embed([_embedded_text(passages[pk]) for pk in missing])
        if made is None:
            return {}
        vectors.update(zip(missing, made, strict=True))
        cache.set_many(
            {keys[pk]: vector.tobytes() for pk, vector in zip(missing, made, strict=True)},
            timeout=VECTOR_TTL_S,
        )
    if len(_MEMO) + len(keys) > MEMO_SIZE:
        _MEMO.clear()
    _MEMO.update({keys[pk]: vector for pk, vector in vectors.items()})
    return vectors


_MEMO: dict[str, Vector] = {}


def forget_vectors() -> None:
    """Empty this process's memo of passage vectors (as a new process starts)."""
    _MEMO.clear()


def _embedded_text(passage: IndexedPassage) -> str:
    return f"{passage.title}\n{passage.heading}\n{passage.text}".strip()


def _vector_key(model: str, text: str) -> str:
    return "knowledge:vector:" + hashlib.sha256(f"{model}|{text}".encode()).hexdigest()[:32]


def _vector(raw: bytes) -> Vector:
    vector = array("f")
    vector.frombytes(raw)
    return vector


def search(*, query: str, index: PassageIndex, limit: int = 3) -> list[Hit]:
    """The best passage of each of the `limit` best articles, best first. The order adds to the
    share of the question's words found a share for those in the title, keywords or heading, one
    for those in the passage's own heading and text (which picks the section of an article), and
    one for the engine's rank (BM25 or ts_rank, over the best candidate's): weights chosen on the
    tuning questions."""
    wanted = list(dict.fromkeys(terms(query)))
    if not wanted or not index.passages:
        return []
    ranked = _engine_candidates(_selective(list(dict.fromkeys(words(query))), index))
    weights = {t: index.idf(t) for t in wanted}
    missing = {t: w * (TOPIC_WEIGHT if t in index.topics else 1.0) for t, w in weights.items()}
    total = sum(weights.values())
    top_rank = max((rank for _, rank in ranked), default=0.0) or 1.0
    meaning = _meaning(query, [pk for pk, _ in ranked], index)
    best: dict[str, tuple[float, Hit]] = {}
    for pk, rank in ranked:
        passage = index.passages.get(pk)
        if passage is None:  # saved after the index was taken
            continue
        found = sum(w for t, w in weights.items() if t in passage.terms)
        relevance = (1 - BODY_WEIGHT) * _share(weights, missing, passage.terms) + (
            BODY_WEIGHT * _share(weights, missing, passage.body)
        )
        in_terms = found / total
        in_head = sum(w for t, w in weights.items() if t in passage.head) / total
        in_own = sum(w for t, w in weights.items() if t in passage.own) / total
        order = (
            in_terms
            + HEAD_WEIGHT * in_head
            + OWN_WEIGHT * in_own
            + RANK_WEIGHT * rank / top_rank
            + EMBED_WEIGHT * meaning.get(pk, 0.0)
        )
        held = best.get(passage.slug)
        if held is None or order > held[0]:
            best[passage.slug] = (order, Hit(passage, relevance, rank))
    ordered = sorted(best.values(), key=lambda item: (-item[0], item[1].passage.slug))
    return [hit for _, hit in ordered[:limit]]


def _meaning(query: str, candidates: list[int], index: PassageIndex) -> dict[int, float]:
    """The cosine of the question's embedding with each candidate's; {} without embeddings (or
    when the endpoint fails now: the words still rank)."""
    if index.embedder is None or not index.vectors or not candidates:
        return {}
    embedded = index.embedder.embed([query])
    if not embedded:
        return {}
    return {pk: cosine(embedded[0], index.vectors[pk]) for pk in candidates if pk in index.vectors}


def _share(weights: dict[str, float], missing: dict[str, float], found_in: frozenset[str]) -> float:
    """The weight of the question's words found in `found_in`, over that plus the (topic-
    weighted) weight of those missing from it."""
    found = sum(w for t, w in weights.items() if t in found_in)
    lost = sum(w for t, w in missing.items() if t not in found_in)
    return found / (found + lost) if found else 0.0


def confident(hits: list[Hit], threshold: float = RELEVANCE_THRESHOLD) -> Hit | None:
    return hits[0] if hits and hits[0].relevance >= threshold else None


def index_optimize() -> None:
    """Merge the FTS5 index's segments into one after a bulk import: every insert and delete adds
    a segment, and a query reads them all. PostgreSQL's GIN index needs nothing of the kind."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO knowledge_passage_fts(knowledge_passage_fts) VALUES ('optimize')"
            )


def _selective(asked: list[str], index: PassageIndex) -> list[str]:
    """The words the engine matches on: the rarest first, while the passages they are in add up
    to at most MAX_POSTINGS (and at least two words). Ranking costs the engine a score for every
    matching passage, and a word in thousands of them adds little to BM25 (low IDF); every word
    still counts in the relevance."""
    df = {w: index.df.get(stem(w), 0) for w in asked}
    kept, postings = [], 0
    for word in sorted(asked, key=lambda w: df[w]):
        if len(kept) >= 2 and postings + df[word] > MAX_POSTINGS:
            break
        kept.append(word)
        postings += df[word]
    return kept


def _engine_candidates(wanted: list[str]) -> list[tuple[int, float]]:
    """The engines stem the words themselves (FTS5's porter tokenizer, PostgreSQL's english
    configuration), so they get them as written."""
    if connection.vendor == "postgresql":
        return _postgres_candidates(wanted)
    return _sqlite_candidates(wanted)


def _sqlite_candidates(wanted: list[str]) -> list[tuple[int, float]]:
    match = " OR ".join(wanted)  # [a-z0-9] words only: nothing FTS5 reads as syntax
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, bm25(knowledge_passage_fts, 4.0, 4.0, 2.0, 1.0) FROM knowledge_passage_fts "
            "WHERE knowledge_passage_fts MATCH %s ORDER BY 2 LIMIT %s",
            [match, CANDIDATES],
        )
        return [(pk, -score) for pk, score in cursor.fetchall()]


def _postgres_candidates(wanted: list[str]) -> list[tuple[int, float]]:
    query = " | ".join(wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, ts_rank({VECTOR_SQL}, to_tsquery('english', %s), 1) AS rank "
            f"FROM knowledge_passage WHERE {VECTOR_SQL} @@ to_tsquery('english', %s) "
            "ORDER BY rank DESC LIMIT %s",
            [query, query, CANDIDATES],
        )
        return list(cursor.fetchall())


# The same expression as the GIN index in migration 0002, so PostgreSQL uses it.
VECTOR_SQL = (
    "(setweight(to_tsvector('english'::regconfig, title || ' ' || keywords), 'A')"
    " || setweight(to_tsvector('english'::regconfig, heading), 'B')"
    " || setweight(to_tsvector('english'::regconfig, text), 'C'))"
)
