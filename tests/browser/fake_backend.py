"""A stand-in for the server side of shared/protocol.md, living inside one Playwright page.

HTTP goes through page.route() (the host page, the widget's static files, the conversation API);
the WebSocket class is replaced before any page script runs by one the test drives: it records
every frame the widget sends and lets the test push server frames, drop the connection or
refuse handshakes. So the widget's client logic is tested without the real consumer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, Route

ORIGIN = "https://store.test"
WIDGET_DIR = Path(__file__).resolve().parents[2] / "static" / "widget"
STORE_KEY = f"support_bot.conversation:{ORIGIN}"
NEW_CONVERSATION = {
    "id": "11111111-2222-4333-8444-555555555555",
    "token": "token-new",
    "ws_url": "/ws/chat/11111111-2222-4333-8444-555555555555/",
}

# A hostile host page: its CSS must not reach into the widget.
HOST_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Goods</title>
<style>
  body {{ margin: 0; font: 17px/1.6 Georgia, serif; background: #f5f5f4; color: #1c1917;
         letter-spacing: 1px; text-transform: uppercase; }}
  main {{ max-width: 760px; margin: 0 auto; padding: 48px 24px; }}
  div {{ color: red !important; }}
  button {{ background: yellow; border: 4px solid black; }}
</style></head>
<body><main>
  <h1>Gifts that arrive on time.</h1>
  <p>Questions about an order? Our assistant knows your orders and our policies.</p>
  <button id="page-button" type="button">Shop the sale</button>
</main>
<script src="/static/widget/widget.js" data-endpoint="{ORIGIN}" defer></script>
</body></html>"""

FAKE_WEBSOCKET_JS = """
(() => {
  const sockets = [];
  const control = { refuse: 0 };
  class FakeWebSocket extends EventTarget {
    constructor(url) {
      super();
      this.url = String(url);
      this.readyState = 0;
      this.sent = [];
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      sockets.push(this);
      const refused = control.refuse > 0;
      if (refused) control.refuse -= 1;
      setTimeout(() => (refused ? this._closed(1006) : this._opened()), 5);
    }
    _emit(event) {
      this.dispatchEvent(event);
      const handler = this["on" + event.type];
      if (handler) handler.call(this, event);
    }
    _opened() {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      this._emit(new Event("open"));
    }
    _closed(code) {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this._emit(new CloseEvent("close", { code, wasClean: code === 1000 }));
    }
    send(data) {
      if (this.readyState !== 1) throw new DOMException("not open", "InvalidStateError");
      this.sent.push(JSON.parse(data));
    }
    close(code = 1000) {
      if (this.readyState >= 2) return;
      this.readyState = 2;
      setTimeout(() => this._closed(code), 0);
    }
    serverSend(frame) {
      this._emit(new MessageEvent("message", { data: JSON.stringify(frame) }));
    }
  }
  FakeWebSocket.CONNECTING = 0;
  FakeWebSocket.OPEN = 1;
  FakeWebSocket.CLOSING = 2;
  FakeWebSocket.CLOSED = 3;
  window.WebSocket = FakeWebSocket;
  window.__fakeWS = {
    sockets,
    control,
    at(i) { return i < 0 ? sockets[sockets.length + i] : sockets[i]; },
  };
})();
"""


def message(
    seq: int,
    sender: str,
    text: str,
    *,
    message_id: str | None = None,
    reply_to: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A `message` frame as protocol.md defines it."""
    return {
        "type": "message",
        "message_id": message_id or f"m{seq}",
        "seq": seq,
        "sender": sender,
        "text": text,
        "reply_to": reply_to,
        "created_at": "2025-11-21T10:00:00+00:00",
        **extra,
    }


class FakeBackend:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.history: list[dict[str, Any]] = []
        self.history_status = 200
        self.create_status = 200
        self.create_requests: list[dict[str, str]] = []
        self.history_requests: list[tuple[str, dict[str, str]]] = []
        page.add_init_script(script=FAKE_WEBSOCKET_JS)
        page.route(f"{ORIGIN}/**", self._handle)

    # ---- setup -------------------------------------------------------------------------------

    def store_conversation(self, conv_id: str, token: str, last_seq: int = 0) -> None:
        """Puts a conversation in localStorage, as a previous visit would have left it."""
        stored = json.dumps(
            {"id": conv_id, "token": token, "ws_url": f"/ws/chat/{conv_id}/", "last_seq": last_seq}
        )
        self.page.add_init_script(
            script=f"""
            try {{
              if (location.origin === {json.dumps(ORIGIN)} && !sessionStorage.getItem("seeded")) {{
                sessionStorage.setItem("seeded", "1");
                localStorage.setItem({json.dumps(STORE_KEY)}, {json.dumps(stored)});
              }}
            }} catch (e) {{}}
            """
        )

    def open_page(self) -> None:
        self.page.goto(f"{ORIGIN}/")
        self.widget_root().wait_for(state="attached")
        self.page.wait_for_function("() => window.SupportBotWidget !== undefined")
        self.page.locator("#support-bot-widget .sbw-launcher").wait_for(state="visible")

    def widget_root(self) -> Locator:
        return self.page.locator("#support-bot-widget")

    def w(self, selector: str) -> Locator:
        """A locator inside the widget (Playwright's CSS engine pierces its open shadow root)."""
        return self.page.locator(f"#support-bot-widget {selector}")

    # ---- HTTP --------------------------------------------------------------------------------

    def _handle(self, route: Route) -> None:
        request = route.request
        path = urlparse(request.url).path
        if path == "/":
            route.fulfill(status=200, content_type="text/html", body=HOST_PAGE)
        elif path.startswith("/static/widget/"):
            self._static(route, path.rsplit("/", 1)[-1])
        elif path == "/api/conversations/" and request.method == "POST":
            self.create_requests.append(request.headers)
            body = NEW_CONVERSATION if self.create_status == 200 else {"detail": "no"}
            route.fulfill(status=self.create_status, json=body)
        elif path.startswith("/api/conversations/") and path.endswith("/messages/"):
            self.history_requests.append((request.url, request.headers))
            after = int(parse_qs(urlparse(request.url).query).get("after_seq", ["0"])[0])
            body = [m for m in self.history if m["seq"] > after]
            route.fulfill(status=self.history_status, json=body)
        else:
            route.fulfill(status=404, body="not found")

    @staticmethod
    def _static(route: Route, name: str) -> None:
        file = WIDGET_DIR / name
        if name not in {"widget.js", "widget.css"} or not file.exists():
            route.fulfill(status=404, body="not found")
            return
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        route.fulfill(status=200, content_type=kind, body=file.read_text())

    # ---- websocket ---------------------------------------------------------------------------

    def socket_count(self) -> int:
        return int(self.page.evaluate("() => window.__fakeWS.sockets.length"))

    def wait_for_socket(self, count: int = 1) -> str:
        """Waits until `count` sockets were opened; returns the URL of the last one."""
        self.page.wait_for_function(
            "n => window.__fakeWS.sockets.length >= n && window.__fakeWS.at(-1).readyState === 1",
            arg=count,
        )
        return str(self.page.evaluate("() => window.__fakeWS.at(-1).url"))

    def sent(self, socket: int = -1) -> list[dict[str, Any]]:
        return list(self.page.evaluate("i => window.__fakeWS.at(i).sent", socket))

    def wait_for_sent(
        self, frame_type: str, count: int = 1, socket: int = -1
    ) -> list[dict[str, Any]]:
        """Waits until the widget sent `count` frames of `frame_type` on a socket; returns them."""
        self.page.wait_for_function(
            "([i, t, n]) => window.__fakeWS.at(i).sent.filter(f => f.type === t).length >= n",
            arg=[socket, frame_type, count],
        )
        return [f for f in self.sent(socket) if f["type"] == frame_type]

    def push(self, *frames: dict[str, Any], socket: int = -1) -> None:
        self.page.evaluate(
            "([i, frames]) => { for (const f of frames) window.__fakeWS.at(i).serverSend(f); }",
            [socket, list(frames)],
        )

    def drop(self) -> None:
        """The server side goes away without a close handshake (code 1006)."""
        self.page.evaluate("() => window.__fakeWS.at(-1)._closed(1006)")

    def refuse_next(self, count: int) -> None:
        self.page.evaluate("n => { window.__fakeWS.control.refuse = n; }", count)

    # ---- what the widget shows ---------------------------------------------------------------

    def transcript(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate("() => window.SupportBotWidget.transcript()"))

    def bubble_texts(self) -> list[str]:
        """Texts of every message bubble on screen, in order (greeting excluded)."""
        return self.w(".sbw-msg:not(.sbw-msg--greeting) .sbw-bubble").all_text_contents()
