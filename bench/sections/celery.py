"""The `celery` section: enqueue-to-start latency of a real worker on Redis at a steady rate.

A Celery worker subprocess is started the way production starts one (the project's app and
CELERY_* settings, the threads pool, --concurrency 200) on a queue of its own, so nothing else on
the broker is consumed. The bench enqueues `bench.tasks.stamp` at a steady rate (100/s) for a
fixed time; each task notes its start time first thing. Latency is start minus enqueue, both
from the same machine's wall clock; a task that has not started `DRAIN_S` after the last
enqueue counts as lost.

The worker runs without gossip, mingle and heartbeat: those talk to the other workers on the
broker, which a bench worker must neither see nor disturb, and they do not touch the path a
task takes from the queue to a pool process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

import redis
from celery import current_app as app  # the project's app: support_bot/__init__.py loads it
from django.conf import settings
from kombu import Producer

from bench.registry import BenchContext, Figures, register
from bench.stats import percentiles_ms

ROOT = Path(__file__).resolve().parent.parent
STAMP = "bench.tasks.stamp"
DRAIN_S = 10.0
READY_S = 60.0
TARGET_P50_MS = 10.0
TARGET_P99_MS = 100.0
SKIP_NO_REDIS = "skipped: REDIS_URL is unset; the Celery section needs a Redis broker"


@dataclass(frozen=True)
class CeleryParams:
    rate_per_s: float = 100.0
    seconds: float = 30.0
    pool: str = "threads"  # what the README's `celery -A support_bot worker` line runs
    concurrency: int = 200
    warmup_tasks: int = 40


@dataclass(frozen=True)
class Sample:
    seq: int
    enqueued_at: float
    started_at: float

    @property
    def latency_ms(self) -> float:
        return (self.started_at - self.enqueued_at) * 1000


class BenchWorker:
    """`with BenchWorker(params) as worker:` one worker process group on a private queue."""

    def __init__(self, params: CeleryParams, broker_url: str) -> None:
        self.params = params
        self.broker_url = broker_url
        self.queue = f"bench-celery-{uuid.uuid4().hex[:12]}"
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-celery-")
        self.log_path = Path(self.tmp.name) / "worker.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "support_bot",
            "worker",
            "-P",
            self.params.pool,
            "--concurrency",
            str(self.params.concurrency),
            "-Q",
            self.queue,
            "-n",
            f"{self.queue}@%h",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def __enter__(self) -> BenchWorker:
        # Production settings: DEBUG off (it keeps every query in memory). They refuse to start
        # without a key; the worker only needs one to import them and signs nothing here.
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "support_bot.settings",
            "REDIS_URL": self.broker_url,
            "DJANGO_DEBUG": "0",
        }
        env.setdefault("DJANGO_SECRET_KEY", f"bench-only-{uuid.uuid4().hex}")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # killpg reaches the pool's children too
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def close(self) -> None:
        if self.alive():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.tmp.cleanup()


def _enqueue(producer: Producer, seq: int, result_key: str, queue: str) -> float:
    """By name on an explicit connection: the broker under test, whatever settings say, and
    never run eagerly in this process."""
    enqueued_at = time.time()
    app.send_task(STAMP, args=(seq, enqueued_at, result_key), queue=queue, producer=producer)
    return enqueued_at


def _collect(client: redis.Redis, result_key: str, expected: int, wait_s: float) -> list[Sample]:
    """Read the stamps back once `expected` arrived or `wait_s` passed, whichever is first."""
    deadline = time.monotonic() + wait_s
    while client.llen(result_key) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    samples = []
    for raw in client.lrange(result_key, 0, -1):
        seq, enqueued_at, started_at = raw.decode().split()
        samples.append(Sample(int(seq), float(enqueued_at), float(started_at)))
    return samples


def _warm_up(worker: BenchWorker, client: redis.Redis, producer: Producer) -> float:
    """A burst queued before the worker is up: done when every task ran (imports, forks and
    connections behind us), so the measured run starts on a warm worker."""
    key = f"{worker.queue}:warmup"
    expected = worker.params.warmup_tasks
    started = time.monotonic()
    for seq in range(expected):
        _enqueue(producer, seq, key, worker.queue)
    while client.llen(key) < expected:
        if not worker.alive():
            raise RuntimeError(f"the bench worker exited: {worker.log_tail()}")
        if time.monotonic() - started > READY_S:
            raise TimeoutError(f"the bench worker ran nothing in {READY_S}s: {worker.log_tail()}")
        time.sleep(0.05)
    client.delete(key)
    time.sleep(0.5)  # let the pool settle after the burst
    return time.monotonic() - started


def _paced(
    params: CeleryParams, producer: Producer, result_key: str, queue: str
) -> tuple[list[float], float]:
    """Enqueue at a steady rate by a fixed schedule; returns how late each send was (ms)."""
    count = int(params.rate_per_s * params.seconds)
    interval = 1.0 / params.rate_per_s
    lateness: list[float] = []
    started = time.perf_counter()
    for seq in range(count):
        due = started + seq * interval
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        lateness.append((time.perf_counter() - due) * 1000)
        _enqueue(producer, seq, result_key, queue)
    return lateness, time.perf_counter() - started


def _cleanup(client: redis.Redis, queue: str, result_key: str) -> None:
    """The private queue, its binding and the stamps: nothing of the run stays on the broker."""
    with suppress(redis.RedisError):
        client.delete(
            result_key,
            queue,
            f"_kombu.binding.{queue}",
            f"_kombu.binding_permanent.{queue}",
            f"{queue}:warmup",
        )


def run_celery(params: CeleryParams, broker_url: str) -> Figures:
    client = redis.Redis.from_url(broker_url)
    with BenchWorker(params, broker_url) as worker, app.connection_for_write(broker_url) as conn:
        result_key = f"{worker.queue}:stamps"
        producer = app.amqp.Producer(conn)
        try:
            ready_s = _warm_up(worker, client, producer)
            lateness, wall_s = _paced(params, producer, result_key, worker.queue)
            sent = len(lateness)
            samples = _collect(client, result_key, sent, DRAIN_S)
        finally:
            _cleanup(client, worker.queue, result_key)
            client.close()
    figures = _figures(params, samples, sent, wall_s, lateness, ready_s)
    figures["setup"]["queue"] = worker.queue
    return figures


def _figures(
    params: CeleryParams,
    samples: list[Sample],
    sent: int,
    wall_s: float,
    lateness_ms: list[float],
    ready_s: float,
) -> Figures:
    seen = {s.seq for s in samples}
    latency = percentiles_ms([s.latency_ms for s in samples])
    lost = sent - len(seen)
    return {
        "setup": {
            **asdict(params),
            "worker": "celery -A support_bot worker -P {pool} --concurrency {concurrency} "
            "--without-gossip --without-mingle --without-heartbeat".format(**asdict(params)),
            "broker": "redis (REDIS_URL), private queue",
            "prefetch_multiplier": settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
            "acks_late": settings.CELERY_TASK_ACKS_LATE,
            "broker_transport_options": dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
            "drain_s": DRAIN_S,
            "worker_ready_s": round(ready_s, 2),
        },
        "sent": sent,
        "started": len(seen),
        "lost": lost,
        "duplicates": len(samples) - len(seen),
        "enqueued_per_s": round(sent / wall_s, 1) if wall_s else 0.0,
        "producer_lateness": percentiles_ms(lateness_ms),
        "enqueue_to_start": latency,
        "targets": {
            "p50_under_10ms": latency["n"] > 0 and latency["p50_ms"] < TARGET_P50_MS,
            "p99_under_100ms": latency["n"] > 0 and latency["p99_ms"] < TARGET_P99_MS,
            "zero_lost": lost == 0,
        },
    }


@register("celery", "Celery enqueue-to-start latency at 100 tasks/s on Redis, real worker")
def celery_section(context: BenchContext) -> Figures:
    if not settings.REDIS_URL:
        return {"skipped": SKIP_NO_REDIS}
    params = CeleryParams(seconds=3.0) if context.quick else CeleryParams()
    return run_celery(params, settings.REDIS_URL)
