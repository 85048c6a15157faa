"""Real processes for the chaos scenarios that kill things: Daphne, the Celery worker, the fake
model server and a private redis-server, on loopback, each killed by its own process group.

Built on tests/integration/stack.py (the scale-out test's launcher), with logs in
artifacts/chaos/ so a failure can be read afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import dj_database_url

from bench.stack import free_port
from tests.integration.stack import ROOT, Stack, database_fresh

LOGS = ROOT / "artifacts" / "chaos"
API_KEY = "sk-chaos-0123456789abcdef"


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_DEBUG="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="support_bot.settings",
        LLM_API_KEY=API_KEY,
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        # The scenarios' shoppers are one customer on several sockets: one visitor to the
        # per-minute limit, which their traffic is not here to test.
        CHAT_MESSAGES_PER_MINUTE="1000",
    )
    env.update(extra)
    return env


def chaos_stack(env: dict[str, str], name: str) -> Stack:
    logs = LOGS / name
    shutil.rmtree(logs, ignore_errors=True)
    return Stack(env, logs=logs)


def fake_llm_start(stack: Stack, *options: str) -> str:
    """The fake model server as its own process; returns its base URL."""
    port = free_port()
    args = ["manage.py", "fake_llm", "--port", str(port), *options]
    stack.start("fake_llm", args, port)
    return f"http://127.0.0.1:{port}/v1"


def postgres_database(database_url: str, suffix: str) -> str:
    """A fresh database beside the one DATABASE_URL names (<name>_<suffix>); returns its URL."""
    name = dj_database_url.parse(database_url)["NAME"]
    return database_fresh(database_url, f"{name}_{suffix}")


class PrivateRedis:
    """A redis-server of our own on a free port, so the test may stop it. It keeps an
    append-only file, as a Redis used as a Celery broker must: a restart then comes back with
    the queued tasks (without one, tasks queued at the moment of a crash are gone, and with
    them the replies to those messages; see the chaos note in the report)."""

    def __init__(self, logs: Path) -> None:
        self.port = free_port()
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / "redis.log").open("ab")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        command += ["--dir", str(self.logs)]
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        """A restart's first half: SIGTERM, Redis closes every client and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
