"""Scenario 5: the widget's socket killed at random points, 100 times, while replies stream.

Real headless Chromium (Debian's, through Playwright) on the demo store page, signed in as the
flagship customer, against one Daphne (SQLite, pipeline in the web process) and the fake model
server pacing answers at 25 tokens/s so each reply streams for a few seconds. The page's
WebSocket is wrapped before the widget loads so the test can close the live socket from page
JS at any moment; the widget reconnects by itself and sends `resume`.

After every resume the widget's transcript must equal the database (no gap, no duplicate), and
every text the streaming bubble ever showed must be a prefix of the reply it became.

The server is its own SQLite Daphne whatever the pass, so this runs in the embedded pass of
`./run test` only (the second pass would repeat the very same run).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, _require_chromium
from tests.chaos.stack import base_env, chaos_stack, fake_llm_start

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.integration.stack import Stack

pytestmark = [pytest.mark.chaos, pytest.mark.browser, pytest.mark.integration]

KILLS = 100
RUN_LIMIT_S = 150  # a bound on the loop; the scenario normally needs well under half
SETTLE_MS = 5_000
QUESTIONS = [
    "Where is my order ORD-4521? It has not moved for days.",
    "Can you check ORD-4521 again please?",
    "Is ORD-4521 going to make it in time?",
]

MIGRATE_AND_SEED = (
    "from django.core.management import call_command; "
    "call_command('migrate', interactive=False, verbosity=0); call_command('seed_demo')"
)
TRACK_SOCKETS_JS = """
(() => {
  const Native = window.WebSocket;
  const chaos = { sockets: [], shown: [] };
  window.__chaos = chaos;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); chaos.sockets.push(this); }
  };
  // Every text a streaming bubble shows, tagged with the bubble it belongs to.
  let next = 0;
  const watch = () => {
    const host = document.querySelector('#support-bot-widget');
    if (!host || !host.shadowRoot) return setTimeout(watch, 20);
    new MutationObserver(() => {
      for (const el of host.shadowRoot.querySelectorAll('.sbw-msg--streaming')) {
        if (!el.dataset.chaos) el.dataset.chaos = String(next++);
        const text = el.querySelector('.sbw-bubble').textContent;
        const last = chaos.shown.findLast((s) => s[0] === el.dataset.chaos);
        if (!last || last[1] !== text) chaos.shown.push([el.dataset.chaos, text]);
      }
    }).observe(host.shadowRoot, { subtree: true, childList: true, characterData: true });
  };
  document.addEventListener('DOMContentLoaded', watch);
})();
"""
KILL_JS = """() => {
  const ws = window.__chaos.sockets.at(-1);
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.close();
  return true;
}"""
STATE_JS = """() => {
  const w = window.SupportBotWidget;
  const root = document.querySelector('#support-bot-widget').shadowRoot;
  return {
    connected: w.connected(),
    transcript: w.transcript(),
    bubbles: Array.from(root.querySelectorAll('.sbw-msg[data-seq]'), (el) => ({
      seq: Number(el.dataset.seq),
      text: el.querySelector('.sbw-bubble').textContent,
      chaos: el.dataset.chaos || null,
    })),
    streaming: root.querySelectorAll('.sbw-msg--streaming').length,
    pending: root.querySelectorAll('.sbw-msg--pending').length,
  };
}"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, SQLite file) of a seeded Daphne answering through the fake model server."""
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        pytest.skip("runs its own SQLite Daphne: done in the embedded pass of ./run test")
    _require_chromium()
    db = tmp_path_factory.mktemp("chaos-web") / "db.sqlite3"
    stack: Stack = chaos_stack(base_env(DATABASE_URL=f"sqlite:///{db}"), "socket-kills")
    try:
        stack.env["LLM_BASE_URL"] = fake_llm_start(stack, "--ttft-ms", "50", "--tokens-per-s", "25")
        stack.manage("shell", "-c", MIGRATE_AND_SEED)
        stack.daphne("web")
        yield f"http://127.0.0.1:{stack.ports['web']}", db
    finally:
        stack.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module scope: Playwright's sync API must be gone before other modules' asyncio tests."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def db_rows(db: Path, conversation_id: str) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        rows = conn.execute(
            "SELECT seq, sender, text FROM conversations_message "
            "WHERE conversation_id = ? ORDER BY seq",
            (uuid.UUID(conversation_id).hex,),
        ).fetchall()
    return [{"seq": seq, "sender": sender, "text": text} for seq, sender, text in rows]


def assert_no_gap_no_duplicate(state: dict[str, Any]) -> None:
    seqs = [m["seq"] for m in state["transcript"]]
    assert seqs == list(range(1, len(seqs) + 1)), f"gap in {seqs}"
    assert [b["seq"] for b in state["bubbles"]] == seqs, "a bubble shown twice or out of order"
    assert [b["text"] for b in state["bubbles"]] == [m["text"] for m in state["transcript"]]


def settle(page: Page, db: Path, conversation_id: str) -> dict[str, Any]:
    """Wait (bounded) for the widget to show what the database holds; return its state."""
    deadline = time.monotonic() + SETTLE_MS / 1000
    while True:
        state = page.evaluate(STATE_JS)
        assert_no_gap_no_duplicate(state)
        rows = db_rows(db, conversation_id)
        if state["connected"] and state["transcript"] == rows:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"widget {state['transcript']} != database {rows}")
        page.wait_for_timeout(50)


def sign_in_as_sarah(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    option = page.locator("#demo-customer option", has_text="Sarah Mitchell")
    page.select_option("#demo-customer", value=option.get_attribute("value"))
    page.get_by_role("button", name="Sign in").click()
    page.locator(".who").filter(has_text="Sarah").wait_for()


class Customer:
    """One browser context (its own storage, so its own conversation) chatting and losing its
    socket; two run side by side so the kills of one overlap the reconnect of the other."""

    def __init__(self, browser: Browser, base_url: str, db: Path) -> None:
        self.context = browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
        self.page = self.context.new_page()
        self.db = db
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.add_init_script(TRACK_SOCKETS_JS)
        sign_in_as_sarah(self.page, base_url)
        self.sent = self.kills = self.mid_reply = 0

    @property
    def conversation_id(self) -> str:
        return self.page.evaluate("window.SupportBotWidget.conversationId()")

    def replying(self) -> bool:
        """A customer message on screen still waits for its bot reply."""
        state = self.page.evaluate(STATE_JS)
        senders = [m["sender"] for m in state["transcript"]]
        return bool(state["pending"]) or senders.count("customer") > senders.count("bot")

    def send_if_idle(self) -> None:
        if not self.replying():
            text = QUESTIONS[self.sent % len(QUESTIONS)]
            self.page.evaluate("text => window.SupportBotWidget.send(text)", text)
            self.sent += 1

    def kill(self) -> bool:
        during = self.replying()
        if not self.page.evaluate(KILL_JS):
            return False
        self.kills += 1
        self.mid_reply += during
        return True

    def resumed(self) -> dict[str, Any]:
        # A function, not a bare expression: the page's CSP forbids eval, which Playwright needs for one.
        self.page.wait_for_function("() => window.SupportBotWidget.connected()", timeout=SETTLE_MS)
        return settle(self.page, self.db, self.conversation_id)

    def finish(self) -> tuple[dict[str, Any], list[list[str]]]:
        self.page.wait_for_function(
            "() => { const t = window.SupportBotWidget.transcript(); const n = s =>"
            " t.filter(m => m.sender === s).length; return n('bot') >= n('customer'); }",
            timeout=30_000,
        )
        state = settle(self.page, self.db, self.conversation_id)
        shown = self.page.evaluate("window.__chaos.shown")
        self.context.close()
        return state, shown


def test_socket_killed_100_times_mid_reply_transcript_always_equals_the_database(
    web: tuple[str, Path], browser: Browser
) -> None:
    base_url, db = web
    rng = random.Random(7)
    customers = [Customer(browser, base_url, db) for _ in range(2)]
    started = time.monotonic()
    while sum(c.kills for c in customers) < KILLS and time.monotonic() - started < RUN_LIMIT_S:
        killed = []
        for customer in customers:
            customer.send_if_idle()
            customer.page.wait_for_timeout(rng.uniform(20, 500))  # a random point of the reply
            if customer.kill():
                killed.append(customer)
        for customer in killed:
            customer.resumed()  # the transcript equals the database after every resume
    took_s = time.monotonic() - started
    kills = sum(c.kills for c in customers)
    assert kills >= KILLS, f"{kills} kills in {took_s:.0f} s"
    assert sum(c.mid_reply for c in customers) >= 0.8 * kills  # nearly all during a reply

    for customer in customers:
        final, shown = customer.finish()
        senders = [m["sender"] for m in final["transcript"]]
        assert senders == ["customer", "bot"] * customer.sent  # one reply each, in order
        assert final["streaming"] == 0 and final["pending"] == 0
        # Every stream the customer watched grew into its reply: nothing doubled or skipped.
        became = {b["chaos"]: b["text"] for b in final["bubbles"] if b["chaos"]}
        assert became, "no reply was seen streaming"
        for bubble, text in shown:
            assert bubble in became and became[bubble].startswith(text), (text, became[bubble])
        assert customer.errors == []
