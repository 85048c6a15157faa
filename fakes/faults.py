"""Fault schedules for the fake model server.

A fault spec is "name[:arg]" with an optional trailing "*" that makes it permanent:

  ok                normal answer (useful inside a schedule: ["500", "ok"])
  429[:s]           429 with Retry-After: s seconds (default 1)
  429date[:s]       429 with Retry-After as an HTTP date s seconds ahead
  500, 503, 401...  that status with an OpenAI-style error body
  hang              accept the request, never answer
  malformed         200 with a body (or a stream event) that is not JSON
  garbled           200, well-formed, but the model's text is broken JSON wrapped in prose
                    (what a model asked for JSON sometimes writes)
  cut[:n]           stream: n content chunks then the connection drops (plain: half a body)
  stall[:n]         stream: n content chunks (default 1) then silence, connection held open
  length            answer cut at half its tokens with finish_reason "length"
  slow:ms           wait ms before the first token

A schedule is a list of specs per model ("*" = any model without its own); each request takes
the next spec; a permanent spec stays.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

KNOWN = {
    "ok",
    "429",
    "429date",
    "hang",
    "malformed",
    "garbled",
    "cut",
    "stall",
    "length",
    "slow",
}


@dataclass(frozen=True)
class Fault:
    name: str
    arg: float | None = None
    sticky: bool = False

    @property
    def status(self) -> int | None:
        if self.name.startswith("429"):
            return 429
        return int(self.name) if self.name.isdigit() else None

    def __str__(self) -> str:
        arg = "" if self.arg is None else f":{self.arg:g}"
        return f"{self.name}{arg}{'*' if self.sticky else ''}"


def parse_fault(spec: str) -> Fault:
    spec = spec.strip()
    sticky = spec.endswith("*")
    name, _, arg = spec.rstrip("*").partition(":")
    if name not in KNOWN and not (name.isdigit() and len(name) == 3):
        raise ValueError(f"unknown fault {spec!r}; known: {sorted(KNOWN)} or a status code")
    return Fault(name=name, arg=float(arg) if arg else None, sticky=sticky)


def parse_cli_fault(raw: str) -> tuple[str, list[Fault]]:
    """CLI form: "[MODEL=]SPEC[,SPEC...]"; no model means every model ("*")."""
    model, sep, specs = raw.partition("=")
    if not sep:
        model, specs = "*", raw
    return model.strip() or "*", [parse_fault(s) for s in specs.split(",") if s.strip()]


class FaultSchedule:
    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}

    def set(self, model: str, faults: Iterable[Fault | str]) -> None:
        parsed = [f if isinstance(f, Fault) else parse_fault(f) for f in faults]
        self._queues[model] = deque(parsed)

    def clear(self) -> None:
        self._queues.clear()

    def next_for(self, model: str) -> Fault | None:
        queue = self._queues.get(model)
        if queue is None:
            queue = self._queues.get("*")
        if not queue:
            return None
        fault = queue[0]
        if not fault.sticky:
            queue.popleft()
        return None if fault.name == "ok" else fault

    def describe(self) -> dict[str, list[str]]:
        return {model: [str(f) for f in queue] for model, queue in self._queues.items()}
