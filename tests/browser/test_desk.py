"""The handoff desk end to end in real headless Chromium against the real server: a customer asks
the bot about an order and then for a human; an agent logged into the admin sees the handoff
arrive in the queue without a reload, claims it, reads what the pipeline made of the case and
replies from the console; the widget shows the agent typing and then the reply, and the console
shows the customer's answer live."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from orders.demo import FLAGSHIP_EMAIL, STAFF_LOGINS

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LIVE_TIMEOUT_MS = 10_000
REPLY_TIMEOUT_MS = 20_000
DESKTOP = {"width": 1400, "height": 900}
REPLY = "Hi, I'm Dana from the support team. I'm looking at your order now."


def admin_login(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/desk/handoffqueue/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(STAFF_LOGINS[username][0])
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#desk-queue")).to_be_visible()


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return conn.execute(sql).fetchall()


def order_not_shipped(db: Path) -> tuple[str, str, str]:
    """(customer name, order number, tier name) of a seeded order not shipped yet."""
    ((name, number, tier),) = _query(
        db,
        "SELECT c.name, o.number, t.name FROM orders_order o "
        "JOIN orders_customer c ON c.id = o.customer_id "
        "JOIN orders_loyaltytier t ON t.id = c.tier_id "
        f"WHERE o.status IN ('pending', 'paid', 'processing') AND c.user_id IS NOT NULL "
        f"AND c.email != '{FLAGSHIP_EMAIL}' "
        "ORDER BY o.number LIMIT 1",
    )
    return name, number, tier


def store_writes(db: Path) -> tuple[Any, ...]:
    """What a bot action would change: refunds and discounts."""
    ((refunds, discounts),) = _query(
        db,
        "SELECT (SELECT COUNT(*) FROM orders_refund), "
        "(SELECT COALESCE(SUM(discount_total), 0) FROM orders_order)",
    )
    return refunds, discounts


def sign_in(page: Page, name: str) -> None:
    option = page.locator("#demo-customer option", has_text=name)
    page.select_option("#demo-customer", value=option.get_attribute("value"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(name)
    # The widget's script is deferred: the page can show the name before it has run.
    page.wait_for_function("() => window.SupportBotWidget !== undefined")


def go_away(queue: Page) -> None:
    """Round-robin would hand the new conversation straight to Dana; this test claims it."""
    away = queue.get_by_role("button", name="Go away")
    if away.count():
        away.click()
    expect(queue.get_by_role("button", name="Become available")).to_be_visible()


def test_agent_claims_a_handoff_and_the_widget_shows_the_reply(
    live_server_url: str,
    live_server_db: Path,
    chromium: Browser,
    page: Page,
    artifacts_dir: Path,
) -> None:
    errors: list[str] = []
    agent_context = chromium.new_context(viewport=DESKTOP, reduced_motion="reduce")
    agent_context.set_default_timeout(LIVE_TIMEOUT_MS)
    queue = agent_context.new_page()
    queue.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        admin_login(queue, live_server_url, "agent")
        queue.locator("#toggle-nav-sidebar").click()  # agents want the room for the queue
        go_away(queue)
        expect(queue.locator("[data-desk-live]")).to_have_text("Live", timeout=LIVE_TIMEOUT_MS)

        # A customer asks the bot about an order, then for a person. The order is one not shipped
        # yet, so the bot only explains (no refund or discount changes the shared store).
        customer, order, tier = order_not_shipped(live_server_db)
        writes_before = store_writes(live_server_db)
        page.goto(f"{live_server_url}/")
        sign_in(page, customer)
        page.evaluate("window.SupportBotWidget.open()")
        page.evaluate("m => window.SupportBotWidget.send(m)", f"Where is my order {order}?")
        page.wait_for_function(
            "() => window.SupportBotWidget.transcript().some(m => m.sender === 'bot')",
            timeout=REPLY_TIMEOUT_MS,
        )
        page.get_by_role("button", name="Talk to a human").click()
        banner = page.locator("#support-bot-widget .sbw-banner--handoff")
        expect(banner).to_contain_text("Connecting you with a person", timeout=LIVE_TIMEOUT_MS)
        conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")

        # It appears in the agent's queue without a reload.
        console_path = f"/admin/desk/handoffqueue/{conversation_id}/console/"
        row = queue.locator("#result_list tr").filter(
            has=queue.locator(f'a[href="{console_path}"]')
        )
        expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        priority = "High" if tier == "VIP" else "Normal"
        for shown in (customer, "customer asked for a person", priority, tier):
            expect(row).to_contain_text(shown)
        queue.screenshot(path=str(artifacts_dir / "desk-queue.png"), full_page=True)

        # Claim it: the console opens and the customer hears who took it.
        row.get_by_role("button", name="Claim").click()
        queue.wait_for_url(f"**{console_path}")
        console = queue
        expect(console.locator("[data-desk-live]")).to_have_text("Live")
        expect(console.locator("#desk-panel")).to_contain_text("With an agent")
        pipeline = console.locator("#desk-pipeline")
        for shown in ("order_status", "Facts retrieved", "Plan", order):
            expect(pipeline).to_contain_text(shown)
        expect(console.locator(".desk-orders")).to_contain_text(order)
        expect(page.locator("#support-bot-widget")).to_contain_text(
            "You're chatting with Dana", timeout=LIVE_TIMEOUT_MS
        )

        # Typing reaches the widget, then the reply does.
        console.locator("#desk-reply-text").fill(REPLY)
        expect(page.locator("#support-bot-widget .sbw-activity")).to_contain_text(
            "Dana is typing", timeout=LIVE_TIMEOUT_MS
        )
        console.get_by_role("button", name="Send", exact=True).click()
        agent_bubble = page.locator("#support-bot-widget .sbw-msg--agent .sbw-bubble")
        expect(agent_bubble).to_have_text(REPLY, timeout=LIVE_TIMEOUT_MS)
        expect(console.locator("#desk-transcript .desk-msg--agent")).to_contain_text(REPLY)
        expect(console.locator("#desk-reply-text")).to_have_value("")

        # The customer answers; the console shows it live, with a note only agents see.
        page.evaluate("window.SupportBotWidget.send('Thank you, Dana!')")
        expect(
            console.locator("#desk-transcript .desk-msg--customer .desk-msg-text").last
        ).to_have_text("Thank you, Dana!", timeout=LIVE_TIMEOUT_MS)
        console.locator("#desk-notes textarea").fill("Customer is polite; check the parcel scan.")
        console.get_by_role("button", name="Add note").click()
        expect(console.locator("#desk-notes")).to_contain_text("check the parcel scan")
        console.screenshot(path=str(artifacts_dir / "desk-console.png"), full_page=True)
        expect(page.locator("#support-bot-widget")).not_to_contain_text("parcel scan")

        # Resolving hands the chat back to the assistant.
        console.get_by_role("button", name="Resolve").click()
        expect(console.locator("#desk-panel")).to_contain_text("Resolved")
        expect(page.locator("#support-bot-widget .sbw-banner--handoff")).to_be_hidden()
        assert errors == []
        assert store_writes(live_server_db) == writes_before
    finally:
        agent_context.close()
