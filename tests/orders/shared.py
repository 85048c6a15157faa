"""Where the τ² retail files are: ../shared beside the repository, read at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import IN_CI

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
TAU2 = SHARED / "tau2_retail"
TAU2_DB = TAU2 / "db.json"
TAU2_TASKS = TAU2 / "tasks_train.json"


def need_shared() -> None:
    """Skip outside CI when ../shared is absent; fail under CI. Unlike need_service, no skip in
    the embedded pass: the files are the same on every stack."""
    if TAU2_DB.exists():
        return
    if IN_CI:
        pytest.fail(f"needs {TAU2} (CI must provide it)")
    pytest.skip(f"needs {TAU2}; skipped outside CI")
