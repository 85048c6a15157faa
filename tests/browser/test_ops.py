"""An ops user in real headless Chromium: logs into the admin, reads the dashboard (charts and
the eight questions over traces the pipeline really wrote) and follows a transcript's bot reply
to its trace. Screenshots: artifacts/ops-dashboard.png, artifacts/ops-transcript.png."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from orders.demo import FLAGSHIP_EMAIL, STAFF_LOGINS
from tests.browser.conftest import PROJECT_ROOT, _server_env

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

MESSAGES = [
    "where is my order ORD-4521?",
    "what is your return policy?",
    "I want to talk to a real person",
]


def _chat(db_path: Path, lines: list[str]) -> None:
    """Run real pipeline turns into the live server's database (one `manage.py chat` session)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "chat", "--customer", FLAGSHIP_EMAIL],
        cwd=PROJECT_ROOT,
        env=_server_env(db_path),
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("bot> ") == len(lines), result.stdout


def _log_in(page: Page, base: str, username: str, next_path: str) -> None:
    password = STAFF_LOGINS[username][0]
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def test_ops_user_reads_the_dashboard_and_a_transcript(
    page: Page, live_server_url: str, live_server_db: Path, artifacts_dir: Path
) -> None:
    _chat(live_server_db, MESSAGES)

    _log_in(page, live_server_url, "ops", "/admin/ops/dashboard/")

    board = page.locator("#ops-dashboard")
    expect(board).to_be_visible()
    expect(page.locator("svg.ops-chart")).to_have_count(3)
    expect(page.locator("#q-failures")).to_contain_text("Top failure clusters")
    expect(board).to_contain_text("customer asked for a person")  # the refusal we caused
    page.screenshot(path=str(artifacts_dir / "ops-dashboard.png"), full_page=True)

    page.goto(f"{live_server_url}/admin/conversations/conversation/?lane=human")
    page.locator("#result_list tbody tr th a").first.click()
    trace_link = page.locator("a.trace-link").last  # the reply that handed off
    expect(trace_link).to_be_visible()
    trace_link.click()

    expect(page.locator("table.ops-stages")).to_be_visible()
    expect(page.locator("body")).to_contain_text("customer asked for a person")
    expect(page.locator("input[name=_save]")).to_have_count(0)  # ops read, never edit
    page.screenshot(path=str(artifacts_dir / "ops-transcript.png"), full_page=True)
