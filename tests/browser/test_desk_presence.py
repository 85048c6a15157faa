"""An agent's browser closes and the next handoff goes to another agent at the desk, in real
headless Chromium against the real server; the customer then reloads and still sees who has
their conversation (guarantee 8), not the bot's "Usually replies in seconds"."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from orders.demo import STAFF_LOGINS
from tests.browser.conftest import PROJECT_ROOT, _server_env
from tests.browser.test_desk import _query

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LIVE_TIMEOUT_MS = 10_000
REPLY_TIMEOUT_MS = 20_000
BO_PASSWORD = "demo-bo-2026"
# Bo took a handoff a moment ago and Dana has had none: round-robin's turn is Dana's, so only
# her closed browser can send the next handoff to Bo.
MAKE_BO = f"""
from django.contrib.auth.models import Group, User
from django.utils import timezone
from desk.models import AgentProfile
bo, _ = User.objects.get_or_create(username="bo", defaults={{"first_name": "Bo", "is_staff": True}})
bo.set_password("{BO_PASSWORD}")
bo.save()
bo.groups.add(Group.objects.get(name="Support agents"))
AgentProfile.objects.update_or_create(
    user=bo, defaults={{"available": True, "capacity": 3, "last_assigned_at": timezone.now()}}
)
AgentProfile.objects.filter(user__username="agent").update(available=True, last_assigned_at=None)
"""


def _make_bo(db: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_BO],
        cwd=PROJECT_ROOT,
        env=_server_env(db),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _at_the_desk(chromium: Browser, base_url: str, username: str, password: str) -> Page:
    context: BrowserContext = chromium.new_context()
    context.set_default_timeout(LIVE_TIMEOUT_MS)
    queue = context.new_page()
    queue.goto(f"{base_url}/admin/login/?next=/admin/desk/handoffqueue/")
    queue.get_by_label("Username").fill(username)
    queue.get_by_label("Password").fill(password)
    queue.get_by_role("button", name="Log in").click()
    expect(queue.locator("#desk-queue")).to_be_visible()
    become = queue.get_by_role("button", name="Become available")
    if become.count():
        become.click()
    expect(queue.get_by_role("button", name="Go away")).to_be_visible()
    expect(queue.locator("[data-desk-live]")).to_have_text("Live")
    return queue


def test_a_closed_browser_ends_presence_and_the_next_handoff_goes_to_another_agent(
    live_server_url: str, live_server_db: Path, chromium: Browser, page: Page, artifacts_dir: Path
) -> None:
    _make_bo(live_server_db)
    dana = _at_the_desk(chromium, live_server_url, "agent", STAFF_LOGINS["agent"][0])
    bo = _at_the_desk(chromium, live_server_url, "bo", BO_PASSWORD)
    try:
        dana.context.close()  # Dana closes her browser and goes home, "available" still on

        page.goto(f"{live_server_url}/")
        page.wait_for_function("() => window.SupportBotWidget !== undefined")
        page.evaluate("window.SupportBotWidget.open()")
        page.evaluate("m => window.SupportBotWidget.send(m)", "I want to talk to a real person")
        subtitle = page.locator("#support-bot-widget .sbw-subtitle")
        expect(subtitle).to_have_text("You're chatting with Bo", timeout=REPLY_TIMEOUT_MS)
        conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")
        ((owner,),) = _query(
            live_server_db,
            "SELECT u.username FROM conversations_conversation c "
            "JOIN auth_user u ON u.id = c.assigned_agent_id "
            f"WHERE c.id = '{conversation_id.replace('-', '')}'",
        )
        assert owner == "bo"

        # The customer reloads: the widget still says who has the conversation.
        page.reload()
        page.wait_for_function("() => window.SupportBotWidget !== undefined")
        page.evaluate("window.SupportBotWidget.open()")
        expect(subtitle).to_have_text("You're chatting with Bo", timeout=LIVE_TIMEOUT_MS)
        expect(page.get_by_role("button", name="Talk to a human")).to_be_disabled()
        page.screenshot(path=str(artifacts_dir / "desk-presence-widget.png"))
    finally:
        bo.get_by_role("button", name="Go away").click()
        bo.context.close()
