"""The store's hands in real headless Chromium against the real server: the flagship customer asks
for a person; an agent claims the conversation, refunds part of the late order and sends a
replacement from the console; the customer's widget shows both system messages with their facts,
and the storefront's order shows both actions and who took them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from orders.demo import FLAGSHIP_ORDER
from tests.browser.test_desk import DESKTOP, LIVE_TIMEOUT_MS, REPLY_TIMEOUT_MS, admin_login, go_away
from tests.browser.test_desk import sign_in as storefront_sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "console-actions.png"
REFUND = f"Refund of $43.34 on order {FLAGSHIP_ORDER} to your Visa ending 4242 approved by Dana."


def proposal_id(console: Page, form: str) -> str:
    return console.locator(f"{form} input[name=proposal_id]").get_attribute("value") or ""


def test_agent_refunds_and_sends_a_replacement_and_the_customer_sees_both(
    live_server_url: str, chromium: Browser, page: Page
) -> None:
    errors: list[str] = []
    agent_context = chromium.new_context(viewport=DESKTOP, reduced_motion="reduce")
    agent_context.set_default_timeout(LIVE_TIMEOUT_MS)
    console = agent_context.new_page()
    console.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        admin_login(console, live_server_url, "agent")
        go_away(console)

        # The flagship customer (a late parcel) asks for a person.
        page.goto(f"{live_server_url}/")
        storefront_sign_in(page, "Sarah Mitchell")
        page.evaluate("window.SupportBotWidget.open()")
        page.evaluate("m => window.SupportBotWidget.send(m)", "Hello")
        page.wait_for_function(
            "() => window.SupportBotWidget.transcript().some(m => m.sender === 'bot')",
            timeout=REPLY_TIMEOUT_MS,
        )
        page.get_by_role("button", name="Talk to a human").click()
        expect(page.locator("#support-bot-widget .sbw-banner--handoff")).to_contain_text(
            "Connecting you with a person", timeout=LIVE_TIMEOUT_MS
        )
        conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")

        # The agent claims it in the console.
        console.goto(f"{live_server_url}/admin/desk/handoffqueue/{conversation_id}/console/")
        expect(console.locator("[data-desk-live]")).to_have_text("Live")
        console.locator("#desk-panel").get_by_role("button", name="Claim").click()
        expect(console.locator("#desk-panel")).to_contain_text("With an agent")
        expect(console.locator("#desk-action-forms")).to_be_visible()

        # A refund, shown in the flash, the action log and the order's ledger.
        refund_form = "#desk-action-forms form[action$='/act/refund/']"
        console.select_option(f"{refund_form} select[name=order_id]", FLAGSHIP_ORDER)
        console.fill(f"{refund_form} input[name=amount]", "43.34")
        first_form_id = proposal_id(console, refund_form)
        console.locator(refund_form).get_by_role("button", name="Refund").click()
        expect(console.locator("#desk-flash")).to_contain_text(REFUND)
        expect(console.locator("#desk-action-log")).to_contain_text("Refund part of an order")
        orders = console.locator(f"#desk-orders tr[data-order='{FLAGSHIP_ORDER}']")
        expect(orders.locator(".desk-refunded")).to_contain_text("$43.34")
        # The forms come back with new proposal ids before the next action is filled in.
        expect(console.locator(f"{refund_form} input[name=proposal_id]")).not_to_have_value(
            first_form_id
        )

        # A replacement by Overnight.
        replacement_form = "#desk-action-forms form[action$='/act/replacement/']"
        console.select_option(f"{replacement_form} select[name=order_id]", FLAGSHIP_ORDER)
        console.select_option(
            f"{replacement_form} select[name=option_code]", "overnight-replacement"
        )
        console.locator(replacement_form).get_by_role("button", name="Send replacement").click()
        expect(console.locator("#desk-flash")).to_contain_text(
            f"A replacement for order {FLAGSHIP_ORDER} is on its way by Overnight replacement"
        )
        expect(console.locator("#desk-action-log")).to_contain_text("Ship a replacement")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        console.screenshot(path=str(SCREENSHOT), full_page=True)

        # The customer's widget shows both, live.
        notices = page.locator("#support-bot-widget .sbw-msg--system")
        expect(notices.filter(has_text=REFUND)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(notices.filter(has_text="is on its way by Overnight replacement")).to_have_count(1)
        replacement_text = notices.filter(has_text="on its way").inner_text()
        assert "tracking RPL-ORD-4521-" in replacement_text

        # The storefront's order shows both actions, by Dana.
        page.goto(f"{live_server_url}/")
        actions = page.locator(f"[data-order-actions='{FLAGSHIP_ORDER}']")
        expect(actions).to_contain_text("Refund part of an order of $43.34")
        expect(actions).to_contain_text("Ship a replacement (late parcel), tracking RPL-ORD-4521-")
        expect(actions).to_contain_text("by Dana")
        assert errors == []
    finally:
        agent_context.close()
