"""Scenario 1: the reasoning model answers 503 for 30 s (real time) under steady traffic.

Four signed-in customers each send a message that needs the reasoning stage every 3 s, from
before the outage until after the breaker's 30 s cool-down, waiting for each answer as a person
would. Every message must get its one reply (or a handoff) within 15 s, the breaker must open
after at most 5 failed calls, the fallback model must answer meanwhile, and the primary must be
back once its half-open probe succeeds.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from fakes.llm_server import FakeLLMServer
from llm.config import BreakerConfig
from llm.gateway import Gateway
from pipeline.models import ModelCall
from tests.chaos.conftest import (
    BACKUP,
    REASONING,
    Turn,
    Widget,
    assert_nothing_lost,
    sarah,
    served,
)

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

OUTAGE_STARTS_S = 2.0
OUTAGE_S = 30.0  # the figure, not scaled
RUN_S = OUTAGE_STARTS_S + BreakerConfig().cooldown_s + 6.0  # the probe, then a few healthy turns
PERIOD_S = 3.0
CONVERSATIONS = 4
REPLY_WITHIN_S = 15.0
QUESTIONS = itertools.cycle(
    [
        "Where is my order ORD-4521? It has been stuck for days.",
        "Can you check ORD-4521 for me, it should have arrived by now.",
        "My order ORD-4521 has not moved since Chicago, what can you do?",
    ]
)


async def _customer(widget: Widget, started: float, offset_s: float) -> None:
    """Send, wait for the answer, send again on the next 3 s tick; stop after RUN_S."""
    tick = started + offset_s
    while tick - started < RUN_S:
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
        turn = await widget.send(next(QUESTIONS))
        await widget.answered(turn, REPLY_WITHIN_S + 5)
        tick = max(tick + PERIOD_S, time.monotonic())


async def _outage(server: FakeLLMServer, gateway: Gateway, seen: list[tuple[float, str]]) -> None:
    """503 for every reasoning call for OUTAGE_S; meanwhile sample the breaker's state."""
    started = time.monotonic()
    await asyncio.sleep(OUTAGE_STARTS_S)
    server.control({"faults": {REASONING: ["503*"]}})
    outage_ends = time.monotonic() + OUTAGE_S
    while time.monotonic() < outage_ends:
        seen.append((time.monotonic() - started, gateway.breaker_states().get(REASONING, "")))
        await asyncio.sleep(0.1)
    server.control({"clear_faults": True})


def _reasoning_models(message_ids: list[str]) -> dict[str, list[str]]:
    """customer message id -> the models its reasoning stage called, in order."""
    calls = ModelCall.objects.filter(trace__message_id__in=message_ids, stage="reasoning")
    found: dict[str, list[str]] = {}
    for call in calls.order_by("id").values("trace__message_id", "model", "outcome"):
        found.setdefault(str(call["trace__message_id"]), []).append(
            f"{call['model']}:{call['outcome']}"
        )
    return found


async def test_reasoning_503_for_30s_every_message_answered_breaker_opens(
    demo_store: Any, gateway: Gateway, fake_llm: FakeLLMServer, widgets: Any
) -> None:
    customer = await sarah()
    opened = [await widgets(customer) for _ in range(CONVERSATIONS)]
    started = time.monotonic()
    breaker_seen: list[tuple[float, str]] = []
    await asyncio.gather(
        _outage(fake_llm, gateway, breaker_seen),
        *(
            _customer(widget, started, index * PERIOD_S / CONVERSATIONS)
            for index, widget in enumerate(opened)
        ),
    )

    turns: list[Turn] = [turn for widget in opened for turn in widget.turns.values()]
    assert len(turns) >= CONVERSATIONS * (RUN_S // PERIOD_S - 1)
    slow = [(turn.text, turn.latency_s) for turn in turns if turn.latency_s > REPLY_WITHIN_S]
    assert not slow, f"answered later than {REPLY_WITHIN_S} s: {slow}"
    for widget in opened:
        await sync_to_async(assert_nothing_lost)(widget)

    # The breaker opened after at most 5 failed calls, which the server counted.
    failed = [f for f in served(fake_llm, REASONING)["faults"] if f.startswith("503")]
    assert 1 <= len(failed) <= BreakerConfig().failure_threshold, failed
    assert any(state == "open" for _, state in breaker_seen)
    assert gateway.breaker_states()[REASONING] == "closed"  # the probe after the outage passed

    # Meanwhile the fallback model planned the answers; afterwards the primary again.
    by_message = await sync_to_async(_reasoning_models)([t.message_id for t in turns])
    assert served(fake_llm, BACKUP)["count"] >= len(turns) * OUTAGE_S / RUN_S / 2
    in_outage = [
        models
        for turn in turns
        if OUTAGE_STARTS_S + 1 < turn.sent_at - started < OUTAGE_STARTS_S + OUTAGE_S - 1
        for models in [by_message[turn.message_id]]
    ]
    assert in_outage and all(models[-1] == f"{BACKUP}:ok" for models in in_outage), in_outage
    opened_at = min(at for at, state in breaker_seen if state == "open")
    probed_by = opened_at + BreakerConfig().cooldown_s + 1.0
    after = [turn for turn in turns if turn.sent_at - started > probed_by]
    assert after, "no traffic after the breaker's half-open probe"
    assert all(by_message[turn.message_id] == [f"{REASONING}:ok"] for turn in after)
