"""Shared fixtures. Services named by DATABASE_URL / REDIS_URL are used when given; tests that need
one say clearly why they skip outside CI, and fail in CI (CI=true) rather than skip."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from demo.seed import seed_demo
from pipeline.rules.snapshot import forget_rules

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# ./run test runs the suite twice: on embedded defaults, then on PostgreSQL and Redis when given.
EMBEDDED_PASS = os.environ.get("TEST_STACK") == "embedded"


SLOW_MARKERS = frozenset({"browser", "integration", "chaos"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser, integration and chaos tests, and the bench's, start real servers: they are the
    slow tier, left out by `./run test -m "not slow"`."""
    for item in items:
        names = {marker.name for marker in item.iter_markers()}
        if names & SLOW_MARKERS or "tests/bench/" in item.nodeid:
            item.add_marker(pytest.mark.slow)


def need_service(available: bool, reason: str) -> None:
    if available:
        return
    if EMBEDDED_PASS:
        pytest.skip(f"{reason}; runs in the PostgreSQL/Redis pass")
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(f"{reason}; skipped outside CI")


@pytest.fixture(autouse=True, scope="session")
def _intent_model_trained() -> None:
    """The offline intent model trains at its first use in a process (seconds on a busy machine);
    train it once up front, so no test's receive timeout runs out on it."""
    from pipeline.offline.intent import classify

    classify("hello")


@pytest.fixture(autouse=True)
def _fresh_rules_snapshot() -> None:
    """Each test's database starts over without firing signals; so does the rules snapshot."""
    forget_rules()


@pytest.fixture
def postgres(db: None) -> None:
    need_service(
        connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://..."
    )


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    need_service(bool(url), "needs Redis: set REDIS_URL=redis://...")
    return url


@pytest.fixture
def demo_store(db: None):
    return seed_demo()
