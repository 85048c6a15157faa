"""The `scale` bench section: the production shape, started by the bench, and what each of its
processes spends per reply, so the cost of scaling out can be read off.

bench.scale_stack starts it: PostgreSQL (a fresh database beside DATABASE_URL's), Redis
(REDIS_URL), Daphne processes, Celery workers with the threads pool and the fake model server at
200 ms to first token and 80 tokens/s. For each shape (1 Daphne + 1 worker, then 2 + 2) the
chats, spread evenly over the Daphnes, run in a closed loop over websockets: send, wait for the
whole reply, send again. After a ramp, a window of fixed length is measured: the replies that
ended in it, and the CPU time (/proc/<pid>/stat, utime + stime) each process spent in it: each
Daphne, each worker, Redis, the PostgreSQL backends serving the run's database, the fake model
server and the load generator (this process). The machine's own busy time over the window is
beside them: what no process of the run spent was other work on this shared machine.

An acknowledged message without its reply within LOST_AFTER_S counts as lost, also after the
window (the chats stop sending at its end and wait for what they sent). That is past the
pipeline's own limit (PIPELINE_TIMEOUT_S, 45 s by default), after which the app answers with an
honest fallback: a reply slower than that on an overloaded machine is slow, not lost.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import aiohttp
from django.conf import settings

from bench.registry import BenchContext, Figures, register
from bench.scale_connections import connections_held
from bench.scale_cpu import CpuMeter, cpu_spent, transactions_per_reply
from bench.scale_stack import LIMITS_LIFTED, WORKER_CONCURRENCY, Process, ScaleStack
from bench.sections.live import HANDSHAKES_AT_ONCE, MESSAGES, WS_TIMEOUT, LoopResult, one_turn
from bench.soak import growth, resources, soak_headline
from bench.stack import FAKE_ARGS, Chat, fd_limit_raise
from bench.stats import percentiles_ms

APP_CPU_TARGET_MS = 12.0
LOST_AFTER_S = 60.0
CONNECTIONS_TARGET = 50_000
SETTLE_AFTER_PROBE_S = 5.0  # the Daphnes close the probe's sockets before the soak connects
SKIP_NO_POSTGRES = "skipped: DATABASE_URL is not PostgreSQL; the production shape runs on it"
SKIP_NO_REDIS = "skipped: REDIS_URL is unset; the production shape needs Redis"
Shape = tuple[int, int]  # Daphne processes, Celery workers


@dataclass(frozen=True)
class ScaleParams:
    shapes: tuple[Shape, ...] = ((1, 1), (2, 2))
    chats: int = 400
    ramp_s: float = 5.0  # the closed loop settles before the window opens
    seconds: float = 20.0  # the measured window
    warmup_chats: int = 40
    warmup_s: float = 3.0
    # Idle widget sockets opened over the last shape's Daphnes (0: no probe).
    connections: int = 10_000
    # The soak (--soak MINUTES) on the last shape: chats paced like people, after a ramp.
    soak_minutes: float = 0.0
    soak_chats: int = 100
    soak_ramp_s: float = 30.0
    think_s: tuple[float, float] = (3.0, 9.0)


def shape_name(shape: Shape) -> str:
    return f"{shape[0]} Daphne + {shape[1]} worker{'s' if shape[1] > 1 else ''}"


# The closed loop.


async def _open(
    session: aiohttp.ClientSession, daphnes: list[Process], chats: list[Chat]
) -> tuple[list[aiohttp.ClientWebSocketResponse], dict[str, int]]:
    """Chat i on Daphne i mod N, as a balancer spreading connections evenly would."""
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    errors: dict[str, int] = {}

    async def one(index: int, chat: Chat) -> aiohttp.ClientWebSocketResponse | None:
        port = daphnes[index % len(daphnes)].port
        url = f"ws://127.0.0.1:{port}/ws/chat/{chat.conversation_id}/?token={chat.token}"
        async with gate:
            try:
                async with asyncio.timeout(30):
                    return await session.ws_connect(
                        url, headers={"Origin": f"http://127.0.0.1:{port}"}, timeout=WS_TIMEOUT
                    )
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                return None

    opened = await asyncio.gather(*(one(i, chat) for i, chat in enumerate(chats)))
    return [ws for ws in opened if ws is not None], errors


@dataclass
class Window:
    started: float = 0.0
    ended: float = 0.0
    cpu_s: dict[str, float] | None = None
    marks: list[Any] = field(default_factory=list)  # what `probe` found at its start and end


async def closed_loop(
    stack: ScaleStack,
    chats: list[Chat],
    ramp_s: float,
    seconds: float,
    meter: CpuMeter | None,
    think_s: tuple[float, float] | None = None,
    probe: Callable[[], Any] | None = None,
) -> tuple[LoopResult, Window]:
    """Each chat sends, waits for the whole reply and (with think_s) reads and types for a
    uniformly random pause, as a person would, before its next message; without it, at once."""
    result, window = LoopResult(), Window()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets, errors = await _open(session, stack.daphnes, chats)
        result.errors.update({f"connect_{kind}": n for kind, n in errors.items()})
        started = time.perf_counter()
        deadline = started + ramp_s + seconds

        async def measure() -> None:
            await asyncio.sleep(ramp_s)
            before = meter.snapshot() if meter else {}
            window.marks += [probe()] if probe else []
            window.started = time.perf_counter()
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
            window.ended = time.perf_counter()
            window.marks += [probe()] if probe else []
            if meter:
                window.cpu_s = cpu_spent(before, meter.snapshot())

        async def chat_loop(index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            turn, pacing = 0, random.Random(index)
            await asyncio.sleep(
                pacing.uniform(0, think_s[1] if think_s else 0.5)
            )  # not all at once
            while time.perf_counter() < deadline:
                if turn and think_s is not None:
                    await asyncio.sleep(pacing.uniform(*think_s))
                    if time.perf_counter() >= deadline:
                        return
                turn += 1
                text = MESSAGES[(index + turn) % len(MESSAGES)]
                if not await one_turn(ws, text, result, timeout_s=LOST_AFTER_S):
                    return

        await asyncio.gather(measure(), *(chat_loop(i, ws) for i, ws in enumerate(sockets)))
        result.wall_s = time.perf_counter() - started
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return result, window


def connect_errors(errors: dict[str, int]) -> int:
    """Chats whose socket never opened: they sent nothing, so they are not in `lost`."""
    return sum(n for kind, n in errors.items() if kind.startswith("connect_"))


def lost_of(result: LoopResult) -> int:
    """Messages sent and never answered: acknowledged without a reply, or not even acked."""
    return result.errors.get("lost", 0) + result.errors.get("no_ack", 0)


def shape_figures(shape: Shape, chats: int, result: LoopResult, window: Window) -> Figures:
    done = [t for t in result.turns if t.done is not None]
    inside = [t for t in done if window.started <= t.done < window.ended]  # type: ignore[operator]
    length = window.ended - window.started
    spent = window.cpu_s or {}
    per_reply = {
        name: round(s * 1000 / len(inside), 2) if inside else None
        for name, s in spent.items()
        if name != "postgres_transactions"
    }
    app = [n for n in per_reply if n.startswith(("daphne", "worker")) or n in APP_SHARED]
    ours = [*app, "fake_model_server", "load_generator"]
    return {
        "shape": shape_name(shape),
        "daphnes": shape[0],
        "workers": shape[1],
        "chats": chats,
        "replies_per_s": round(len(inside) / length, 1) if length > 0 else 0.0,
        "replies_in_window": len(inside),
        "window_s": round(length, 1),
        "completed": len(done),
        "lost": lost_of(result),
        "errors": result.errors,
        "end_to_end": percentiles_ms([(t.done - t.sent) * 1000 for t in done]),  # type: ignore[operator]
        "first_delta": percentiles_ms(
            [(t.first_delta - t.sent) * 1000 for t in done if t.first_delta is not None]
        ),
        "cpu_ms_per_reply": {n: v for n, v in per_reply.items() if n != "machine"},
        "app_cpu_ms_per_reply": _sum(per_reply, app),
        "bench_cpu_ms_per_reply": _sum(per_reply, ["fake_model_server", "load_generator"]),
        "other_work_cpu_ms_per_reply": _other(per_reply, ours),
        "postgres_transactions_per_reply": transactions_per_reply(spent, len(inside)),
        "machine_busy_cores": round(spent.get("machine", 0.0) / length, 2) if length > 0 else 0,
    }


APP_SHARED = ("redis", "postgres_backends")


def _sum(per_reply: dict[str, float | None], names: list[str]) -> float | None:
    values = [per_reply.get(n) for n in names]
    return None if any(v is None for v in values) else round(sum(values), 2)  # type: ignore[arg-type]


def _other(per_reply: dict[str, float | None], ours: list[str]) -> float | None:
    """The machine's busy time no process of the run accounts for: other work on it."""
    machine, counted = per_reply.get("machine"), _sum(per_reply, ours)
    return None if machine is None or counted is None else round(machine - counted, 2)


# The section.


async def run_shape(
    stack: ScaleStack, shape: Shape, chats: list[Chat], params: ScaleParams
) -> Figures:
    while len(stack.daphnes) < shape[0]:
        await asyncio.to_thread(stack.daphne_add)
    while len(stack.workers) < shape[1]:
        await asyncio.to_thread(stack.worker_add)
    # Warm-up: imports, pools and caches of every new process, on the shape's first chats.
    warm, _ = await closed_loop(stack, chats[: params.warmup_chats], 0.0, params.warmup_s, None)
    meter = CpuMeter(stack)
    try:
        result, window = await closed_loop(stack, chats, params.ramp_s, params.seconds, meter)
    finally:
        meter.close()
    figures = shape_figures(shape, len(chats), result, window)
    figures["warmup_lost"] = lost_of(warm)
    return figures


async def run_scale(params: ScaleParams, database: dict[str, Any], redis_url: str) -> Figures:
    fd_limit = fd_limit_raise()
    if any(b[0] < a[0] or b[1] < a[1] for a, b in itertools.pairwise(params.shapes)):
        raise ValueError("shapes must grow: processes are added, never removed")
    shapes: dict[str, Figures] = {}
    soak: Figures | None = None
    held: Figures | None = None
    looped = params.chats * len(params.shapes)
    soaking = params.soak_chats if params.soak_minutes else 0
    with ScaleStack(database, redis_url) as stack:
        chats = await asyncio.to_thread(stack.chats_create, looped + soaking + params.connections)
        for index, shape in enumerate(params.shapes):
            mine = chats[index * params.chats : (index + 1) * params.chats]
            shapes[shape_name(shape)] = await run_shape(stack, shape, mine, params)
        daphnes = len(stack.daphnes)
        if params.connections:
            held = await connections_held(stack, chats[looped + soaking :])
            await asyncio.sleep(SETTLE_AFTER_PROBE_S)
        if params.soak_minutes:
            soak = await run_soak(stack, chats[looped : looped + soaking], params)
    figures: Figures = {"setup": _setup(params, fd_limit), "shapes": shapes}
    rows = headline(shapes)
    if held is not None:
        figures["connections"] = held
        rows += connections_headline(held, daphnes, fd_limit)
    if soak is not None:
        figures["soak"] = soak
        rows += soak_headline(soak)
    figures["headline"] = rows
    return figures


def connections_headline(held: Figures, daphnes: int, fd_limit: int) -> list[dict[str, object]]:
    return [
        {
            "figure": f"idle widget sockets held by {daphnes} Daphnes on Redis "
            f"(one load generator, fd limit {fd_limit:,})",
            "value": f"{held['held']:,} of {held['attempted']:,}; "
            f"{held['daphne_kib_per_connection']} KiB each in Daphne, "
            f"{held['redis_kib_per_connection']} KiB in Redis",
            "target": f"{CONNECTIONS_TARGET:,}",
            "met": held["held"] >= CONNECTIONS_TARGET,
        }
    ]


async def run_soak(stack: ScaleStack, chats: list[Chat], params: ScaleParams) -> Figures:
    meter = CpuMeter(stack)
    pids = dict(meter.pids)
    try:
        result, window = await closed_loop(
            stack,
            chats,
            params.soak_ramp_s,
            params.soak_minutes * 60,
            meter,
            params.think_s,
            probe=lambda: resources(stack, pids, meter.pg),
        )
    finally:
        meter.close()
    shape = (len(stack.daphnes), len(stack.workers))
    return {
        "minutes": params.soak_minutes,
        "think_s": list(params.think_s),
        "loop": shape_figures(shape, len(chats), result, window),
        "processes": growth(*window.marks),
    }


def _setup(params: ScaleParams, fd_limit: int) -> dict[str, Any]:
    return {
        **asdict(params),
        "daphne": "daphne -b 127.0.0.1 -p PORT support_bot.asgi:application",
        "worker": f"celery -A support_bot worker -P threads --concurrency {WORKER_CONCURRENCY} "
        "--without-gossip --without-mingle --without-heartbeat (a queue of the run's own)",
        "settings": "support_bot.settings_bench: production settings, DEBUG off, PostgreSQL, Redis",
        "limits_lifted": LIMITS_LIFTED,
        "fake_model_server": " ".join(FAKE_ARGS) + " (own process)",
        "messages": list(MESSAGES),
        "lost_after_s": LOST_AFTER_S,
        "redis_cpu": "the Redis server's whole process: anyone else's use of it counts too",
        "fd_limit": fd_limit,
    }


def headline(shapes: dict[str, Figures]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name, fig in shapes.items():
        cpu, app = fig["cpu_ms_per_reply"], fig["app_cpu_ms_per_reply"]
        lost, unopened = fig["lost"] + fig["warmup_lost"], connect_errors(fig["errors"])
        rows.append(
            {
                "figure": f"{name}: replies/s, {fig['chats']} chats in a closed loop",
                "value": f"{fig['replies_per_s']}/s, {lost} lost"
                + (f", {unopened} sockets not opened" if unopened else ""),
                "target": "0 lost",
                "met": lost == 0 and not unopened and fig["replies_in_window"] > 0,
            }
        )
        rows.append(
            {
                "figure": f"{name}: app CPU per reply (Daphne, workers, Redis, PostgreSQL)",
                "value": f"{app} ms ({_parts(cpu)})",
                "target": f"<= {APP_CPU_TARGET_MS:.0f} ms",
                "met": app is not None and app <= APP_CPU_TARGET_MS,
            }
        )
        rows.append(
            {
                "figure": f"{name}: bench CPU per reply (fake model, load generator); other work",
                "value": f"{cpu.get('fake_model_server')} + {cpu.get('load_generator')} ms; "
                f"other {fig['other_work_cpu_ms_per_reply']} ms",
            }
        )
        e2e = fig["end_to_end"]
        rows.append(
            {
                "figure": f"{name}: reply end to end p50 / p95 / p99",
                "value": f"{e2e['p50_ms']:.0f} / {e2e['p95_ms']:.0f} / {e2e['p99_ms']:.0f} ms",
            }
        )
    return rows


def _parts(cpu: dict[str, float | None]) -> str:
    names = [n for n in cpu if n.startswith(("daphne", "worker")) or n in APP_SHARED]
    return ", ".join(f"{n} {cpu[n]}" for n in names)


def skip_reason(database: dict[str, Any], redis_url: str) -> str | None:
    if database["ENGINE"] != "django.db.backends.postgresql":
        return SKIP_NO_POSTGRES
    return None if redis_url else SKIP_NO_REDIS


@register("scale", "the production shape (N Daphne, M workers, PostgreSQL, Redis): CPU per reply")
async def scale_section(context: BenchContext) -> Figures:
    database = settings.DATABASES["default"]
    if reason := skip_reason(database, settings.REDIS_URL):
        return {"skipped": reason}
    quick = ScaleParams(chats=100, ramp_s=1.5, seconds=3.0, warmup_s=1.5, connections=400)
    params = replace(quick if context.quick else ScaleParams(), soak_minutes=context.soak_minutes)
    return await run_scale(params, database, settings.REDIS_URL)
