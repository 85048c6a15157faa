"""Proposal cards end to end in real headless Chromium against the real server (Daphne, offline
engine, seeded temp SQLite): the flagship reply puts its refund to the customer as a card, and a
proposal the server holds comes back after a reload and is carried out by its Confirm button.

The store is shared by the package's browser tests, so nothing here changes what they use: the
flagship refund is declined, and the order cancelled belongs to a customer without a login."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.demo import FLAGSHIP_ORDER, flagship_message
from tests.browser.conftest import PROJECT_ROOT, _server_env
from tests.browser.test_end_to_end import BOT_REPLIES_JS, REPLY_TIMEOUT_MS, _query, ask, sign_in

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Run in the server's database by `manage.py shell`: the conversation becomes the customer's (as
# verifying in the chat would make it) and the bot's proposal to cancel their pending order is
# opened. Its frame is published in that other process, so the widget sees it on its next resume.
OPEN_PROPOSAL = """
from conversations.models import Conversation
from conversations.proposals import proposal_open
from orders.models import Order

order = (
    Order.objects.filter(status="pending", customer__user__isnull=True).order_by("number").first()
)
Conversation.objects.filter(pk="{conversation_id}").update(customer=order.customer)
proposal = proposal_open(
    conversation_id="{conversation_id}",
    name="cancel_pending_order",
    arguments={{"order_id": order.number, "reason": "no longer needed"}},
    summary=f"Cancel order {{order.number}}? Its payment goes back to you.",
    reply_to_id=None,
)
print(order.number, proposal.pk)
"""


def open_proposal_on_server(db: Path, conversation_id: str) -> tuple[str, str]:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            OPEN_PROPOSAL.format(conversation_id=conversation_id),
        ],
        cwd=PROJECT_ROOT,
        env=_server_env(db),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    number, proposal_id = result.stdout.split()[-2:]
    return number, proposal_id


def order_status(db: Path, number: str) -> str:
    ((status,),) = _query(db, "SELECT status FROM orders_order WHERE number = ?", number)
    return status


def card(page: Page):
    return page.locator("#support-bot-widget .sbw-proposal")


def test_the_flagship_refund_is_a_card_and_declining_pays_nothing(
    live_server_url: str, live_server_db: Path, page: Page
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server_url}/")
    sign_in(page, "Sarah Mitchell")
    ask(page, flagship_message(timezone.now()))

    shown = card(page)
    expect(shown).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    expect(shown.locator(".sbw-proposal-summary")).to_contain_text("$43.34")
    expect(shown.locator(".sbw-proposal-details")).to_contain_text(FLAGSHIP_ORDER)
    expect(shown).to_be_focused()
    reply = page.locator("#support-bot-widget .sbw-msg--bot[data-seq] .sbw-bubble").last
    expect(reply.locator("p")).not_to_have_count(0)  # a long reply reads as paragraphs

    shown.get_by_role("button", name="Decline").click()
    expect(shown).to_have_attribute("data-state", "declined")
    page.wait_for_function(BOT_REPLIES_JS, arg=2, timeout=REPLY_TIMEOUT_MS)
    bot_refunds = _query(
        live_server_db,
        "SELECT COUNT(*) FROM orders_refund r JOIN orders_order o ON o.id = r.order_id "
        "WHERE o.number = ? AND r.decided_by = 'bot'",
        FLAGSHIP_ORDER,
    )
    assert bot_refunds == [(0,)]
    assert errors == []


def test_an_open_proposal_comes_back_after_a_reload_and_confirm_carries_it_out(
    live_server_url: str, live_server_db: Path, page: Page
) -> None:
    page.goto(f"{live_server_url}/")
    ask(page, "hello")
    conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")
    number, proposal_id = open_proposal_on_server(live_server_db, conversation_id)
    assert uuid.UUID(proposal_id)

    for _ in range(2):  # each (re)connect sends the open proposal again (guarantee 8)
        page.reload()
        shown = card(page)
        expect(shown).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
        expect(shown).to_have_attribute("data-proposal-id", proposal_id)
        expect(shown.locator(".sbw-proposal-summary")).to_contain_text(f"Cancel order {number}?")
    assert order_status(live_server_db, number) == "pending"

    shown.get_by_role("button", name="Confirm").click()
    expect(shown).to_have_attribute("data-state", "done", timeout=REPLY_TIMEOUT_MS)
    expect(shown.get_by_role("button")).to_have_count(0)
    page.wait_for_function(BOT_REPLIES_JS, arg=2, timeout=REPLY_TIMEOUT_MS)
    assert order_status(live_server_db, number) == "cancelled"
    done = _query(
        live_server_db,
        "SELECT status, actor_kind FROM orders_actionrecord WHERE proposal_id = ?",
        proposal_id,
    )
    assert done == [("done", "bot")]

    page.reload()
    page.wait_for_function(BOT_REPLIES_JS, arg=2, timeout=REPLY_TIMEOUT_MS)
    expect(card(page)).to_have_count(0)  # decided: not offered again
