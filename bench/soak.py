"""The `scale` section's soak (`manage.py bench --soak MINUTES`): memory and open files of every
process of the production shape at the start and the end of steady, paced traffic.

A process that leaks grows in one of them: resident memory (VmRSS) or file descriptors (sockets
to Redis, PostgreSQL and the model server that are opened and never closed). Both are read from
/proc; the PostgreSQL backends serving the run's database count together, with their private
memory (RssAnon) only.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg

from bench.scale_stack import ScaleStack
from bench.stack import rss_kib

GROWTH_TARGET_PCT = 5.0
APP = ("daphne", "worker", "redis", "postgres_backends")  # judged against the target


def private_kib(pid: int) -> int:
    """A PostgreSQL backend's own memory (RssAnon): its VmRSS also counts every page of the
    server's shared buffers it has touched, which grows with the data read, not with a leak."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise OSError(f"no RssAnon for {pid}")


def fds_open(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def resources(
    stack: ScaleStack, pids: dict[str, int], pg: psycopg.Connection[Any]
) -> dict[str, dict[str, int]]:
    found = {name: {"rss_kib": rss_kib(pid), "fds": fds_open(pid)} for name, pid in pids.items()}
    backends = {"count": 0, "rss_kib": 0, "fds": 0}
    for pid in stack.pg_backends(pg):
        try:
            backends["rss_kib"] += private_kib(pid)
            backends["fds"] += fds_open(pid)
        except OSError:  # it ended between the query and the read
            continue
        backends["count"] += 1
    found["postgres_backends"] = backends
    return found


def _pct(start: int, end: int) -> float | None:
    return round((end - start) * 100 / start, 1) if start else None


def growth(start: dict[str, dict[str, int]], end: dict[str, dict[str, int]]) -> dict[str, Any]:
    return {
        name: {
            "rss_start_mib": round(start[name]["rss_kib"] / 1024, 1),
            "rss_end_mib": round(end[name]["rss_kib"] / 1024, 1),
            "rss_growth_pct": _pct(start[name]["rss_kib"], end[name]["rss_kib"]),
            "fds_start": start[name]["fds"],
            "fds_end": end[name]["fds"],
            "fds_growth_pct": _pct(start[name]["fds"], end[name]["fds"]),
            **(
                {"count": [start[name]["count"], end[name]["count"]]}
                if "count" in start[name]
                else {}
            ),
        }
        for name in start
        if name in end
    }


def largest(grown: dict[str, Any], key: str) -> tuple[str, float]:
    """The app process that grew most in `key` (rss_growth_pct or fds_growth_pct)."""
    judged = {n: g[key] or 0.0 for n, g in grown.items() if n.startswith(APP)}
    name = max(judged, key=lambda n: judged[n])
    return name, judged[name]


def soak_headline(soak: dict[str, Any]) -> list[dict[str, object]]:
    grown, loop = soak["processes"], soak["loop"]
    unopened = sum(n for kind, n in loop.get("errors", {}).items() if kind.startswith("connect_"))
    rows: list[dict[str, object]] = [
        {
            "figure": f"soak {soak['minutes']} min, {loop['shape']}, {loop['chats']} chats "
            f"paced {soak['think_s'][0]}-{soak['think_s'][1]} s: replies, lost",
            "value": f"{loop['completed']} ({loop['replies_per_s']}/s), {loop['lost']} lost"
            + (f", {unopened} sockets not opened" if unopened else ""),
            "target": "0 lost",
            "met": loop["lost"] == 0 and not unopened and loop["completed"] > 0,
        }
    ]
    for key, what, unit in (
        ("rss_growth_pct", "memory (RSS)", "rss"),
        ("fds_growth_pct", "open files", "fds"),
    ):
        name, pct = largest(grown, key)
        start, end = (
            (f"{grown[name]['rss_start_mib']} MiB", f"{grown[name]['rss_end_mib']} MiB")
            if unit == "rss"
            else (grown[name]["fds_start"], grown[name]["fds_end"])
        )
        rows.append(
            {
                "figure": f"soak: largest growth in {what} of an app process",
                "value": f"{name} {pct:+.1f}% ({start} -> {end})",
                "target": f"< {GROWTH_TARGET_PCT:.0f}%",
                "met": pct < GROWTH_TARGET_PCT,
            }
        )
    return rows
