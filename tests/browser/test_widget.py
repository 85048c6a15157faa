"""The chat widget's client logic in real headless Chromium, against a faked server
(tests/browser/fake_backend.py): history, streaming, resume without gaps or duplicates, safe text,
keyboard use, errors, handoff and CSAT, and screenshots for a human to look at."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.browser.fake_backend import NEW_CONVERSATION, STORE_KEY, FakeBackend, message

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

OLD_ID = "99999999-8888-4777-8666-555555555555"
FLAGSHIP = (
    "I ordered product #4521 on November 28th with express shipping, but it's been 12 days "
    "and the tracking shows it's stuck in Chicago. Can you expedite it?"
)


def _open_with_history(fake: FakeBackend, history: list[dict]) -> str:
    fake.store_conversation(OLD_ID, "token-old", last_seq=len(history))
    fake.history = history
    fake.open_page()
    return fake.wait_for_socket()


def _ack_last_message(fake: FakeBackend, seq: int) -> str:
    fake.wait_for_socket()
    frame = fake.wait_for_sent("message")[-1]
    fake.push({"type": "ack", "client_id": frame["client_id"], "message_id": f"m{seq}", "seq": seq})
    return frame["client_id"]


def test_keyboard_opens_focuses_the_input_and_escape_closes(fake_backend: FakeBackend) -> None:
    fake_backend.open_page()
    launcher = fake_backend.w(".sbw-launcher")
    panel = fake_backend.w("[role=dialog]")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_have_attribute("aria-controls", "sbw-panel")

    fake_backend.page.keyboard.press("Tab")  # page button first, then the launcher
    fake_backend.page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    fake_backend.page.keyboard.press("Enter")

    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("aria-label", "Customer support chat")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(fake_backend.w("textarea.sbw-input")).to_be_focused()
    expect(fake_backend.w("[role=log]")).to_have_attribute("aria-live", "polite")

    fake_backend.page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()
    assert fake_backend.socket_count() == 0, "opening alone must not start a conversation"


def test_stored_conversation_renders_history_then_resumes_after_last_seq(
    fake_backend: FakeBackend,
) -> None:
    history = [
        message(1, "customer", "Where is order 1042?"),
        message(2, "bot", "Order 1042 shipped yesterday.\nIt arrives Friday.", reply_to="m1"),
        message(3, "system", "Dana joined the chat"),
        message(4, "agent", "Hi, Dana here. I can help further."),
    ]
    url = _open_with_history(fake_backend, history)

    assert url == f"wss://store.test/ws/chat/{OLD_ID}/?token=token-old"
    history_url, headers = fake_backend.history_requests[0]
    assert history_url.endswith(f"/api/conversations/{OLD_ID}/messages/?after_seq=0")
    assert headers["authorization"] == "Bearer token-old"
    assert fake_backend.sent()[0] == {"type": "resume", "after_seq": 4}
    assert fake_backend.transcript() == [
        {"seq": m["seq"], "sender": m["sender"], "text": m["text"]} for m in history
    ]
    assert fake_backend.bubble_texts() == [m["text"] for m in history]
    expect(fake_backend.w(".sbw-msg--agent")).to_have_count(1)
    expect(fake_backend.w(".sbw-msg--system")).to_have_count(1)
    assert fake_backend.create_requests == [], "a stored conversation is reused, not recreated"


def test_a_reply_streams_in_index_order_and_the_final_message_replaces_it(
    fake_backend: FakeBackend,
) -> None:
    fake_backend.page.context.add_cookies(
        [{"name": "csrftoken", "value": "csrf-abc", "url": "https://store.test"}]
    )
    fake_backend.open_page()
    fake_backend.page.evaluate("() => window.SupportBotWidget.open()")
    fake_backend.w("textarea.sbw-input").fill(FLAGSHIP)
    fake_backend.page.keyboard.press("Enter")

    pending = fake_backend.w(".sbw-msg--customer")
    expect(pending).to_have_attribute("data-state", "pending")
    _ack_last_message(fake_backend, seq=1)
    assert fake_backend.create_requests[0]["x-csrftoken"] == "csrf-abc"
    assert fake_backend.sent()[-1]["text"] == FLAGSHIP
    expect(pending).to_have_attribute("data-state", "sent")

    fake_backend.push(
        {"type": "status", "reply_to": "m1", "stage": "retrieval", "text": "Checking your order..."}
    )
    expect(fake_backend.w(".sbw-activity")).to_have_text("Checking your order...")
    delta = {"type": "delta", "message_id": "m2", "reply_to": "m1"}
    fake_backend.push(
        {**delta, "index": 0, "text": "I'm sorry "},
        {**delta, "index": 1, "text": "about the delay. "},
        {**delta, "index": 1, "text": "about the delay. "},  # duplicate
        {**delta, "index": 3, "text": "today."},  # ahead of index 2: held back
    )
    streaming = fake_backend.w(".sbw-msg--streaming .sbw-bubble")
    expect(streaming).to_have_text("I'm sorry about the delay. ")
    fake_backend.push({**delta, "index": 2, "text": "I can expedite it "})
    expect(streaming).to_have_text("I'm sorry about the delay. I can expedite it today.")

    final = "I'm sorry about the delay. I can expedite it today."
    fake_backend.push(message(2, "bot", final, reply_to="m1"))
    expect(fake_backend.w(".sbw-msg--streaming")).to_have_count(0)
    expect(fake_backend.w(".sbw-activity")).to_have_text("")
    assert fake_backend.bubble_texts() == [FLAGSHIP, final]
    assert fake_backend.transcript() == [
        {"seq": 1, "sender": "customer", "text": FLAGSHIP},
        {"seq": 2, "sender": "bot", "text": final},
    ]


def test_reconnect_resends_unacked_with_the_same_client_id_and_resume_dedupes(
    fake_backend: FakeBackend,
) -> None:
    _open_with_history(fake_backend, [message(1, "customer", "Hi"), message(2, "bot", "Hello!")])
    fake_backend.page.evaluate("() => window.SupportBotWidget.send('Is my parcel late?')")
    first_try = fake_backend.wait_for_sent("message")[0]

    fake_backend.drop()  # before the ack arrives
    expect(fake_backend.w(".sbw-banner--conn")).to_have_text("Reconnecting…")
    fake_backend.wait_for_socket(count=2)
    frames = fake_backend.wait_for_sent("message")
    assert fake_backend.sent()[0] == {"type": "resume", "after_seq": 2}
    assert frames == [first_try], "re-sent once, with the same client_id"
    expect(fake_backend.w(".sbw-banner--conn")).to_be_hidden()

    # The server replays from seq 2 (one it already has), our message before its ack, the reply.
    fake_backend.push(
        message(2, "bot", "Hello!"),
        message(3, "customer", "Is my parcel late?"),
        {"type": "delta", "message_id": "m4", "reply_to": "m3", "index": 0, "text": "No, "},
        message(4, "bot", "No, it is on time.", reply_to="m3"),
        {"type": "delta", "message_id": "m4", "reply_to": "m3", "index": 1, "text": "late"},
        {"type": "ack", "client_id": first_try["client_id"], "message_id": "m3", "seq": 3},
        message(3, "customer", "Is my parcel late?"),
    )
    assert fake_backend.bubble_texts() == [
        "Hi",
        "Hello!",
        "Is my parcel late?",
        "No, it is on time.",
    ]
    assert [m["seq"] for m in fake_backend.transcript()] == [1, 2, 3, 4]
    expect(fake_backend.w(".sbw-msg--pending")).to_have_count(0)


def test_a_gap_in_seq_is_filled_by_a_resume(fake_backend: FakeBackend) -> None:
    _open_with_history(fake_backend, [message(1, "customer", "Hi")])
    fake_backend.push(message(3, "bot", "Three"))  # seq 2 went missing
    resumes = fake_backend.wait_for_sent("resume", count=2)
    assert resumes[-1] == {"type": "resume", "after_seq": 1}
    fake_backend.push(message(2, "system", "Two"), message(3, "bot", "Three"))
    assert fake_backend.bubble_texts() == ["Hi", "Two", "Three"]


def test_a_reload_keeps_the_conversation_and_its_history(fake_backend: FakeBackend) -> None:
    fake_backend.open_page()
    fake_backend.page.evaluate("() => window.SupportBotWidget.send('Hello')")
    _ack_last_message(fake_backend, seq=1)
    fake_backend.push(message(2, "bot", "Hi! How can I help?", reply_to="m1"))
    before = fake_backend.transcript()
    fake_backend.history = [
        message(1, "customer", "Hello"),
        message(2, "bot", "Hi! How can I help?"),
    ]

    fake_backend.page.reload()
    fake_backend.page.wait_for_function("() => window.SupportBotWidget.transcript().length === 2")
    assert fake_backend.transcript() == before
    assert len(fake_backend.create_requests) == 1
    expect(fake_backend.w("[role=dialog]")).to_be_visible()  # it was open before the reload
    assert fake_backend.wait_for_socket().endswith("?token=token-new")
    assert fake_backend.sent()[0] == {"type": "resume", "after_seq": 2}


def test_html_in_text_is_shown_as_text_and_never_runs(fake_backend: FakeBackend) -> None:
    evil = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
    _open_with_history(fake_backend, [message(1, "customer", evil), message(2, "agent", evil)])
    fake_backend.push(
        {"type": "error", "code": "surprise", "detail": '<img src=y onerror="window.__pwned=3">'},
        {"type": "status", "reply_to": "m1", "stage": "intent", "text": "<i>x</i>"},
        {
            "type": "delta",
            "message_id": "m3",
            "index": 0,
            "text": "<script>window.__pwned=2</script>",
        },
    )
    assert fake_backend.bubble_texts() == [evil, evil, "<script>window.__pwned=2</script>"]
    expect(fake_backend.w(".sbw-activity")).to_have_text("<i>x</i>")
    for tag in ("img", "b", "i", "script"):
        expect(fake_backend.w(f".sbw-panel {tag}")).to_have_count(0)
    expect(fake_backend.w(".sbw-note--error")).to_have_text(
        '<img src=y onerror="window.__pwned=3">'
    )
    assert fake_backend.page.evaluate("() => window.__pwned") is None
    # The host page's `div { color: red !important }` does not reach into the widget.
    color = fake_backend.w(".sbw-msg--agent .sbw-bubble").evaluate("e => getComputedStyle(e).color")
    assert color != "rgb(255, 0, 0)"


def test_a_rejected_stored_conversation_is_replaced_by_a_new_one(fake_backend: FakeBackend) -> None:
    fake_backend.history_status = 404
    fake_backend.store_conversation(OLD_ID, "token-old", last_seq=7)
    fake_backend.open_page()
    fake_backend.page.wait_for_function(f"() => localStorage.getItem('{STORE_KEY}') === null")
    assert fake_backend.socket_count() == 0

    fake_backend.page.evaluate("() => window.SupportBotWidget.send('Hello again')")
    url = fake_backend.wait_for_socket()
    assert url.endswith(f"{NEW_CONVERSATION['ws_url']}?token=token-new")
    assert fake_backend.wait_for_sent("message")[0]["text"] == "Hello again"
    stored = fake_backend.page.evaluate(f"() => JSON.parse(localStorage.getItem('{STORE_KEY}'))")
    assert stored["id"] == NEW_CONVERSATION["id"]


def test_a_refused_reconnect_checks_the_token_and_forgets_a_dead_conversation(
    fake_backend: FakeBackend,
) -> None:
    _open_with_history(fake_backend, [message(1, "customer", "Hi")])
    fake_backend.refuse_next(10)  # the handshake is now refused (HTTP 403 looks like a drop)
    fake_backend.history_status = 403
    fake_backend.drop()
    fake_backend.page.wait_for_function(f"() => localStorage.getItem('{STORE_KEY}') === null")
    expect(fake_backend.w(".sbw-note--info")).to_contain_text("expired")
    assert fake_backend.transcript() == []
    assert fake_backend.history_requests[-1][0].endswith("after_seq=1")


def test_end_chat_asks_for_csat_then_forgets_the_conversation(fake_backend: FakeBackend) -> None:
    _open_with_history(fake_backend, [message(1, "customer", "Hi"), message(2, "bot", "Hello")])
    fake_backend.page.evaluate("() => window.SupportBotWidget.open()")
    fake_backend.w(".sbw-end").click()
    expect(fake_backend.page.get_by_label("1 of 5, Very poor")).to_be_focused()
    fake_backend.page.keyboard.press("ArrowRight")  # native radio group: arrows pick a score
    fake_backend.w(".sbw-csat").get_by_role("button", name="Send feedback").click()
    assert fake_backend.wait_for_sent("csat") == [{"type": "csat", "score": 2, "comment": ""}]
    fake_backend.page.wait_for_function(f"() => localStorage.getItem('{STORE_KEY}') === null")
    assert fake_backend.transcript() == []
    expect(fake_backend.w(".sbw-end")).to_be_hidden()
    expect(fake_backend.w("textarea.sbw-input")).to_be_focused()


def test_length_counter_blocks_sending_over_4000_characters(fake_backend: FakeBackend) -> None:
    fake_backend.open_page()
    fake_backend.page.evaluate("() => window.SupportBotWidget.open()")
    box = fake_backend.w("textarea.sbw-input")
    box.fill("é" * 4000)  # counted as code points, like the server's len()
    expect(fake_backend.w(".sbw-counter")).to_have_text("4,000 / 4,000")
    expect(fake_backend.w(".sbw-send")).to_be_enabled()
    box.press("End")
    box.press("x")
    expect(fake_backend.w(".sbw-counter")).to_have_text("1 character over the limit")
    expect(fake_backend.w(".sbw-send")).to_be_disabled()
    box.press("Enter")
    assert fake_backend.w(".sbw-msg--customer").count() == 0


def test_server_errors_are_shown_inline_and_humanely(fake_backend: FakeBackend) -> None:
    fake_backend.open_page()
    fake_backend.page.evaluate("() => window.SupportBotWidget.send('x'.repeat(4001))")
    fake_backend.wait_for_socket()
    too_long = fake_backend.wait_for_sent("message")[0]
    fake_backend.push(
        {
            "type": "error",
            "code": "too_long",
            "client_id": too_long["client_id"],
            "detail": "max 4000",
        }
    )
    expect(fake_backend.w(".sbw-msg--failed .sbw-msg-state")).to_have_text("Not sent: too long")
    expect(fake_backend.w(".sbw-note--error")).to_contain_text("too long")
    expect(fake_backend.w("textarea.sbw-input")).to_have_value("x" * 4001)

    fake_backend.w("textarea.sbw-input").fill("")
    fake_backend.page.evaluate("() => window.SupportBotWidget.send('hello')")
    limited = fake_backend.wait_for_sent("message", count=2)[1]
    fake_backend.push(
        {
            "type": "error",
            "code": "rate_limited",
            "client_id": limited["client_id"],
            "retry_after": 30,
        }
    )
    expect(fake_backend.w(".sbw-note--warn")).to_contain_text("You can send again in 30 s")
    fake_backend.w("textarea.sbw-input").fill("again")
    expect(fake_backend.w(".sbw-send")).to_be_disabled()
    expect(fake_backend.w(".sbw-retry")).to_be_disabled()


def test_handoff_agent_typing_and_csat(fake_backend: FakeBackend) -> None:
    _open_with_history(fake_backend, [message(1, "customer", "I want a person")])
    fake_backend.page.evaluate("() => window.SupportBotWidget.open()")
    fake_backend.w(".sbw-human").click()
    assert fake_backend.wait_for_sent("handoff_request") == [{"type": "handoff_request"}]
    fake_backend.push({"type": "handoff", "state": "queued", "position": 3})
    expect(fake_backend.w(".sbw-banner--handoff")).to_have_text(
        "Connecting you with a person. You're number 3 in line."
    )
    fake_backend.push(
        {"type": "handoff", "state": "assigned", "agent": "Dana"},
        {"type": "typing", "sender": "agent", "active": True},
    )
    expect(fake_backend.w(".sbw-activity")).to_have_text("Dana is typing")
    fake_backend.push(message(2, "agent", "Hi, I'm Dana."))
    expect(fake_backend.w(".sbw-activity")).to_have_text("")
    expect(fake_backend.w(".sbw-msg--agent .sbw-msg-meta")).to_have_text("Dana · Support agent")
    expect(fake_backend.w(".sbw-subtitle")).to_have_text("You're chatting with Dana")
    expect(fake_backend.w(".sbw-banner--handoff")).to_be_hidden()

    fake_backend.push({"type": "handoff", "state": "resolved"})
    csat = fake_backend.w(".sbw-csat")
    expect(csat).to_be_visible()
    csat.get_by_label("4 of 5, Good").check()
    fake_backend.w(".sbw-csat-comment").fill("Quick and kind")
    csat.get_by_role("button", name="Send feedback").click()
    frames = fake_backend.wait_for_sent("csat")
    assert frames == [{"type": "csat", "score": 4, "comment": "Quick and kind"}]
    expect(csat).to_be_hidden()


def test_typing_is_sent_throttled(fake_backend: FakeBackend) -> None:
    _open_with_history(fake_backend, [message(1, "customer", "Hi")])
    fake_backend.page.evaluate("() => window.SupportBotWidget.open()")
    fake_backend.w("textarea.sbw-input").press_sequentially("where is it", delay=5)
    typing = fake_backend.wait_for_sent("typing")
    assert typing == [{"type": "typing", "active": True}]


def _rich_conversation(fake: FakeBackend) -> None:
    _open_with_history(
        fake,
        [
            message(1, "customer", FLAGSHIP),
            message(
                2,
                "bot",
                "I'm so sorry about the wait. Order #4521 left Chicago this "
                "morning.\nIt is due on December 9th, a day before the birthday.",
                degraded=True,
            ),
            message(3, "customer", "Can I talk to someone about the VIP discount?"),
            message(4, "system", "Dana joined the chat"),
            message(
                5,
                "agent",
                "Hi, I'm Dana. I've applied your 10% VIP discount: "
                "$12.40 is on its way back to your card.",
            ),
            message(6, "customer", "Thank you!"),
        ],
    )
    fake.page.evaluate("() => window.SupportBotWidget.open()")
    fake.push(
        {"type": "handoff", "state": "assigned", "agent": "Dana"},
        {
            "type": "status",
            "reply_to": "m6",
            "stage": "retrieval",
            "text": "Checking your order...",
        },
        {"type": "delta", "message_id": "m7", "index": 0, "text": "You're welcome! Anything"},
    )


@pytest.mark.parametrize(
    ("name", "viewport", "mobile"),
    [
        ("desktop", {"width": 1280, "height": 800}, False),
        ("phone", {"width": 390, "height": 844}, True),
    ],
)
def test_screenshots(
    chromium: Browser, artifacts_dir: Path, name: str, viewport: dict[str, int], mobile: bool
) -> None:
    context = chromium.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, reduced_motion="reduce"
    )
    try:
        fake = FakeBackend(context.new_page())
        _rich_conversation(fake)
        expect(fake.w(".sbw-banner--degraded")).to_be_visible()
        expect(fake.w(".sbw-msg--streaming")).to_have_count(1)
        panel = fake.w("[role=dialog]").bounding_box()
        assert panel is not None
        if mobile:
            assert (panel["width"], panel["height"]) == (viewport["width"], viewport["height"])
        else:
            assert (panel["width"], panel["height"]) == (380, 600)
        fake.page.screenshot(path=str(artifacts_dir / f"widget-{name}.png"))
        fake.push({"type": "handoff", "state": "resolved"})
        fake.page.screenshot(path=str(artifacts_dir / f"widget-{name}-csat.png"))
    finally:
        context.close()


def test_a_reloaded_widget_shows_the_queue_and_the_expected_wait(
    fake_backend: FakeBackend,
) -> None:
    """After a reload the server's resume ends with the handoff state (guarantee 8): the widget
    shows the place in line and the expected wait, not the bot's promise and button."""
    _open_with_history(fake_backend, [message(1, "customer", "I want a person")])
    fake_backend.page.evaluate("() => window.SupportBotWidget.open()")
    fake_backend.push(
        {"type": "handoff", "state": "queued", "position": 2, "agent": None, "expected_wait_s": 240}
    )
    expect(fake_backend.w(".sbw-banner--handoff")).to_have_text(
        "Connecting you with a person. You're number 2 in line. Expected wait: about 4 min."
    )
    expect(fake_backend.w(".sbw-subtitle")).to_have_text("Waiting for a person")
    expect(fake_backend.w(".sbw-human")).to_be_disabled()
