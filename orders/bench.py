"""Timings of the τ² store for the bench: the import, and the training tasks' write actions
carried out through the services (p50/p95/p99 per action). Nothing is left behind: the whole run is
one transaction rolled back, each action inside a savepoint of its own."""

from __future__ import annotations

import contextlib
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.db import transaction

from orders.actions import ActionRefused, Actor, action_apply
from orders.tau2 import tau2_import


def tau2_bench(*, db_path: Path, tasks_path: Path | None = None, rounds: int = 3) -> dict[str, Any]:
    tasks_path = tasks_path or Path(db_path).parent / "tasks_train.json"
    actions = _write_actions(tasks_path)
    with transaction.atomic():
        started = time.perf_counter()
        imported = tau2_import(path=Path(db_path))
        import_s = time.perf_counter() - started
        timings = _time_actions(actions, rounds)
        transaction.set_rollback(True)
    return {
        "import_s": round(import_s, 3),
        "import_fresh": imported.created,  # False: the store was already there, nothing timed
        "orders": imported.orders,
        "actions": {name: _summary(ms) for name, ms in sorted(timings.items())},
    }


def _write_actions(tasks_path: Path) -> list[dict[str, Any]]:
    from orders.models import ActionName

    names = set(ActionName.values)
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    return [
        action
        for task in tasks
        for action in task["evaluation_criteria"]["actions"] or []
        if action["name"] in names
    ]


def _time_actions(actions: list[dict[str, Any]], rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = defaultdict(list)
    for round_no in range(rounds):
        for action in actions:
            savepoint = transaction.savepoint()
            started = time.perf_counter()
            # Task 105's exchange is refused by design; its time counts all the same.
            with contextlib.suppress(ActionRefused):
                action_apply(
                    name=action["name"],
                    arguments=action["arguments"],
                    actor=Actor.bot(),
                    proposal_id=f"bench-{round_no}-{action['action_id']}",
                )
            timings[action["name"]].append((time.perf_counter() - started) * 1000)
            transaction.savepoint_rollback(savepoint)
    return timings


def _summary(ms: list[float]) -> dict[str, float | int]:
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"n": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}
