"""End to end in real headless Chromium against the real server (Daphne, offline engine, seeded
temp SQLite): the flagship case streamed into the widget and kept across a reload, an anonymous
visitor asked to verify, safe text, and the "talk to a human" handoff.

Expectations come from the server's own database, opened read-only (conftest.live_server_db)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER, flagship_message

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page, WebSocket

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPLY_TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}
CENT = Decimal("0.01")
XSS = '<img src=x onerror="window.__xss=1">'

# Records, inside the page, every status line shown and every length the streaming bot bubble
# takes before its final message replaces it: proof the reply was streamed, not dropped in whole.
WATCH_WIDGET_JS = """() => {
  const root = document.querySelector('#support-bot-widget').shadowRoot;
  const seen = { statuses: [], streamLengths: [] };
  window.__e2e = seen;
  new MutationObserver(() => {
    const status = root.querySelector('.sbw-activity-text');
    if (status && seen.statuses.at(-1) !== status.textContent) {
      seen.statuses.push(status.textContent);
    }
    const bubble = root.querySelector('.sbw-msg--streaming .sbw-bubble');
    if (bubble && seen.streamLengths.at(-1) !== bubble.textContent.length) {
      seen.streamLengths.push(bubble.textContent.length);
    }
  }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
}"""
BOT_REPLIES_JS = (
    "n => window.SupportBotWidget.transcript().filter(m => m.sender === 'bot').length >= n"
)


@dataclass(frozen=True)
class Row:
    seq: int
    sender: str
    text: str


@dataclass(frozen=True)
class FlagshipFigures:
    """ORD-4521's money as the seeded database implies it."""

    replacement_cost: Decimal  # overnight replacement, free for a VIP but normally this much
    discount: Decimal  # the VIP tier's rate on the subtotal, capped
    shipping_fee: Decimal  # refunded because the express promise was broken


def _query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return conn.execute(sql, params).fetchall()


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def flagship_figures(db: Path) -> FlagshipFigures:
    ((subtotal, shipping, rate, cap),) = _query(
        db,
        "SELECT o.subtotal, o.shipping_cost, t.discount_rate, t.max_discount FROM orders_order o "
        "JOIN orders_customer c ON c.id = o.customer_id "
        "JOIN orders_loyaltytier t ON t.id = c.tier_id WHERE o.number = ?",
        FLAGSHIP_ORDER,
    )
    ((cost,),) = _query(
        db, "SELECT cost FROM orders_expediteoption WHERE code = ?", "overnight-replacement"
    )
    discount = min(_money(Decimal(str(subtotal)) * Decimal(str(rate))), _money(cap))
    return FlagshipFigures(_money(cost), discount, _money(shipping))


def message_rows(db: Path, conversation_id: str) -> list[Row]:
    rows = _query(
        db,
        "SELECT seq, sender, text FROM conversations_message "
        "WHERE conversation_id = ? ORDER BY seq",
        uuid.UUID(conversation_id).hex,  # Django keeps UUIDs as 32 hex digits in SQLite
    )
    return [Row(*row) for row in rows]


def conversation_status(db: Path, conversation_id: str) -> str:
    ((status,),) = _query(
        db,
        "SELECT status FROM conversations_conversation WHERE id = ?",
        uuid.UUID(conversation_id).hex,
    )
    return status


def transcript(page: Page) -> list[Row]:
    return [Row(**m) for m in page.evaluate("window.SupportBotWidget.transcript()")]


def record_frames(page: Page) -> list[dict[str, Any]]:
    """Every frame the server sends to the page's sockets, in arrival order."""
    frames: list[dict[str, Any]] = []

    def on_socket(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", on_socket)
    return frames


def ask(page: Page, text: str) -> str:
    """Sends `text` through the widget and returns the bot's final reply to it."""
    page.evaluate("text => window.SupportBotWidget.send(text)", text)
    page.wait_for_function(BOT_REPLIES_JS, arg=1, timeout=REPLY_TIMEOUT_MS)
    return [m for m in transcript(page) if m.sender == "bot"][-1].text


def sign_in(page: Page, name: str) -> None:
    option = page.locator("#demo-customer option", has_text=name)
    page.select_option("#demo-customer", value=option.get_attribute("value"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(name)
    # The widget's script is deferred: the page can show the name before it has run.
    page.wait_for_function("() => window.SupportBotWidget !== undefined")


def assert_streamed(frames: list[dict[str, Any]], final_text: str) -> None:
    """Protocol guarantee 3 on the wire: status, then deltas 0..k, then the final message."""
    kinds = [f["type"] for f in frames]
    final_at = next(
        i for i, f in enumerate(frames) if f["type"] == "message" and f["sender"] == "bot"
    )
    final = frames[final_at]
    asked = next(f["message_id"] for f in frames if f["type"] == "ack")
    assert final["reply_to"] == asked and final["text"] == final_text
    statuses = [f for f in frames[:final_at] if f["type"] == "status"]
    assert statuses and all(f["reply_to"] == asked for f in statuses), kinds
    deltas = [f for f in frames[:final_at] if f["type"] == "delta"]
    assert len(deltas) >= 2, kinds  # streamed in pieces, not sent whole
    assert kinds.index("status") < kinds.index("delta")
    assert all(d["message_id"] == final["message_id"] for d in deltas)
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert "".join(d["text"] for d in deltas) == final_text
    assert "delta" not in kinds[final_at:]


def test_flagship_streams_into_the_widget_and_survives_a_reload(
    live_server_url: str, live_server_db: Path, page: Page, artifacts_dir: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    frames = record_frames(page)
    page.goto(f"{live_server_url}/")
    sign_in(page, "Sarah Mitchell")
    page.evaluate("window.SupportBotWidget.open()")
    page.evaluate(WATCH_WIDGET_JS)

    reply = ask(page, flagship_message(timezone.now()))

    seen = page.evaluate("window.__e2e")

    assert seen["statuses"], "no status line was shown while the bot worked"
    lengths = seen["streamLengths"]
    # The bubble showed text before the final message and only ever grew.
    assert len(lengths) >= 2 and lengths[0] > 0 and lengths == sorted(lengths), lengths
    assert lengths[-1] <= len(reply)
    assert_streamed(frames, reply)
    expect(page.locator("#support-bot-widget .sbw-activity-text")).to_have_count(0)

    figures = flagship_figures(live_server_db)
    assert FLAGSHIP_ORDER in reply
    for amount in (figures.replacement_cost, figures.discount, figures.shipping_fee):
        assert f"${amount}" in reply, (amount, reply)
    assert FLAGSHIP_EMAIL not in reply  # the customer's own address is never echoed back

    conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")
    before = transcript(page)
    assert before == message_rows(live_server_db, conversation_id)
    assert [m.sender for m in before] == ["customer", "bot"]

    page.reload()
    page.wait_for_function(
        "n => window.SupportBotWidget.transcript().length >= n", arg=len(before), timeout=5_000
    )
    assert page.evaluate("window.SupportBotWidget.conversationId()") == conversation_id
    assert transcript(page) == message_rows(live_server_db, conversation_id) == before
    bubbles = page.locator("#support-bot-widget .sbw-msg[data-seq] .sbw-bubble")
    expect(bubbles).to_have_text([m.text for m in before])
    assert errors == []

    page.screenshot(path=str(artifacts_dir / "e2e-desktop.png"))
    page.set_viewport_size(PHONE)
    page.evaluate("window.SupportBotWidget.open()")
    page.screenshot(path=str(artifacts_dir / "e2e-phone.png"))


def test_anonymous_visitor_is_asked_to_verify_and_sees_no_order_data(
    live_server_url: str, live_server_db: Path, page: Page
) -> None:
    page.goto(f"{live_server_url}/")
    reply = ask(page, f"where is my order {FLAGSHIP_ORDER}?")

    assert re.search(r"order number", reply, re.I), reply
    assert re.search(r"e-?mail", reply, re.I), reply
    ((tracking, location),) = _query(
        live_server_db,
        "SELECT s.tracking_number, s.current_location FROM orders_shipment s "
        "JOIN orders_order o ON o.id = s.order_id WHERE o.number = ?",
        FLAGSHIP_ORDER,
    )
    for secret in (tracking, location, "Sarah", "Mitchell", FLAGSHIP_EMAIL, "$"):
        assert secret not in reply, (secret, reply)


def test_markup_in_a_message_is_shown_as_text_and_never_runs(
    live_server_url: str, live_server_db: Path, page: Page
) -> None:
    page.goto(f"{live_server_url}/")
    ask(page, XSS)

    conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")
    rows = message_rows(live_server_db, conversation_id)
    assert rows[0] == Row(1, "customer", XSS)
    customer = page.locator("#support-bot-widget .sbw-msg--customer .sbw-bubble")
    expect(customer).to_have_text(XSS)
    shadow_images = (
        "document.querySelector('#support-bot-widget').shadowRoot.querySelectorAll('img')"
    )
    assert page.evaluate(f"{shadow_images}.length") == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_talk_to_a_human_queues_the_conversation(
    live_server_url: str, live_server_db: Path, page: Page
) -> None:
    page.goto(f"{live_server_url}/")
    page.evaluate("window.SupportBotWidget.open()")
    human = page.get_by_role("button", name="Talk to a human")
    human.click()

    banner = page.locator("#support-bot-widget .sbw-banner--handoff")
    expect(banner).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(banner).to_contain_text("Connecting you with a person")
    expect(human).to_be_disabled()
    conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")
    assert conversation_status(live_server_db, conversation_id) == "queued"
