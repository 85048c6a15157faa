"""The `pipeline` bench section: what the orchestration itself costs per message.

Overhead is all time that is not model time: a message's whole run (reading, routing, queries,
rules, verification, persistence of reply and trace) minus the wall time of its model calls,
with the fake server answering at zero latency in its own process.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.test import override_settings

from bench.registry import BenchContext, Figures, register
from chat.reply import respond_to_message
from conversations.services import conversation_create, message_create
from demo.seed import seed_demo
from fakes.llm_server import start_in_subprocess
from llm.gateway import get_gateway
from orders.demo import FLAGSHIP_EMAIL, flagship_message
from orders.selectors import customer_get_by_email
from pipeline.models import PipelineTrace

MESSAGES = [
    "flagship",
    "where is my order ORD-4521?",
    "what is your return policy?",
    "can i get a refund for ORD-4521",
    "i want to talk to a real person",
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 2) if ordered else 0.0


def _new_turn(text: str) -> str:
    from django.utils import timezone

    customer = customer_get_by_email(email=FLAGSHIP_EMAIL)
    conversation, _ = conversation_create(customer=customer)
    body = flagship_message(timezone.now()) if text == "flagship" else text
    write = message_create(
        conversation_id=conversation.pk, sender="customer", text=body, client_id=uuid.uuid4()
    )
    return str(write.message.pk)


def _model_wall_ms(trace: PipelineTrace) -> float:
    by_stage = {s["stage"]: s["latency_ms"] for s in trace.stages if s["model"] != "rules"}
    parallel = max(by_stage.get("intent", 0.0), by_stage.get("retrieval", 0.0))
    return parallel + by_stage.get("reasoning", 0.0) + by_stage.get("empathy", 0.0)


async def _drive(count: int) -> dict[str, list[float]]:
    async def publish(_: dict[str, Any]) -> None:
        return None

    totals: dict[str, list[float]] = {}
    overheads: list[float] = []
    for index in range(count):
        message_id = await sync_to_async(_new_turn)(MESSAGES[index % len(MESSAGES)])
        started = time.perf_counter()
        await respond_to_message(message_id=message_id, publish=publish)
        elapsed = (time.perf_counter() - started) * 1000
        trace = await sync_to_async(PipelineTrace.objects.get)(message_id=message_id)
        totals.setdefault(trace.lane, []).append(elapsed)
        overheads.append(max(0.0, elapsed - _model_wall_ms(trace)))
    return {"overhead": overheads, **{f"lane:{k}": v for k, v in totals.items()}}


def _summary(samples: dict[str, list[float]]) -> dict[str, Any]:
    out = {}
    for name, values in samples.items():
        out[name] = {
            "n": len(values),
            "p50_ms": _percentile(values, 50),
            "p95_ms": _percentile(values, 95),
            "p99_ms": _percentile(values, 99),
            "mean_ms": round(statistics.fmean(values), 2) if values else 0.0,
        }
    return out


@register(
    "pipeline", "orchestration overhead per message, offline engine and fake server at zero latency"
)
async def pipeline_section(context: BenchContext) -> Figures:
    count = 25 if context.quick else 200
    await sync_to_async(seed_demo)()
    offline = _summary(await _drive(count))
    await get_gateway().aclose()
    server = start_in_subprocess()
    try:
        llm = {"BASE_URL": server.base_url, "API_KEY": "sk-bench-0123456789abcdef"}
        from django.conf import settings

        with override_settings(LLM={**settings.LLM, **llm}):
            remote = _summary(await _drive(count))
            await get_gateway().aclose()
    finally:
        server.stop()
    return {
        "setup": {"messages": count, "mix": MESSAGES, "database": "the configured DATABASE_URL"},
        "offline_engine": offline,
        "fake_server_zero_latency": remote,
        "target": "overhead p50 < 10 ms with the fake server at zero latency",
    }
