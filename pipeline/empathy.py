"""Stage 4, empathy: the plan as a warm reply, streamed sentence by sentence.

Each sentence is checked against the facts before it is released. On drift (a number, date,
amount or order id the facts do not hold), the model's stream is dropped and the plain plan text
finishes the reply, so the customer never sees an invented fact.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import AsyncIterator

from llm.budget import RequestBudget
from llm.gateway import Gateway
from llm.types import ChatRequest, Completion, Delta, Done, Reset
from pipeline import prompts
from pipeline.plan import render_plan
from pipeline.tracing import no_model_trace, stage_trace
from pipeline.types import Plan, StageTrace
from pipeline.verifier import FactSheet, check_text

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class EmpathyStage:
    def __init__(
        self,
        *,
        plan: Plan,
        sheet: FactSheet,
        first_name: str | None,
        today: dt.date,
        gateway: Gateway,
        budget: RequestBudget | None,
        customer_key: str | None,
    ) -> None:
        self.plan, self.sheet, self.first_name, self.today = plan, sheet, first_name, today
        self.gateway, self.budget, self.customer_key = gateway, budget, customer_key
        self.plain = render_plan(plan, first_name=first_name)
        self.text = ""
        self.drift: list[str] = []
        self.trace: StageTrace | None = None

    def request(self) -> ChatRequest:
        payload = {"first_name": self.first_name, "plan": [s.summary for s in self.plan.steps]}
        return ChatRequest(
            stage="empathy",
            messages=prompts.messages(prompts.EMPATHY_SYSTEM, "empathy", payload),
            customer_key=self.customer_key,
        )

    async def stream(self) -> AsyncIterator[str]:
        """Yields verified pieces of the reply; their concatenation is self.text."""
        started = time.perf_counter()
        buffer, completion, abandoned = "", None, False
        events = self.gateway.stream(
            self.request(), offline=lambda _: self.plain, budget=self.budget
        )
        async for event in events:
            if isinstance(event, Done):
                completion = event.completion
            elif abandoned:
                continue  # read on only so the call's tokens and cost reach the trace
            elif isinstance(event, Reset) and self.text:
                abandoned = True  # part of an answer is out: the plain plan finishes it
                yield self._emit(self._plain_tail())
            elif isinstance(event, Reset):
                buffer = ""
            elif isinstance(event, Delta):
                buffer += event.text
                released, buffer = self._release(buffer, final=False)
                for piece in released:
                    yield self._emit(piece)
                if self.drift:
                    abandoned = True
                    yield self._emit(self._plain_tail())
        if not abandoned:
            if completion is not None and not completion.truncated:
                for piece in self._release(buffer, final=True)[0]:
                    yield self._emit(piece)
            if self.drift or completion is None or completion.truncated or not self.text.strip():
                yield self._emit(self._plain_tail())
        self._finish(completion, started, abandoned)

    def _release(self, buffer: str, *, final: bool) -> tuple[list[str], str]:
        parts = _SENTENCE_END.split(buffer)
        complete, rest = (parts, "") if final else (parts[:-1], parts[-1])
        released = []
        for sentence in complete:
            if not sentence.strip():
                continue
            verdict = check_text(sentence, self.sheet, today=self.today)
            if not verdict.ok:
                self.drift.extend(verdict.problems)
                return released, ""
            released.append(sentence)
        return released, rest

    def _emit(self, piece: str) -> str:
        piece = (" " if self.text else "") + piece.strip()
        self.text += piece
        return piece

    def _plain_tail(self) -> str:
        if not self.text:
            return self.plain
        return "To be precise: " + " ".join(step.summary for step in self.plan.steps)

    def _finish(self, completion: Completion | None, started: float, abandoned: bool) -> None:
        detail = {"drift": self.drift, "fell_back_to_plan": abandoned or completion is None}
        if completion is None:
            self.trace = no_model_trace("empathy", (time.perf_counter() - started) * 1000, detail)
        else:
            self.trace = stage_trace("empathy", [completion], detail=detail)
