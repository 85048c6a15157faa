"""One request's walk down the fallback chain: the stage's model, each fallback model, with
retries, breaker checks and budget accounting at every attempt.

The gateway adds the offline engine at the end; this module only talks to remote models.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from llm.breaker import BreakerBoard, CircuitBreaker
from llm.budget import RequestBudget
from llm.client import ChatClient, ProviderError, RawCompletion, StreamEnd, build_body
from llm.config import GatewayConfig
from llm.pricing import cost_usd
from llm.retry import retry_delay_s
from llm.tokens import estimate_prompt_tokens, estimate_text_tokens, trim_messages
from llm.types import CallRecord, ChatRequest, Delta, Outcome, Reset, Usage


@dataclass(frozen=True)
class ChainDeps:
    config: GatewayConfig
    client: ChatClient
    breakers: BreakerBoard
    sleep: Callable[[float], Awaitable[Any]]
    rng: Callable[[], float]


@dataclass
class Kept:
    raw: RawCompletion
    model: str
    ttft_ms: float | None


class ChainRun:
    """Mutable state of one request; `events()` yields Delta/Reset, then `kept` is set or not."""

    def __init__(
        self, deps: ChainDeps, request: ChatRequest, budget: RequestBudget, streaming: bool
    ) -> None:
        self.deps = deps
        self.request = request
        self.budget = budget
        self.streaming = streaming
        self.started = time.perf_counter()
        self.calls: list[CallRecord] = []
        self.emitted = False  # deltas shown since the last Reset
        self.first_delta_at: float | None = None
        self.kept: Kept | None = None
        self._last_raw = RawCompletion("", "stop", None, "")
        self._prompt_estimate = 0
        self.max_tokens = min(
            request.max_tokens or deps.config.max_tokens[request.stage],
            deps.config.max_tokens_ceiling,
        )

    async def events(self) -> AsyncIterator[Delta | Reset]:
        chain = self.deps.config.chain(self.request.stage)
        for index, model in enumerate(chain):
            last_remote = index == len(chain) - 1
            async for event in self._model(model, last_remote):
                yield event
            if self.kept is not None:
                return

    def reset_if_emitted(self, reason: str) -> Reset | None:
        if not self.emitted:
            return None
        self.emitted = False
        self.first_delta_at = None
        return Reset(reason)

    async def _model(self, model: str, last_remote: bool) -> AsyncIterator[Delta | Reset]:
        retry = self.deps.config.retry
        for attempt in range(1, retry.max_attempts + 1):
            body = self._body(model)  # may raise BudgetExceeded before anything goes out
            breaker = self.deps.breakers[model]
            if not breaker.allow():
                self._record_skip(model, breaker)
                return
            reset = self.reset_if_emitted(f"retrying {model}" if attempt > 1 else f"trying {model}")
            if reset:
                yield reset
            try:
                async for delta in self._attempt(model, attempt, body):
                    yield delta
            except ProviderError as error:
                self._on_error(breaker, error)
                delay = self._retry_delay(attempt, error)
                if delay is None:
                    return
                await self.deps.sleep(delay)
                continue
            finally:
                breaker.release()  # no-op unless cancelled mid-probe
            breaker.record_success()
            self._settle(model, last_remote)
            return

    def _on_error(self, breaker: CircuitBreaker, error: ProviderError) -> None:
        if error.counts_against_model:
            breaker.record_failure()

    def _retry_delay(self, attempt: int, error: ProviderError) -> float | None:
        policy = self.deps.config.retry
        if not error.retryable or attempt >= policy.max_attempts:
            return None
        delay = retry_delay_s(attempt, error.retry_after_s, policy, self.deps.rng)
        if delay is None or not self.budget.take_retry():
            return None
        return delay

    def _settle(self, model: str, last_remote: bool) -> None:
        """Keep the answer, unless it was cut by max_tokens and something else can answer."""
        raw = self._last_raw
        can_fall_back = not last_remote or self.deps.config.length_fallback_to_offline
        if raw.finish_reason == "length" and can_fall_back:
            # A fallback gets more room: the same limit would cut it the same way.
            self.max_tokens = min(self.max_tokens * 2, self.deps.config.max_tokens_ceiling)
            return
        ttft = None
        if self.first_delta_at is not None:
            ttft = (self.first_delta_at - self.started) * 1000
        self.kept = Kept(raw=raw, model=model, ttft_ms=ttft)

    def _body(self, model: str) -> dict[str, Any]:
        config = self.deps.config
        limit = config.context_window(model) - self.max_tokens
        messages = trim_messages(self.request.messages, max(limit, 256))
        self._prompt_estimate = estimate_prompt_tokens(messages)
        max_tokens = self.budget.completion_allowance(self._prompt_estimate, self.max_tokens)
        temperature = self.request.temperature
        if temperature is None:
            temperature = config.temperatures[self.request.stage]
        return build_body(
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            temperature=temperature,
            json_mode=self.request.json_mode,
            stream=self.streaming,
        )

    async def _attempt(
        self, model: str, attempt: int, body: dict[str, Any]
    ) -> AsyncIterator[Delta]:
        started = time.perf_counter()
        ttft: float | None = None
        try:
            if self.streaming:
                pieces: list[str] = []
                # Batches (the pieces of one network read) keep this loop off the per-piece
                # path: only the Delta each caller sees is made per piece.
                async for batch in self.deps.client.stream_batches(body):
                    if isinstance(batch, StreamEnd):
                        raw = RawCompletion(
                            "".join(pieces), batch.finish_reason, batch.usage, model
                        )
                        continue
                    ttft = ttft or time.perf_counter()
                    self.first_delta_at = self.first_delta_at or ttft
                    self.emitted = True
                    pieces += batch
                    for text in batch:
                        yield Delta(text)
            else:
                raw = await self.deps.client.complete(body)
        except ProviderError as error:
            self._record(model, attempt, started, ttft, error.received_text, None, error)
            raise
        self._last_raw = raw
        self._record(model, attempt, started, ttft, raw.text, raw, None)

    def _record(
        self,
        model: str,
        attempt: int,
        started: float,
        ttft: float | None,
        text: str,
        raw: RawCompletion | None,
        error: ProviderError | None,
    ) -> None:
        usage = raw.usage if raw and raw.usage else self._estimated_usage(text, error)
        outcome: Outcome = "error" if error else "ok"
        if raw is not None and raw.finish_reason == "length":
            outcome = "length"
        self.budget.charge(usage)
        self.calls.append(
            CallRecord(
                stage=self.request.stage,
                model=model,
                provider="remote",
                attempt=attempt,
                usage=usage,
                latency_ms=(time.perf_counter() - started) * 1000,
                ttft_ms=None if ttft is None else (ttft - started) * 1000,
                cost_usd=cost_usd(model, usage, self.deps.config.prices),
                outcome=outcome,
                error=str(error) if error else None,
                retry_after_s=error.retry_after_s if error else None,
                status_code=error.status if error else 200,
            )
        )

    def _estimated_usage(self, text: str, error: ProviderError | None) -> Usage:
        """No usage block: estimate. A call refused before generating is not billed."""
        if error is not None and not text:
            return Usage()
        return Usage(self._prompt_estimate, estimate_text_tokens(text))

    def _record_skip(self, model: str, breaker: CircuitBreaker) -> None:
        self.calls.append(
            CallRecord(
                stage=self.request.stage,
                model=model,
                provider="remote",
                attempt=0,
                outcome="breaker_open",
                error=f"circuit open for {model}",
                retry_after_s=breaker.retry_in_s(),
            )
        )
