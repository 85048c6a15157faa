"""The tau2 bench section: the τ² import and the actions' timings on a fresh SQLite file, and a
plain 'skipped' where the shared data is missing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from bench.registry import BenchContext
from bench.sections import tau2


def test_the_section_says_it_is_skipped_without_the_data(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(tau2, "tau2_db_path", lambda: tmp_path / "db.json")
    figures = tau2.tau2_section(BenchContext(quick=True))
    assert figures == {"skipped": f"no τ² data at {tmp_path / 'db.json'}"}


@pytest.mark.slow
def test_the_section_times_the_import_and_each_action_quickly() -> None:
    if not tau2.tau2_db_path().exists():
        pytest.skip(f"no τ² data at {tau2.tau2_db_path()}")
    out = StringIO()
    call_command("bench", "--json", "--quick", "--section", "tau2", stdout=out)
    figures = json.loads(out.getvalue())["sections"]["tau2"]
    assert figures["import_fresh"] and figures["orders"] > 0 and figures["import_s"] > 0
    assert figures["actions"]["cancel_pending_order"]["n"] > 0
    assert all(a["p99_ms"] >= a["p95_ms"] >= a["p50_ms"] > 0 for a in figures["actions"].values())
    import_row, *action_rows = figures["headline"]
    assert import_row["met"] is (figures["import_s"] < tau2.IMPORT_TARGET_S)
    assert len(action_rows) == len(figures["actions"])
