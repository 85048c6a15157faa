"""Hybrid ranking: with an embedding model the candidates are ordered by meaning as well as by
words; without one (or when the endpoint serves no embeddings) the words rank alone."""

from __future__ import annotations

import json

import httpx
import pytest
from django.core.cache import cache

from fakes.llm_server import ThreadedFakeServer
from knowledge.search import forget_vectors, passage_index, search
from llm.embeddings import Embedder, cosine

pytestmark = pytest.mark.django_db

QUESTION = "is there a warranty on the headphones"


def embedder_on(handler, requests: list[list[str]]) -> Embedder:
    def record(request: httpx.Request) -> httpx.Response:
        texts = json.loads(request.content)["input"]
        requests.append(texts)
        return handler(texts)

    return Embedder(
        base_url="http://models.test/v1",
        api_key="sk-test",
        model="embed-test",
        transport=httpx.MockTransport(record),
    )


def about_warranties(texts: list[str]) -> httpx.Response:
    """A model that reads every text about a warranty as one meaning, everything else another."""
    data = [
        {"index": i, "embedding": [1.0, 0.0] if "warrant" in t.lower() else [0.0, 1.0]}
        for i, t in enumerate(texts)
    ]
    return httpx.Response(200, json={"data": data})


def top(index) -> str:
    return search(query=QUESTION, index=index, limit=3)[0].passage.slug


@pytest.fixture(autouse=True)
def no_cached_vectors() -> None:
    cache.clear()
    forget_vectors()


def test_meaning_reorders_the_candidates_words_found(demo_store: object) -> None:
    assert top(passage_index()) == "audio-and-bluetooth"  # on words: "headphones" wins
    requests: list[list[str]] = []
    index = passage_index(embedder=embedder_on(about_warranties, requests))
    assert len(index.vectors) == index.size
    assert top(index) == "warranty"
    assert requests[-1] == [QUESTION]


@pytest.mark.parametrize("new_process", [False, True])
def test_passage_vectors_are_embedded_once(demo_store: object, new_process: bool) -> None:
    first: list[list[str]] = []
    passage_index(embedder=embedder_on(about_warranties, first))
    if new_process:
        forget_vectors()  # the shared cache has them still
    again: list[list[str]] = []
    index = passage_index(embedder=embedder_on(about_warranties, again))
    assert sum(map(len, first)) == index.size
    assert again == []  # every passage's vector was kept
    assert top(index) == "warranty"


def test_an_endpoint_without_embeddings_leaves_the_words_to_rank(demo_store: object) -> None:
    requests: list[list[str]] = []
    embedder = embedder_on(lambda texts: httpx.Response(404, json={"error": "no"}), requests)
    index = passage_index(embedder=embedder)
    assert index.vectors == {} and index.embedder is None
    assert top(index) == "audio-and-bluetooth"
    assert embedder.embed(["anything"]) is None
    assert len(requests) == 1  # a failing endpoint is not asked again at once


def test_the_fake_server_serves_embeddings() -> None:
    server = ThreadedFakeServer()
    embedder = Embedder(base_url=server.base_url, api_key="sk-test", model="embed-fake")
    try:
        near, close, far = embedder.embed(
            ["return a parcel", "how to return a parcel", "gift card balance"]
        )
    finally:
        embedder.close()
        server.stop()
    assert len(near) == len(far) > 0
    assert cosine(near, close) > cosine(near, far)
