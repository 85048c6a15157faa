"""Stage 4, empathy: the plan as a warm reply, streamed as the model writes it.

Every fact the verifier checks (a number, date, amount, percent, order id, a payout claim) is
written with a digit, `$` or `%`. So the words of a sentence stream as they arrive until the
sentence has one of those; from there the rest of the sentence is held back until it is whole and
checked against the facts. On drift the model's stream is dropped and the plain plan finishes the
reply, so the customer never sees an invented fact, only, at most, the fact-free words that led
up to it. Waiting for whole sentences instead would add a sentence's generation time (~150 ms at
80 tokens/s) to every reply's first token.
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
from pipeline.rules.phrases import say
from pipeline.rules.plan import localized_steps, render_plan
from pipeline.rules.verifier import FactSheet, check_text, echoes_prompt
from pipeline.tracing import no_model_trace, stage_trace
from pipeline.types import Plan, StageDetail, StageTrace

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# What a checked fact is written with; a sentence holding none can state none.
_FACT_MARK = re.compile(r"[\d$%]")
_LAST_SPACE = re.compile(r"\s(?=\S*$)")


class EmpathyStage:
    def __init__(
        self,
        *,
        plan: Plan,
        sheet: FactSheet,
        first_name: str | None,
        today: dt.date,
        gateway: Gateway,
        language: str = "en",
        budget: RequestBudget | None,
        customer_key: str | None,
    ) -> None:
        self.plan, self.sheet, self.first_name, self.today = plan, sheet, first_name, today
        self.gateway, self.budget, self.customer_key = gateway, budget, customer_key
        self.language = language
        self.plain = render_plan(plan, first_name=first_name, language=language)
        self.text = ""
        self._open = 0  # characters of the current sentence already released
        self.drift: list[str] = []
        self.trace: StageTrace | None = None

    def request(self) -> ChatRequest:
        payload = {
            "first_name": self.first_name,
            "plan": [s.summary for s in self.plan.steps],
            "language": self.language,
        }
        return ChatRequest(
            stage="empathy",
            messages=prompts.messages(prompts.EMPATHY_SYSTEM, "empathy", payload),
            customer_key=self.customer_key,
        )

    async def stream(self) -> AsyncIterator[str]:
        """Yields verified pieces of the reply; their concatenation is self.text."""
        started = time.perf_counter()
        buffer, completion, abandoned = "", None, False
        sent = ""  # the current attempt's text as the model sent it
        redo: str | None = None  # a retry after words were out: what it has said so far
        events = self.gateway.stream(
            self.request(), offline=lambda _: self.plain, budget=self.budget
        )
        async for event in events:
            if isinstance(event, Done):
                completion = event.completion
            elif abandoned:
                continue  # read on only so the call's tokens and cost reach the trace
            elif isinstance(event, Reset) and self.text:
                redo = ""  # words are out: the retry must say them again to go on from there
            elif isinstance(event, Reset):
                buffer, sent = "", ""
            elif isinstance(event, Delta):
                text = event.text
                if redo is not None:
                    redo += text
                    if sent.startswith(redo):
                        continue  # the retry is repeating the broken attempt: shown already
                    if not redo.startswith(sent):
                        abandoned = True  # it says something else: the plain plan finishes
                        yield self._plain_tail()
                        continue
                    text, redo = redo[len(sent) :], None  # past the break: stream on
                sent += text
                buffer = buffer + text if buffer else text.lstrip()
                released, buffer = self._release(buffer, final=False)
                for piece in released:
                    yield piece
                if self.drift:
                    abandoned = True
                    yield self._plain_tail()
        if redo is not None and redo != sent and not abandoned:  # it stopped short of the break
            abandoned = True
            yield self._plain_tail()
        if not abandoned:
            if completion is not None and not completion.truncated:
                for piece in self._release(buffer, final=True)[0]:
                    yield piece
            if self.drift or completion is None or completion.truncated or not self.text.strip():
                yield self._plain_tail()
        self._finish(completion, started, abandoned)

    def _release(self, buffer: str, *, final: bool) -> tuple[list[str], str]:
        """Emit what of `buffer` (the text from the current sentence's start) may be shown; returns
        the pieces and the buffer left. Whole sentences are checked; the unfinished one is let out
        up to its last whole word while it holds no fact."""
        parts = _SENTENCE_END.split(buffer)
        complete, rest = (parts, "") if final else (parts[:-1], parts[-1])
        released = []
        for sentence in complete:
            sentence = sentence.rstrip()
            if sentence:
                verdict = check_text(sentence, self.sheet, today=self.today)
                if not verdict.ok:
                    self.drift.extend(verdict.problems)
                    return released, ""
                released.append(self._emit(sentence))
            self._open = 0
        if not _FACT_MARK.search(rest) and (space := _LAST_SPACE.search(rest)):
            words = rest[: space.start()].rstrip()
            # With no digit, `$` or `%` the words can state no fact: only a prompt echo to catch.
            if len(words) > self._open and not echoes_prompt(words):
                released.append(self._emit(words))
        return released, rest

    def _emit(self, sentence: str) -> str:
        """Release `sentence` (its start from the sentence's first character) beyond what of it
        is out already; a new sentence is joined to the reply with one space."""
        if self._open:
            piece = sentence[self._open :]
        else:
            piece = (" " if self.text else "") + sentence.strip()
        self._open = len(sentence)
        self.text += piece
        return piece

    def _plain_tail(self) -> str:
        """The plain plan finishes the reply: all of it, or after what the model got out."""
        if not self.text:
            piece = self.plain
        else:
            cut_off = "..." if self._open else ""  # the model's sentence stops half way
            steps = localized_steps(self.plan, self.language)
            language = self.language if steps is not None else "en"
            steps = steps if steps is not None else [s.summary for s in self.plan.steps]
            piece = f"{cut_off} " + say("to_be_precise", language) + " ".join(steps)
        self._open = 0
        self.text += piece
        return piece

    def _finish(self, completion: Completion | None, started: float, abandoned: bool) -> None:
        detail = StageDetail(
            drift=tuple(self.drift), fell_back_to_plan=abandoned or completion is None
        )
        if completion is None:
            self.trace = no_model_trace("empathy", (time.perf_counter() - started) * 1000, detail)
        else:
            self.trace = stage_trace("empathy", [completion], detail=detail)
