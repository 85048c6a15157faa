"""XSS payloads in customer, bot and agent text are inert: in the widget (real headless Chromium,
a page-wide flag that any executed payload would set) and in the admin pages staff read them in
(escaped in the HTML)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from playwright.sync_api import expect

from conversations.models import Message
from conversations.services import conversation_create, message_create
from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER
from orders.models import Customer, KnowledgeArticle, Order
from tests.browser.fake_backend import FakeBackend, message

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.security]

# Each sets window.__xss (or adds an element with id "xss") if it ever runs or renders as HTML.
PAYLOADS = (
    '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
    "<script>window.__xss=1</script>",
    '<svg onload="window.__xss=1"><circle r="1"/></svg>',
    '"><iframe srcdoc="&lt;script&gt;parent.__xss=1&lt;/script&gt;"></iframe>',
    '<a id="xss" href="javascript:window.__xss=1">click me</a>',
    "</textarea></div><b id=xss onmouseover=window.__xss=1>bold</b>",
    "<details open ontoggle=window.__xss=1><summary>x</summary></details>",
    "javascript:window.__xss=1//<style>*{display:none!important}</style>",
)
INJECTED_ELEMENTS_JS = """() => {
  const root = document.querySelector('#support-bot-widget').shadowRoot;
  const selector = 'img, script:not([data-widget]), iframe, #xss, details, a[href^="javascript"], '
    + '[onerror], [onload], [onmouseover], [ontoggle], svg circle';
  return [...root.querySelectorAll(selector), ...document.querySelectorAll('#xss, iframe, img')]
    .map(el => el.outerHTML.slice(0, 80));
}"""


@pytest.mark.browser
def test_payloads_in_every_kind_of_frame_are_inert_in_the_widget(
    fake_backend: FakeBackend, page: Page
) -> None:
    history = [message(1, "customer", PAYLOADS[0]), message(2, "bot", PAYLOADS[1], reply_to="m1")]
    fake_backend.store_conversation("99999999-8888-4777-8666-555555555555", "t", last_seq=2)
    fake_backend.history = history
    fake_backend.open_page()
    fake_backend.wait_for_socket()
    page.evaluate("() => window.SupportBotWidget.open()")
    fake_backend.push(
        message(3, "customer", PAYLOADS[2]),
        {"type": "status", "reply_to": "m3", "stage": "intent", "text": PAYLOADS[3]},
        {"type": "delta", "message_id": "m4", "reply_to": "m3", "index": 0, "text": PAYLOADS[4]},
        message(4, "bot", PAYLOADS[4], reply_to="m3"),
        {"type": "handoff", "state": "assigned", "agent": PAYLOADS[5]},
        {"type": "typing", "sender": "agent", "active": True},
        message(5, "agent", PAYLOADS[6]),
        message(6, "system", PAYLOADS[7]),
        {"type": "error", "code": "invalid", "detail": PAYLOADS[0]},
    )
    expect(fake_backend.w(".sbw-msg--agent .sbw-bubble")).to_have_text(PAYLOADS[6])
    bubbles = fake_backend.bubble_texts()
    for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[4], PAYLOADS[6]):
        assert payload in bubbles  # shown as the very text that was sent
    for element in fake_backend.w(".sbw-bubble").all():
        element.hover()  # give mouse-driven handlers their chance
    page.wait_for_timeout(300)  # onerror/onload fire asynchronously
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.evaluate(INJECTED_ELEMENTS_JS) == []


# -- the admin --


def _staff(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _assert_inert(response: Any, payloads: tuple[str, ...]) -> str:
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    raw = [p for p in payloads if p in body]
    assert not raw, f"raw payload in {response.request['PATH_INFO']}: {raw}"
    return body


@pytest.mark.django_db(transaction=True)
def test_payloads_are_escaped_in_the_admin_pages(demo_store: Any) -> None:
    customer = Customer.objects.get(email=FLAGSHIP_EMAIL)
    conversation, _ = conversation_create(customer=customer)
    agent = User.objects.get(username="agent")
    written = []
    for index, payload in enumerate(PAYLOADS):
        sender = "agent" if index % 2 else "customer"
        write = message_create(
            conversation_id=conversation.pk,
            sender=sender,
            text=payload,
            client_id=uuid.uuid4() if sender == "customer" else None,
            author_id=agent.pk if sender == "agent" else None,
        )
        written.append(write.message)
    order = Order.objects.get(number=FLAGSHIP_ORDER)
    Order.objects.filter(pk=order.pk).update(notes=PAYLOADS[0] + PAYLOADS[1])
    article = KnowledgeArticle.objects.first()
    KnowledgeArticle.objects.filter(pk=article.pk).update(body=PAYLOADS[2], title=PAYLOADS[3])

    pages = [
        reverse("admin:conversations_conversation_change", args=[conversation.pk]),
        reverse("admin:conversations_conversation_changelist") + "?q=window",
        reverse("admin:conversations_message_changelist"),
        reverse("admin:conversations_message_change", args=[written[0].pk]),
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_knowledgearticle_change", args=[article.pk]),
        reverse("admin:orders_knowledgearticle_changelist"),
    ]
    for name in ("desk_handoffqueue_console", "desk_handoffqueue_transcript"):
        try:  # the desk console, where agents read the customer's words
            pages.append(reverse(f"admin:{name}", args=[conversation.pk]))
        except NoReverseMatch:
            continue
    admin = _staff("admin")
    bodies = {url: _assert_inert(admin.get(url), PAYLOADS) for url in pages}
    # The staff still read the very text: escaped, not dropped.
    for payload in PAYLOADS:
        assert escape(payload) in bodies[pages[0]], payload
    assert escape(PAYLOADS[0] + PAYLOADS[1]) in bodies[pages[4]]
    assert Message.objects.filter(conversation=conversation).count() == len(PAYLOADS)
