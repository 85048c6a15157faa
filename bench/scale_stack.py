"""The processes behind the `scale` bench section: the production shape on this machine.

A fresh PostgreSQL database beside the configured one (migrated and seeded with the demo store),
the configured Redis, Daphne processes and Celery workers (`-P threads`, as docs/production.md
runs them) added one at a time, and the fake model server at a realistic pace, all on 127.0.0.1
and killed on the way out. Every process runs `support_bot.settings_bench`: production settings, DEBUG
off, with a queue and cache prefix of the run's own on the shared Redis.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import psycopg
import redis

from bench.stack import API_KEY, FAKE_ARGS, START_S, Chat, chats_create, free_port, manage_run
from fakes.llm_server import SubprocessFakeServer, start_in_subprocess

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "support_bot.settings_bench"
WORKER_CONCURRENCY = 200  # docs/production.md: `-P threads --concurrency 200`, one per core
# The bench's chats come from one address and send as fast as replies come: the per-visitor
# message limit and daily token budget would stop them, and neither is what is measured.
LIMITS_LIFTED = {"CHAT_MESSAGES_PER_MINUTE": "100000", "LLM_CUSTOMER_DAILY_TOKENS": "1000000000"}


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int = 0
    queue: str = ""  # a worker's own queue, for its readiness probe

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


def pg_connect_params(database: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "host": database["HOST"] or "127.0.0.1",
        "port": database["PORT"] or 5432,
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
        "dbname": name,
        "autocommit": True,
    }


def pg_url(database: dict[str, Any], name: str) -> str:
    user = quote(database["USER"] or "", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


class ScaleStack:
    """`with ScaleStack(database, redis_url) as stack:` then `stack.daphne_add()`,
    `stack.worker_add()`, as many as the shape has."""

    def __init__(
        self, database: dict[str, Any], redis_url: str, env_extra: dict[str, str] | None = None
    ) -> None:
        self.database = database
        self.env_extra = dict(env_extra or {})  # for the processes started from now on
        self.db_name = f"{database['NAME']}_bench_scale"[:63]
        self.redis_url = redis_url
        self.redis = redis.Redis.from_url(redis_url)
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-scale-")
        self.secret_key = secrets.token_urlsafe(50)
        self.fake: SubprocessFakeServer | None = None
        self.daphnes: list[Process] = []
        self.workers: list[Process] = []

    @property
    def run_name(self) -> str:
        """support_bot.settings_bench.BENCH_RUN in the children: their queue and cache prefix."""
        return f"bench-scale-{self.db_name}"

    def __enter__(self) -> ScaleStack:
        try:
            self.fake = start_in_subprocess(*FAKE_ARGS)
            self._database_fresh()
            self.manage("migrate", "--no-input", "-v", "0")
            self.manage("seed_demo")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        return {
            **env,
            **LIMITS_LIFTED,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": pg_url(self.database, self.db_name),
            "REDIS_URL": self.redis_url,
            "LLM_BASE_URL": self.fake.base_url if self.fake else "",
            "LLM_API_KEY": API_KEY,
            **self.env_extra,
        }

    def manage(self, *args: str, timeout_s: float = 300) -> str:
        return manage_run(self.env, *args, timeout_s=timeout_s)

    def chats_create(self, count: int) -> list[Chat]:
        return chats_create(self.manage, Path(self.tmp.name), count)

    def pg_connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(**pg_connect_params(self.database, self.db_name))

    def _database_fresh(self) -> None:
        with psycopg.connect(**pg_connect_params(self.database, "postgres")) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{self.db_name}"')

    def _start(self, name: str, args: list[str]) -> Process:
        log = Path(self.tmp.name) / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches any child
            )
        return Process(name, popen, log)

    def daphne_add(self) -> Process:
        port = free_port()
        args = ["-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
        process = self._start(
            f"daphne-{len(self.daphnes) + 1}", [*args, "support_bot.asgi:application"]
        )
        process.port = port
        self.daphnes.append(process)
        _wait_for_port(process)
        return process

    def worker_add(self) -> Process:
        """A worker on the run's queue and one of its own, so the bench can tell when it is up."""
        name = f"worker-{len(self.workers) + 1}"
        own = f"{self.run_name}-{name}"
        args = ["-m", "celery", "-A", "support_bot", "worker", "-P", "threads"]
        args += ["--concurrency", str(WORKER_CONCURRENCY), "-Q", f"{self.run_name},{own}"]
        args += ["-n", f"{own}@%h", "-l", "warning"]
        # Gossip, mingle and heartbeat talk to every worker on the broker: a bench worker must
        # neither see nor disturb others on a shared Redis (as in the `celery` section).
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = self._start(name, args)
        process.queue = own
        self.workers.append(process)
        self._wait_for_worker(process)
        return process

    def _wait_for_worker(self, worker: Process) -> None:
        """A stamp task sent to the worker's own queue: once it ran, the worker consumes."""
        from celery import current_app as app  # the project's app (support_bot/__init__.py)

        key = f"{worker.queue}:ready"
        with app.connection_for_write(self.redis_url) as connection:
            producer = app.amqp.Producer(connection)
            app.send_task(
                "bench.tasks.stamp",
                args=(0, time.time(), key),
                queue=worker.queue,
                producer=producer,
            )
        deadline = time.monotonic() + START_S
        while not self.redis.llen(key):
            if not worker.alive():
                raise RuntimeError(f"{worker.name} exited: {worker.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{worker.name} ran nothing in {START_S}s: {worker.log_tail()}")
            time.sleep(0.05)
        self.redis.delete(key)

    def redis_pid(self) -> int | None:
        """The Redis server's process, when it runs on this machine."""
        pid = int(self.redis.info("server")["process_id"])
        with suppress(OSError):
            if "redis" in Path(f"/proc/{pid}/comm").read_text():
                return pid
        return None

    def pg_backends(self, connection: psycopg.Connection[Any]) -> set[int]:
        """The PostgreSQL server processes serving the run's database, the bench's own aside."""
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.db_name,),
        ).fetchall()
        return {row[0] for row in rows}

    def processes_stop(self) -> None:
        """Every Daphne and worker killed: the next shape starts from none (A/B runs)."""
        for process in [*self.daphnes, *self.workers]:
            if process.alive():
                os.killpg(process.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)
        self.daphnes, self.workers = [], []

    def pg_transactions(self, connection: psycopg.Connection[Any]) -> int:
        """Transactions committed in the run's database so far (the server's statistics)."""
        row = connection.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (self.db_name,),
        ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.processes_stop()
        if self.fake is not None:
            self.fake.stop()
        with suppress(redis.RedisError):
            self._redis_forget()
        with (
            suppress(psycopg.Error),
            psycopg.connect(**pg_connect_params(self.database, "postgres")) as connection,
        ):
            connection.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self.redis.close()
        self.tmp.cleanup()

    def _redis_forget(self) -> None:
        """Nothing of the run stays on the shared Redis: its queues, bindings and cache keys."""
        keys = list(self.redis.scan_iter(match=f"*{self.run_name}*", count=1000))
        for start in range(0, len(keys), 500):
            self.redis.delete(*keys[start : start + 500])


def _wait_for_port(process: Process) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited: {process.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", process.port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{process.name} not listening on {process.port} after {START_S}s")
