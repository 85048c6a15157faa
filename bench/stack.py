"""The processes behind the `live` bench section: the fake model server and ONE Daphne process
on a throwaway SQLite database, all on 127.0.0.1, always killed on the way out.

No REDIS_URL, so the pipeline runs as a task inside that Daphne process: what is measured is one
web process doing everything.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from fakes.llm_server import SubprocessFakeServer, start_in_subprocess

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk-bench-0123456789abcdef"
FAKE_ARGS = ("--ttft-ms", "200", "--tokens-per-s", "80")
START_S = 60.0

# Run by `manage.py shell -c`: conversations made in bulk, so N sockets need no N HTTP calls.
_CREATE = """
import json
from django.db import transaction
from conversations.services import conversation_create
with transaction.atomic(), open({path!r}, "w") as out:
    for _ in range({count}):
        conversation, token = conversation_create(customer=None)
        out.write(json.dumps([str(conversation.pk), token]) + "\\n")
"""


@dataclass(frozen=True)
class Chat:
    conversation_id: str
    token: str


def chats_create(manage: Callable[..., str], folder: Path, count: int) -> list[Chat]:
    """`count` new anonymous conversations with their tokens, made by `manage.py shell`."""
    path = folder / f"chats-{time.monotonic_ns()}.jsonl"
    manage("shell", "-c", _CREATE.format(path=str(path), count=count))
    with path.open() as lines:
        return [Chat(*json.loads(line)) for line in lines]


def fd_limit_raise() -> int:
    """Lift the soft fd limit to the hard one; children (Daphne) inherit it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LiveStack:
    """`with LiveStack() as stack:` fake server + migrated, seeded DB + one Daphne."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-live-")
        self.db_path = Path(self.tmp.name) / "bench.sqlite3"
        self.fake: SubprocessFakeServer | None = None
        self.daphne: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.secret_key = secrets.token_urlsafe(50)

    def __enter__(self) -> LiveStack:
        try:
            self.fake = start_in_subprocess(*FAKE_ARGS)
            self.manage("migrate", "--no-input")
            self.manage("seed_demo")
            self._start_daphne()
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
            # Production settings, as a store runs them: DEBUG off (DEBUG alone logs every
            # query, a tenth of the process's CPU under this load).
            "DJANGO_SETTINGS_MODULE": "support_bot.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "LLM_BASE_URL": self.fake.base_url if self.fake else "",
            "LLM_API_KEY": API_KEY,
        }

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str, timeout_s: float = 300) -> str:
        return manage_run(self.env, *args, timeout_s=timeout_s)

    def chats_create(self, count: int) -> list[Chat]:
        return chats_create(self.manage, Path(self.tmp.name), count)

    def _start_daphne(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1"]
        command += ["-p", str(self.port), "support_bot.asgi:application"]
        self.log = (Path(self.tmp.name) / "daphne.log").open("wb")
        self.daphne = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches any child
        )
        self._wait_for_port()

    def _wait_for_port(self) -> None:
        assert self.daphne is not None
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.daphne.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.daphne_log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"daphne not listening on {self.port} after {START_S}s")

    def daphne_log(self) -> str:
        path = Path(self.tmp.name) / "daphne.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        if self.daphne is not None and self.daphne.poll() is None:
            os.killpg(self.daphne.pid, signal.SIGKILL)
            self.daphne.wait(timeout=10)
        if self.fake is not None:
            self.fake.stop()
        self.tmp.cleanup()


def manage_run(env: dict[str, str], *args: str, timeout_s: float = 300) -> str:
    """`manage.py ARGS` in a child process with this environment; its stdout, or an error
    with the end of its stderr."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout
