"""Stage traces from the gateway's completions: model, tokens, latency, cost, retries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llm.types import Completion
from pipeline.types import StageTrace


def stage_trace(
    stage: str,
    completions: Sequence[Completion],
    *,
    repairs: int = 0,
    detail: dict[str, Any] | None = None,
) -> StageTrace:
    last = completions[-1]
    calls = [call for c in completions for call in c.calls]
    return StageTrace(
        stage=stage,
        model=last.model,
        offline=last.offline,
        latency_ms=sum(c.latency_ms for c in completions),
        prompt_tokens=sum(c.usage.prompt_tokens for c in completions),
        completion_tokens=sum(c.usage.completion_tokens for c in completions),
        reasoning_tokens=sum(c.usage.reasoning_tokens for c in completions),
        cost_usd=sum(c.cost_usd for c in completions),
        retries=sum(1 for call in calls if call.provider == "remote" and call.attempt > 1),
        repairs=repairs,
        detail={**(detail or {}), "calls": calls, "degraded": any(c.degraded for c in completions)},
    )


def no_model_trace(
    stage: str, latency_ms: float, detail: dict[str, Any] | None = None
) -> StageTrace:
    return StageTrace(
        stage=stage, model="rules", offline=True, latency_ms=latency_ms, detail=detail or {}
    )
