"""The `dashboard` bench section: the ops dashboard's render time over 100,000 traces.

Seeds 100,000 traces (and their messages and model calls) spread over 30 days into the
configured database, tagged by their conversations' token hash, renders the dashboard and the
ledger through Django's test Client as a logged-in Ops user, and deletes every seeded row
afterwards, whatever happens. The lane mix, outcomes and failure texts follow what the pipeline
records (pipeline/store.py), so each query reads rows shaped like real ones.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from bench.registry import BenchContext, Figures, register
from bench.stats import percentiles_ms
from conversations.models import Conversation, Message
from ops.roles import OPS, ensure_roles
from pipeline.models import ModelCall, PipelineTrace

TRACES = 100_000
DAYS = 30
PER_CONVERSATION = 5
BATCH = 5_000
TARGET_MS = 300
LANES = (("fast", 0.70), ("full", 0.25), ("human", 0.05))
INTENTS = ("order_status", "refund_request", "shipping", "faq", "complaint", "payment")
REASONS = (
    "customer asked for a person",
    "legal threat",
    "refund of ${amount} is over the bot's $100.00 limit",
)
REJECTIONS = (
    "amount ${amount} is not in the facts",
    "missing step apply_discount",
    "date 2026-01-0{day} is not in the facts",
)
ERRORS = ("HTTP 503 from {model}", "stream idle for 10.0 s", "HTTP 429 from {model}")
STAGE_MODELS = (
    ("intent", "gemini-2.5-flash"),
    ("retrieval", "deepseek-v3.2"),
    ("reasoning", "gpt-4.1"),
    ("empathy", "claude-sonnet-4.5"),
)


@contextmanager
def _dated_traces() -> Iterator[None]:
    """Let bulk_create keep our created_at (auto_now_add would stamp every row with now)."""
    field = PipelineTrace._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _lane(rng: random.Random) -> str:
    return rng.choices([lane for lane, _ in LANES], [share for _, share in LANES])[0]


def _latency(rng: random.Random, lane: str) -> float:
    base = {"fast": 900.0, "full": 5500.0, "human": 400.0}[lane]
    return rng.lognormvariate(0, 0.5) * base


def _stages(rng: random.Random, lane: str, rejections: list[str]) -> list[dict[str, Any]]:
    detail = {"verdict": "accepted" if not rejections else "deterministic"}
    drift = ["number 7 is not in the facts"] if rng.random() < 0.02 else []
    names = ("intent", "retrieval", "queries", "reasoning", "actions", "empathy")
    return [
        {
            "stage": name,
            "model": "rules" if name in {"queries", "actions"} else "offline",
            "latency_ms": round(rng.random() * 40, 3),
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "reasoning_tokens": 0,
            "cost_usd": 0.0,
            "retries": 0,
            "repairs": 0,
            "detail": {
                "reasoning": {**detail, "rejections": rejections},
                "empathy": {"drift": drift, "fell_back_to_plan": bool(drift)},
            }.get(name, {}),
            "calls": 1,
        }
        for name in (names if lane == "full" else names[:3])
    ]


def _trace(
    rng: random.Random, conversation: Conversation, message: Message, at: dt.datetime
) -> tuple[PipelineTrace, list[dict[str, Any]]]:
    lane = _lane(rng)
    outcome = "handoff" if lane == "human" else ("failed" if rng.random() < 0.01 else "answered")
    rejections = (
        [rng.choice(REJECTIONS).format(amount=rng.randint(5, 90), day=rng.randint(1, 9))]
        if lane == "full" and rng.random() < 0.08
        else []
    )
    retries = rng.choice((1, 1, 2, 3)) if rng.random() < 0.05 else 0
    calls = _calls(rng, lane, retries)
    trace = PipelineTrace(
        conversation=conversation,
        message=message,
        lane=lane,
        intent=rng.choice(INTENTS),
        confidence=0.9,
        outcome=outcome,
        handoff_reason=(
            rng.choice(REASONS).format(amount=f"{rng.randint(101, 900)}.00")
            if outcome == "handoff"
            else ""
        ),
        degraded=lane == "full" and rng.random() < 0.01,
        cached=lane == "fast" and rng.random() < 0.3,
        latency_ms=_latency(rng, lane),
        prompt_tokens=sum(c["prompt_tokens"] for c in calls),
        completion_tokens=sum(c["completion_tokens"] for c in calls),
        reasoning_tokens=sum(c["reasoning_tokens"] for c in calls),
        cost_usd=sum((c["cost_usd"] for c in calls), Decimal(0)),
        retries=retries,
        repairs=len(rejections),
        verifier_rejections=len(rejections),
        plan={
            "source": "model-repaired" if rejections and rng.random() < 0.7 else "model",
            "rejections": rejections,
        },
        stages=_stages(rng, lane, rejections),
        error="the assistant failed: TimeoutError after 60.0 s" if outcome == "failed" else "",
        created_at=at,
    )
    return trace, calls


def _calls(rng: random.Random, lane: str, retries: int) -> list[dict[str, Any]]:
    stages = {"fast": STAGE_MODELS[:1] + STAGE_MODELS[3:], "human": STAGE_MODELS[:1]}.get(
        lane, STAGE_MODELS
    )
    calls = []
    for index, (stage, model) in enumerate(stages):
        failures = retries if index == len(stages) - 1 else 0
        for attempt in range(1, failures + 2):
            ok = attempt == failures + 1
            prompt, completion = (rng.randint(300, 2500), rng.randint(40, 600)) if ok else (0, 0)
            calls.append(
                {
                    "stage": stage,
                    "model": model,
                    "attempt": attempt,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "reasoning_tokens": completion // 3 if stage == "reasoning" else 0,
                    "cost_usd": Decimal(prompt * 2 + completion * 8) / Decimal(1_000_000),
                    "outcome": "ok" if ok else "error",
                    "error": "" if ok else rng.choice(ERRORS).format(model=model),
                }
            )
    return calls


def _seed_batch(
    rng: random.Random, tag: str, moments: list[dt.datetime], start: dt.datetime
) -> int:
    conversations = Conversation.objects.bulk_create(
        Conversation(token_hash=tag, created_at=start)
        for _ in range(len(moments) // PER_CONVERSATION)
    )
    messages = Message.objects.bulk_create(
        Message(conversation=c, seq=seq, sender="customer", text=f"bench message {seq}")
        for c in conversations
        for seq in range(1, PER_CONVERSATION + 1)
    )
    pairs = [_trace(rng, m.conversation, m, at) for m, at in zip(messages, moments, strict=True)]
    traces = PipelineTrace.objects.bulk_create(trace for trace, _ in pairs)
    calls = ModelCall.objects.bulk_create(
        (
            ModelCall(trace=trace, provider="remote", **call)
            for trace, (_, specs) in zip(traces, pairs, strict=True)
            for call in specs
        ),
        batch_size=BATCH,
    )
    return len(calls)


def _seed(tag: str, total: int) -> dict[str, Any]:
    """Traces in time order, as the pipeline writes them (ids grow with created_at)."""
    rng = random.Random(6)
    now = timezone.now()
    start = now - dt.timedelta(days=DAYS)
    moments = sorted(
        start + dt.timedelta(seconds=rng.random() * DAYS * 86_400) for _ in range(total)
    )
    started = time.perf_counter()
    calls = 0
    with _dated_traces():
        for offset in range(0, total, BATCH):
            with transaction.atomic():
                calls += _seed_batch(rng, tag, moments[offset : offset + BATCH], start)
    _analyze()
    return {
        "traces": total,
        "model_calls": calls,
        "seed_s": round(time.perf_counter() - started, 1),
    }


def _analyze() -> None:
    """Refresh planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite)
    would on a live database: plans made from an empty table's statistics are not the ones
    production runs."""
    with connection.cursor() as cursor:
        for model in (PipelineTrace, ModelCall):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def _cleanup(tag: str, username: str) -> None:
    """Plain DELETEs by the tag: the ORM's collector would load 100,000 traces to cascade."""
    tables = {
        "call": ModelCall._meta.db_table,
        "trace": PipelineTrace._meta.db_table,
        "message": Message._meta.db_table,
        "conversation": Conversation._meta.db_table,
    }
    ours = f"SELECT id FROM {tables['conversation']} WHERE token_hash = %s"
    statements = [
        f"DELETE FROM {tables['call']} WHERE trace_id IN "
        f"(SELECT id FROM {tables['trace']} WHERE conversation_id IN ({ours}))",
        f"DELETE FROM {tables['trace']} WHERE conversation_id IN ({ours})",
        f"DELETE FROM {tables['message']} WHERE conversation_id IN ({ours})",
        f"DELETE FROM {tables['conversation']} WHERE token_hash = %s",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, [tag])
    User.objects.filter(username=username).delete()


def _time_page(client: Client, url: str, runs: int) -> dict[str, Any]:
    for _ in range(2):  # warm caches and the template loader
        client.get(url)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return percentiles_ms(samples, digits=1)


def _time_pages(username: str, runs: int) -> dict[str, Any]:
    ensure_roles()
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=OPS))
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(user)
        dashboard, ledger = reverse("ops:dashboard"), reverse("ops:ledger")
        return {
            "dashboard_7_days": _time_page(client, dashboard, runs),
            "dashboard_30_days": _time_page(client, f"{dashboard}?days=30", runs),
            "ledger_7_days": _time_page(client, ledger, runs),
        }


@register("dashboard", "ops dashboard render over 100,000 traces spread over 30 days")
def dashboard_section(context: BenchContext) -> Figures:
    total = 10_000 if context.quick else TRACES
    runs = 10 if context.quick else 40
    tag = f"bench-dashboard-{uuid.uuid4().hex}"
    username = tag[:150]
    try:
        setup = _seed(tag, total)
        timings = _time_pages(username, runs)
    finally:
        _cleanup(tag, username)
    return {
        "setup": {**setup, "days": DAYS, "runs": runs, "database": connection.vendor},
        **timings,
        "target": f"dashboard p95 < {TARGET_MS} ms (7-day default period)",
        "met": timings["dashboard_7_days"]["p95_ms"] < TARGET_MS,
    }
