"""The gateway's vocabulary: what the pipeline sends in and what it gets back.

Everything here is a frozen dataclass so stages can pass results around without anyone mutating
a completion after it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal["intent", "retrieval", "reasoning", "empathy"]
STAGES: tuple[Stage, ...] = ("intent", "retrieval", "reasoning", "empathy")
Provider = Literal["remote", "offline"]
Outcome = Literal["ok", "length", "error", "breaker_open", "budget"]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Part of completion_tokens (OpenAI counts reasoning inside completion), reported apart.
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, one skipped model (breaker/budget) or one offline answer."""

    stage: Stage
    model: str
    provider: Provider
    attempt: int
    usage: Usage = Usage()
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    cost_usd: float = 0.0
    outcome: Outcome = "ok"
    error: str | None = None
    retry_after_s: float | None = None
    status_code: int | None = None


@dataclass(frozen=True)
class ChatRequest:
    stage: Stage
    messages: tuple[dict[str, str], ...]  # OpenAI format: {"role": ..., "content": ...}
    json_mode: bool = False
    max_tokens: int | None = None
    temperature: float | None = None
    customer_key: str | None = None  # daily token budget and cost attribution


@dataclass(frozen=True)
class Completion:
    """The answer kept. usage and cost_usd total every call made for it (failed attempts
    included: a provider bills a cut stream), which is what budgets and ledgers need; the
    per-attempt split is in `calls`."""

    text: str
    model: str
    finish_reason: str
    usage: Usage
    cost_usd: float
    latency_ms: float
    ttft_ms: float | None
    calls: tuple[CallRecord, ...]
    offline: bool
    # Fell back to offline because providers failed (not because none is configured).
    degraded: bool
    # finish_reason == "length" on the answer we finally kept.
    truncated: bool = False

    @property
    def attempts(self) -> int:
        return sum(1 for call in self.calls if call.provider == "remote" and call.attempt > 0)


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Reset:
    """Discard the deltas received so far: a retry or a fallback starts the answer over."""

    reason: str


@dataclass(frozen=True)
class Done:
    completion: Completion


StreamEvent = Delta | Reset | Done


class BudgetExceeded(Exception):
    """A customer's daily token budget or a request's token cap is spent."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        scope: Literal["customer", "request"] = "request",
        calls: tuple[CallRecord, ...] = (),
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.scope = scope
        self.calls = tuple(calls)
