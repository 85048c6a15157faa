"""CPU time of every process of a `scale` bench run, from /proc/<pid>/stat (utime + stime):
each Daphne and worker, Redis when it runs on this machine, the PostgreSQL backends serving the
run's database one by one as they come, the fake model server, the load generator (this
process), and the whole machine's busy time beside them."""

from __future__ import annotations

import os

from bench.scale_stack import ScaleStack
from bench.stack import cpu_s


def machine_busy_s() -> float:
    """All cores' busy time since boot (/proc/stat: everything but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Snapshots of CPU seconds per process; PostgreSQL backends one by one, as they come."""

    def __init__(self, stack: ScaleStack) -> None:
        self.stack = stack
        self.pids: dict[str, int] = {p.name: p.pid for p in [*stack.daphnes, *stack.workers]}
        if (redis_pid := stack.redis_pid()) is not None:
            self.pids["redis"] = redis_pid
        self.pids["fake_model_server"] = stack.fake.process.pid  # type: ignore[union-attr]
        self.pids["load_generator"] = os.getpid()
        self.pg = stack.pg_connect()

    def snapshot(self) -> dict[str, float]:
        found = {name: cpu_s(pid) for name, pid in self.pids.items()}
        for pid in self.stack.pg_backends(self.pg):
            try:
                found[f"postgres:{pid}"] = cpu_s(pid)
            except OSError:  # it ended between the query and the read
                continue
        found["machine"] = machine_busy_s()
        found["postgres_transactions"] = self.stack.pg_transactions(self.pg)
        return found

    def close(self) -> None:
        self.pg.close()


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Seconds per process over the window; a backend that started inside it counts whole."""
    spent = {name: after[name] - before[name] for name in after if not name.startswith("postgres:")}
    backends = [n for n in after if n.startswith("postgres:")]
    spent["postgres_backends"] = sum(after[n] - before.get(n, 0.0) for n in backends)
    return spent


def transactions_per_reply(spent: dict[str, float], replies: int) -> float | None:
    """Each statement outside a transaction is one too: a count of round trips, roughly."""
    count = spent.get("postgres_transactions")
    return round(count / replies, 1) if count is not None and replies else None
