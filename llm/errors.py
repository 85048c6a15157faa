"""ProviderError: how a failed model call leaves the HTTP layer (no httpx or aiohttp type)."""

from __future__ import annotations

from typing import Literal

from llm.retry import status_is_retryable

ErrorKind = Literal["status", "timeout", "pool", "network", "protocol", "ttft", "stall", "cut"]


class ProviderError(Exception):
    """A failed call, classified for the retry policy and the breaker. Never holds the key."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        received_text: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after_s
        self.received_text = received_text  # what a cut stream had delivered

    @property
    def retryable(self) -> bool:
        if self.kind == "status":
            return self.status is not None and status_is_retryable(self.status)
        return True

    @property
    def counts_against_model(self) -> bool:
        """Our own pool running dry or a 4xx about our request says nothing about the model."""
        if self.kind == "pool":
            return False
        return not (self.kind == "status" and self.status in {400, 413, 422})

    def __str__(self) -> str:
        code = f" {self.status}" if self.status else ""
        return f"{self.kind}{code}: {self.args[0]}"
