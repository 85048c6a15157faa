"""Browser test harness: a real Daphne server on a temp SQLite database, and Debian's Chromium
driven by Playwright (a browser download fails here, so Playwright gets `executable_path`).

Outside CI a missing /usr/bin/chromium skips these tests with a reason; in CI (CI=true) it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.stack import free_port
from tests.browser.fake_backend import FakeBackend

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT_S = 30.0
# The store's own site in the cross-origin tests (test_cross_origin.py): the live server allows
# its origin and checks the signatures its "backend" makes with this secret.
STORE_IDENTITY_SECRET = "browser-tests-store-secret"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium)"
    if _in_ci():
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(f"{reason}; skipped outside CI")


def _server_env(db_path: Path, store_origin: str = "") -> dict[str, str]:
    env = dict(os.environ)
    # Embedded defaults: in-memory channel layer, pipeline in the web process, offline engine.
    for name in ("REDIS_URL", "LLM_BASE_URL", "LLM_API_KEY"):
        env.pop(name, None)
    env.update(
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{db_path}",
        DJANGO_SETTINGS_MODULE="support_bot.settings",
        PYTHONUNBUFFERED="1",
        WIDGET_IDENTITY_SECRET=STORE_IDENTITY_SECRET,
    )
    if store_origin:
        env["WIDGET_ALLOWED_ORIGINS"] = store_origin
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"daphne exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(
        f"daphne did not listen on {port} in {SERVER_START_TIMEOUT_S}s:\n{log_path.read_text()}"
    )


@pytest.fixture(scope="package")
def live_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live_server")


@pytest.fixture(scope="package")
def live_server_db(live_server_dir: Path, live_server_url: str) -> Path:
    """The live server's SQLite file: tests open it read-only to compare with what they saw."""
    return live_server_dir / "db.sqlite3"


@pytest.fixture(scope="package")
def store_origin() -> str:
    """Where a store's own site runs in the cross-origin tests: another port, so another origin."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="package")
def live_server_url(live_server_dir: Path, store_origin: str) -> Iterator[str]:
    """Daphne serving support_bot.asgi on a free port, on a migrated, seeded temp SQLite file."""
    workdir = live_server_dir
    env = _server_env(workdir / "db.sqlite3", store_origin)
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    port = free_port()
    log_path = workdir / "daphne.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "support_bot.asgi:application",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    # Package scope: Playwright's sync API holds an event loop on the main thread, which must be
    # gone before the asyncio tests of other packages run.
    _require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh desktop-sized page in its own context (own cookies and storage)."""
    context = chromium.new_context(viewport=DESKTOP, reduced_motion="reduce")  # still screenshots
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def fake_backend(page: Page) -> FakeBackend:
    """The page, with the conversation API and the websocket faked inside it (no server)."""
    return FakeBackend(page)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
