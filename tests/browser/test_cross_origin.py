"""The widget on the store's own site, in real headless Chromium: a page served from another
origin (a plain http.server on another port) with the one script tag pointing at the app, the
customer signed by the store's "backend" in its data attributes. A valid signature gets answers
about that customer's order; a bad one gets a clear message in the widget and no conversation."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from chat.identity import identity_sign
from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER
from tests.browser.conftest import PROJECT_ROOT, STORE_IDENTITY_SECRET
from tests.browser.test_end_to_end import _query, ask, message_rows, transcript

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "widget-cross-origin.png"
STORE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Northwind Outfitters</title>
<style>body {{ font: 16px system-ui, sans-serif; margin: 0; background: #f6f4ef; }}
header {{ background: #243b53; color: #fff; padding: 18px 32px; font-size: 22px; }}
main {{ padding: 32px; }}</style></head>
<body><header>Northwind Outfitters</header>
<main><p>Signed in as {email}. This page is the store's own site, on {origin}.</p></main>
<script src="{app}/static/widget/widget.js" data-customer-email="{email}"
        data-customer-signature="{signature}" defer></script>
</body></html>"""


@pytest.fixture
def store_site(store_origin: str, live_server_url: str) -> Iterator[Callable[[str], str]]:
    """The store's site on `store_origin`, serving one page whose tag carries `signature`."""
    page_html = {"body": b""}

    class StorePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page_html["body"])

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", urlsplit(store_origin).port), StorePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(signature: str) -> str:
        page_html["body"] = STORE_PAGE.format(
            app=live_server_url,
            origin=store_origin,
            email=html.escape(FLAGSHIP_EMAIL),
            signature=html.escape(signature),
        ).encode()
        return f"{store_origin}/"

    yield serve
    server.shutdown()
    server.server_close()


def conversations_count(db: Path) -> int:
    ((count,),) = _query(db, "SELECT COUNT(*) FROM conversations_conversation")
    return count


def test_the_widget_on_the_stores_site_answers_the_signed_customer_about_her_order(
    store_site: Callable[[str], str], live_server_db: Path, page: Page
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(store_site(identity_sign(FLAGSHIP_EMAIL, secret=STORE_IDENTITY_SECRET)))
    page.wait_for_function("() => window.SupportBotWidget !== undefined")
    page.evaluate("window.SupportBotWidget.open()")

    reply = ask(page, f"where is my order {FLAGSHIP_ORDER}?")

    ((tracking, location),) = _query(
        live_server_db,
        "SELECT s.tracking_number, s.current_location FROM orders_shipment s "
        "JOIN orders_order o ON o.id = s.order_id WHERE o.number = ?",
        FLAGSHIP_ORDER,
    )
    assert FLAGSHIP_ORDER in reply, reply
    assert location in reply or tracking in reply, reply  # her own order's facts, no questions
    conversation_id = page.evaluate("window.SupportBotWidget.conversationId()")
    ((email,),) = _query(
        live_server_db,
        "SELECT c.email FROM conversations_conversation v "
        "JOIN orders_customer c ON c.id = v.customer_id WHERE v.id = ?",
        conversation_id.replace("-", ""),
    )
    assert email == FLAGSHIP_EMAIL
    assert transcript(page) == message_rows(live_server_db, conversation_id)
    assert page.evaluate("window.SupportBotWidget.connected()")
    assert errors == []
    page.screenshot(path=str(SCREENSHOT))


def test_a_bad_signature_shows_a_clear_message_and_starts_nothing(
    store_site: Callable[[str], str], live_server_db: Path, page: Page
) -> None:
    forged = identity_sign(FLAGSHIP_EMAIL, secret="not-the-stores-secret")
    page.goto(store_site(forged))
    page.wait_for_function("() => window.SupportBotWidget !== undefined")
    before = conversations_count(live_server_db)
    page.evaluate("window.SupportBotWidget.send('where is my order?')")

    note = page.locator("#support-bot-widget .sbw-note--error")
    expect(note).to_contain_text("couldn't confirm your account")
    expect(page.locator("#support-bot-widget .sbw-msg--failed")).to_have_count(1)
    assert page.evaluate("window.SupportBotWidget.conversationId()") is None
    assert conversations_count(live_server_db) == before
