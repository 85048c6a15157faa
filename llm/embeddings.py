"""Text embeddings from the model endpoint's /v1/embeddings (OpenAI protocol), for the knowledge
base's hybrid ranking (knowledge.search).

Off unless settings.LLM names an EMBEDDING_MODEL besides the BASE_URL: a chat endpoint need not
serve embeddings. Sync, because search runs in a worker thread, with a short timeout; any failure
gives None and the lexical ranking stands alone. An endpoint that fails is not asked again for
RETRY_AFTER_S, so a chat-only endpoint costs one request, not one per question.
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from django.conf import settings

Vector = array  # array("f"), unit length
BATCH = 64  # texts per request
TIMEOUT_S = 2.0  # a question's embedding is on the reply's path
RETRY_AFTER_S = 300.0


class Embedder:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT_S,
            transport=transport,
        )
        self._clock = clock
        self._down_until = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Embedder(model={self.model!r})"

    def embed(self, texts: Sequence[str]) -> list[Vector] | None:
        """Unit vectors for `texts`, in order; None if the endpoint did not give them all."""
        if self._clock() < self._down_until:
            return None
        vectors: list[Vector] = []
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start : start + BATCH])
            got = self._request(batch)
            if got is None or len(got) != len(batch):
                with self._lock:
                    self._down_until = self._clock() + RETRY_AFTER_S
                return None
            vectors += got
        return vectors

    def close(self) -> None:
        self._client.close()

    def _request(self, batch: list[str]) -> list[Vector] | None:
        try:
            response = self._client.post("embeddings", json={"model": self.model, "input": batch})
            response.raise_for_status()
            rows = sorted(response.json()["data"], key=lambda row: row["index"])
            return [unit(row["embedding"]) for row in rows]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None


def unit(values: Sequence[float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return array("f", (v / norm for v in values))


def cosine(a: Vector, b: Vector) -> float:
    """Of two unit vectors (dimensions that differ count as unrelated)."""
    if len(a) != len(b):
        return 0.0
    return sum(x * y for x, y in zip(a, b, strict=True))


_instance: tuple[tuple[Any, ...], Embedder | None] | None = None


def get_embedder() -> Embedder | None:
    """The process's embedder, or None when settings.LLM asks for none."""
    global _instance
    raw = settings.LLM
    wanted = (raw.get("BASE_URL"), raw.get("API_KEY"), raw.get("EMBEDDING_MODEL"))
    if _instance is None or _instance[0] != wanted:
        base_url, api_key, model = wanted
        embedder = (
            Embedder(base_url=str(base_url), api_key=str(api_key or ""), model=str(model))
            if base_url and model
            else None
        )
        _instance = (wanted, embedder)
    return _instance[1]
