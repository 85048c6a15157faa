"""The `tau2` bench section: how long the τ² retail store takes to import into a fresh SQLite
file (target under 20 s), and the time per write action (p50/p95) as the training tasks carry
them out through the store's services (orders.bench.tau2_bench).

It runs in a child process of its own on a new database, so neither the import nor the actions
touch the configured one. The data is the shared τ² set beside the repository
(../shared/tau2_retail/db.json); without it the section says it was skipped.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings

from bench.registry import BenchContext, Figures, register
from bench.stack import manage_run

IMPORT_TARGET_S = 20.0
_RUN = (
    "import json; from pathlib import Path; from orders.bench import tau2_bench; "
    "print(json.dumps(tau2_bench(db_path=Path({db!r}), rounds={rounds})))"
)


def tau2_db_path() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "tau2_retail" / "db.json"


@register("tau2", "τ² retail import into a fresh SQLite file, and the time per write action")
def tau2_section(context: BenchContext) -> Figures:
    db_json = tau2_db_path()
    if not db_json.exists():
        return {"skipped": f"no τ² data at {db_json}"}
    rounds = 1 if context.quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-tau2-") as tmp:
        env = _env(Path(tmp) / "tau2.sqlite3")
        manage_run(env, "migrate", "--no-input", timeout_s=900)
        out = manage_run(
            env, "shell", "-c", _RUN.format(db=str(db_json), rounds=rounds), timeout_s=900
        )
    figures = json.loads(out.strip().splitlines()[-1])
    target = f"import under {IMPORT_TARGET_S:.0f} s on SQLite"
    met = figures["import_s"] < IMPORT_TARGET_S
    return {
        "setup": {"database": "a fresh SQLite file", "rounds": rounds, "data": str(db_json)},
        **figures,
        "target": target,
        "import_within_target": met,
        "headline": _headline(figures, target, met),
    }


def _headline(figures: Figures, target: str, met: bool) -> list[dict[str, object]]:
    """The rows bench.md shows: the import against its target, then each action's timings."""
    rows: list[dict[str, object]] = [
        {
            "figure": f"import, {figures['orders']} orders",
            "value": f"{figures['import_s']} s",
            "target": target,
            "met": met,
        }
    ]
    for name, ms in figures["actions"].items():
        rows.append(
            {
                "figure": f"{name} (n={ms['n']}) p50 / p95 / p99",
                "value": f"{ms['p50_ms']} / {ms['p95_ms']} / {ms['p99_ms']} ms",
            }
        )
    return rows


def _env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "support_bot.settings",
        "DJANGO_DEBUG": "0",  # DEBUG keeps every query in memory: not what a store runs
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{db_path}",
    }
