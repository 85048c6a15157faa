"""The widget's proposal cards and long replies in real headless Chromium, against the faked server
(tests/browser/fake_backend.py): a `proposal` frame becomes a card with real buttons that send the
`decision` frame, `proposal_closed` settles it, a reload shows it again once, and a long bot
reply reads as short paragraphs or a list while staying plain text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.fake_backend import FakeBackend, message

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.browser

CONVERSATION = "77777777-6666-4555-8444-333333333333"
PROPOSAL_ID = "5c3f5a0e-9d4b-4e7e-9a39-0d7f2f1b6c21"


def proposal_frame(proposal_id: str = PROPOSAL_ID, reply_to: str = "m2") -> dict[str, Any]:
    return {
        "type": "proposal",
        "proposal_id": proposal_id,
        "reply_to": reply_to,
        "action": {
            "name": "cancel_pending_order",
            "args": {"order_id": "ORD-7001", "reason": "no longer needed"},
        },
        "summary": "Cancel order ORD-7001 and refund $54.20 to your card?",
    }


HISTORY = [
    message(1, "customer", "Please cancel ORD-7001"),
    message(2, "bot", "It hasn't shipped, so I can cancel it.", reply_to="m1"),
]


def open_conversation(fake: FakeBackend) -> None:
    fake.store_conversation(CONVERSATION, "token-p", last_seq=len(HISTORY))
    fake.history = list(HISTORY)
    fake.open_page()
    fake.page.evaluate("() => window.SupportBotWidget.open()")
    fake.wait_for_socket()
    fake.page.wait_for_function("() => window.SupportBotWidget.transcript().length === 2")


def test_a_proposal_is_a_card_confirmed_by_keyboard(
    fake_backend: FakeBackend, artifacts_dir: Path
) -> None:
    open_conversation(fake_backend)
    expect(fake_backend.w("textarea.sbw-input")).to_be_focused()
    fake_backend.push(proposal_frame())

    card = fake_backend.w(".sbw-proposal")
    expect(card).to_have_count(1)
    expect(card).to_be_focused()  # focus moved from the input to the card
    expect(card).to_have_attribute("role", "group")
    expect(card.locator(".sbw-proposal-summary")).to_have_text(
        "Cancel order ORD-7001 and refund $54.20 to your card?"
    )
    details = card.locator(".sbw-proposal-details")
    expect(details).to_contain_text("Cancel pending order")
    expect(details).to_contain_text("ORD-7001")
    expect(details).to_contain_text("no longer needed")
    announcer = fake_backend.w(".sbw-sr[aria-live=polite][role=status]").last
    expect(announcer).to_have_text(
        "Please confirm: Cancel order ORD-7001 and refund $54.20 to your card?"
    )

    confirm = card.get_by_role("button", name="Confirm")
    expect(card.get_by_role("button", name="Decline")).to_be_visible()
    fake_backend.page.screenshot(path=str(artifacts_dir / "widget-proposal.png"))
    fake_backend.page.keyboard.press("Tab")
    expect(confirm).to_be_focused()
    fake_backend.page.keyboard.press("Enter")
    sent = fake_backend.wait_for_sent("decision")
    assert sent == [{"type": "decision", "proposal_id": PROPOSAL_ID, "accept": True}]
    expect(confirm).to_be_disabled()

    fake_backend.push(
        {"type": "proposal_closed", "proposal_id": PROPOSAL_ID, "state": "done", "detail": "Done."},
        message(3, "bot", "Order ORD-7001 is cancelled.", reply_to=None),
    )
    expect(card).to_have_attribute("data-state", "done")
    expect(card.locator(".sbw-proposal-title")).to_have_text("Done")
    expect(card.get_by_role("button")).to_have_count(0)
    expect(announcer).to_contain_text("Done: Cancel order ORD-7001")
    assert fake_backend.page.evaluate("() => window.SupportBotWidget.proposals()") == [
        {
            "id": PROPOSAL_ID,
            "state": "done",
            "summary": "Cancel order ORD-7001 and refund $54.20 to your card?",
        }
    ]
    fake_backend.page.keyboard.press("Enter")  # no button left to press twice
    assert len(fake_backend.wait_for_sent("decision")) == 1


def test_declining_sends_accept_false_and_shows_the_detail(fake_backend: FakeBackend) -> None:
    open_conversation(fake_backend)
    fake_backend.push(proposal_frame())
    card = fake_backend.w(".sbw-proposal")
    card.get_by_role("button", name="Decline").click()
    assert fake_backend.wait_for_sent("decision")[-1]["accept"] is False
    fake_backend.push(
        {
            "type": "proposal_closed",
            "proposal_id": PROPOSAL_ID,
            "state": "declined",
            "detail": "Nothing was changed.",
        }
    )
    expect(card).to_have_attribute("data-state", "declined")
    expect(card.locator(".sbw-proposal-result")).to_have_text("Nothing was changed.")


def test_a_refused_decision_leaves_the_card_usable(fake_backend: FakeBackend) -> None:
    open_conversation(fake_backend)
    fake_backend.push(proposal_frame())
    confirm = fake_backend.w(".sbw-proposal").get_by_role("button", name="Confirm")
    confirm.click()
    expect(confirm).to_be_disabled()
    fake_backend.push(
        {"type": "error", "code": "invalid", "detail": "no such proposal in this conversation"}
    )
    expect(confirm).to_be_enabled()
    expect(fake_backend.w(".sbw-proposal")).to_have_attribute("data-state", "open")


def test_after_a_reload_the_open_proposal_is_shown_once_again(fake_backend: FakeBackend) -> None:
    open_conversation(fake_backend)
    fake_backend.push(proposal_frame())
    expect(fake_backend.w(".sbw-proposal")).to_have_count(1)

    fake_backend.page.reload()
    fake_backend.page.wait_for_function("() => window.SupportBotWidget.transcript().length === 2")
    fake_backend.wait_for_socket()  # the reloaded page's own first socket
    expect(fake_backend.w(".sbw-proposal")).to_have_count(0)  # only the server says it is open
    fake_backend.push(proposal_frame(), proposal_frame())  # resume, and a second tab's resend
    card = fake_backend.w(".sbw-proposal")
    expect(card).to_have_count(1)
    expect(card).not_to_be_focused()  # a reload does not take the page's focus
    expect(card.get_by_role("button", name="Confirm")).to_be_enabled()
    assert fake_backend.bubble_texts() == [m["text"] for m in HISTORY]


LONG_REPLY = (
    "I'm sorry your parcel is late. It has been stuck since Monday. "
    "I've asked the carrier to check it. You'll hear from me by Friday."
)
LISTED = "Here is what I can do:\n- Ship a replacement by Friday\n- Refund the $14.99 fee"


def test_a_long_bot_reply_reads_as_short_paragraphs_and_lists(
    fake_backend: FakeBackend, artifacts_dir: Path
) -> None:
    evil = "<b>One.</b> Two <img src=x onerror=window.__pwned=1>. Three! Four <i>x</i>?"
    open_conversation(fake_backend)
    fake_backend.push(
        message(3, "bot", LONG_REPLY),
        message(4, "bot", LISTED),
        message(5, "bot", "Your refund of $43.34 is on its way. Anything else?"),
        message(6, "customer", "One. Two. Three. Four."),
        message(7, "bot", evil),
    )
    bubbles = fake_backend.w(".sbw-msg[data-seq] .sbw-bubble")
    expect(bubbles).to_have_count(7)
    long_reply = bubbles.nth(2)
    expect(long_reply.locator("p")).to_have_text(
        [
            "I'm sorry your parcel is late. It has been stuck since Monday.",
            "I've asked the carrier to check it. You'll hear from me by Friday.",
        ]
    )
    listed = bubbles.nth(3)
    expect(listed.locator("p")).to_have_text(["Here is what I can do:"])
    expect(listed.locator("ul li")).to_have_text(
        ["- Ship a replacement by Friday", "- Refund the $14.99 fee"]
    )
    expect(bubbles.nth(4).locator("p")).to_have_count(0)  # two sentences stay one block
    expect(bubbles.nth(5).locator("p")).to_have_count(0)  # the customer's words are as typed
    expect(bubbles.nth(6).locator("p")).to_have_count(2)
    fake_backend.page.screenshot(path=str(artifacts_dir / "widget-long-replies.png"))
    for tag in ("img", "b", "i"):
        expect(bubbles.nth(6).locator(tag)).to_have_count(0)
    assert fake_backend.page.evaluate("() => window.__pwned") is None
    # Paragraphs change the look, never the words: each bubble's text is the message's.
    texts = [m["text"] for m in HISTORY] + [
        LONG_REPLY,
        LISTED,
        "Your refund of $43.34 is on its way. Anything else?",
        "One. Two. Three. Four.",
        evil,
    ]
    assert fake_backend.bubble_texts() == texts
