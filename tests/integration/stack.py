"""Subprocesses for the scale-out test: a dedicated database and Redis db, two Daphne
processes, a Celery worker and the fake model server, all on 127.0.0.1 and killed in the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
import redis

from bench.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
IT_DATABASE = "support_bot_it"
IT_REDIS_DB = 5
START_S = 30


def wait_for_port(port: int, process: subprocess.Popen, deadline_s: float = START_S) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port} after {deadline_s}s")


def database_reset(database_url: str) -> str:
    """A fresh, dedicated database on the same server; returns its URL."""
    return database_fresh(database_url, IT_DATABASE)


def database_fresh(database_url: str, name: str) -> str:
    """Drop and create database `name` on the server DATABASE_URL names; returns its URL."""
    config = dj_database_url.parse(database_url)
    params = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def redis_reset(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    url = urlunsplit(parts._replace(path=f"/{IT_REDIS_DB}"))
    redis.Redis.from_url(url).flushdb()
    return url


@dataclass
class Stack:
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    logs: Path = field(default_factory=lambda: ROOT / "artifacts" / "integration")

    def manage(self, *args: str, timeout_s: float = 180) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
        )
        return done.stdout

    def start(self, name: str, args: list[str], port: int | None = None) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches its children
        )
        self.processes[name] = process
        if port is not None:
            self.ports[name] = port
            wait_for_port(port, process)

    def daphne(self, name: str) -> None:
        port = free_port()
        args = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "support_bot.asgi:application"]
        self.start(name, args, port)

    def worker(self, name: str = "worker") -> None:
        self.start(name, ["-m", "tests.integration.celery_worker"])

    def kill(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for name in list(self.processes):
            self.kill(name)
