"""The queue and the console in the admin: who may see and act, what the rows show, the
buttons, replies and notes, and that customer text is escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, Message
from conversations.proposals import proposal_open, state_save
from conversations.services import conversation_language_set, message_create
from desk import services
from desk.models import CannedResponse, ConversationNote
from pipeline.models import PipelineTrace
from tests.desk.conftest import User, logged_in

pytestmark = pytest.mark.django_db
QUEUE = "/admin/desk/handoffqueue/"
HTMX = {"HX-Request": "true"}


def url(name: str, conversation: Conversation) -> str:
    return reverse(f"admin:desk_handoffqueue_{name}", args=[conversation.pk])


# Permissions.


def test_staff_without_work_queue_get_403_everywhere(make_agent: Any, make_handoff: Any) -> None:
    client = logged_in(make_agent("Olga", permitted=False))
    conversation, _ = make_handoff()
    assert client.get(QUEUE).status_code == 403
    assert client.get(url("console", conversation)).status_code == 403
    for action in ("claim", "release", "reassign", "resolve", "reply", "notes"):
        assert client.post(url(action, conversation), {"text": "x"}).status_code == 403
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED


def test_anonymous_and_customers_are_sent_to_the_login(make_handoff: Any) -> None:
    conversation, _ = make_handoff()
    customer = logged_in(User.objects.create_user(username="cust", password="pw-cust-123"))
    for client in (Client(), customer):
        for path in (QUEUE, url("console", conversation)):
            response = client.get(path)
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        response = client.post(url("claim", conversation))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED


# The queue.


def test_queue_lists_waiting_conversations_oldest_first_with_their_details(
    make_agent: Any, make_handoff: Any, vip_customer: Any
) -> None:
    client = logged_in(make_agent("Dana"))
    older, _ = make_handoff("legal threat", intent="complaint_escalation")
    newer, _ = make_handoff(customer=vip_customer)
    message_create(conversation_id=newer.pk, sender="customer", text="Where is my parcel?")
    Conversation.objects.filter(pk=older.pk).update(
        queued_at=timezone.now() - dt.timedelta(minutes=30),
        sla_due_at=timezone.now() - dt.timedelta(minutes=25),
    )
    not_handed_off = Conversation.objects.create(token_hash="x")
    page = client.get(QUEUE).content.decode()
    assert page.index(url("console", older)) < page.index(url("console", newer))
    for shown in ("legal threat", "complaint_escalation", "Urgent", "Vera Vip", "VIP", "High"):
        assert shown in page
    assert "Where is my parcel?" in page
    assert 'class="desk-overdue"' in page and "overdue by 2" in page
    assert str(not_handed_off.pk) not in page
    assert 'data-desk-ws="/ws/desk/queue/"' in page
    assert "htmx" in page  # the script that reloads the rows live


def test_queue_and_console_show_the_customers_language(make_agent: Any, make_handoff: Any) -> None:
    client = logged_in(make_agent("Dana"))
    spanish, _ = make_handoff()
    conversation_language_set(conversation_id=spanish.pk, language="es")
    unknown, _ = make_handoff()
    queue = client.get(QUEUE).content.decode()
    assert '<td class="field-language">Spanish</td>' in queue
    assert '<td class="field-language">-</td>' in queue
    assert "?language__exact=es" in queue  # the filter
    console = client.get(url("console", spanish)).content.decode()
    assert "<dt>Language</dt><dd>Spanish</dd>" in console
    console = client.get(url("console", unknown)).content.decode()
    assert "<dt>Language</dt><dd>-</dd>" in console


def test_queue_filters_mine_and_search(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    client = logged_in(dana)
    mine, _ = make_handoff("legal threat")
    waiting, _ = make_handoff("customer asked for a person")
    services.handoff_claim(conversation_id=mine.pk, agent=dana)
    waiting_page = client.get(QUEUE).content.decode()
    assert url("console", waiting) in waiting_page and url("console", mine) not in waiting_page
    mine_page = client.get(QUEUE, {"state": "mine"}).content.decode()
    assert url("console", mine) in mine_page and url("console", waiting) not in mine_page
    found = client.get(QUEUE, {"state": "all", "q": "legal"}).content.decode()
    assert url("console", mine) in found and url("console", waiting) not in found


def test_queue_query_count_does_not_grow_with_rows(make_agent: Any, make_handoff: Any) -> None:
    client = logged_in(make_agent("Dana"))
    make_handoff()
    with CaptureQueriesContext(connection) as few:
        assert client.get(QUEUE).status_code == 200
    for _ in range(6):
        make_handoff()
    with CaptureQueriesContext(connection) as many:
        assert client.get(QUEUE).status_code == 200
    assert len(many) == len(few)


# The buttons.


def test_claim_button_redirects_to_the_console_and_a_late_claim_is_told_who_won(
    make_agent: Any, make_handoff: Any
) -> None:
    dana, sam = make_agent("Dana"), make_agent("Sam")
    conversation, _ = make_handoff()
    won = logged_in(dana).post(url("claim", conversation), headers=HTMX)
    assert won.status_code == 200 and won["HX-Redirect"] == url("console", conversation)
    lost = logged_in(sam).post(url("claim", conversation), headers=HTMX)
    assert lost.status_code == 200
    assert "Already claimed by Dana." in lost.content.decode()
    assert "desk-flash--error" in lost.content.decode()


def test_buttons_without_htmx_redirect_back_with_a_message(
    make_agent: Any, make_handoff: Any
) -> None:
    dana, sam = make_agent("Dana"), make_agent("Sam")
    conversation, _ = make_handoff()
    client = logged_in(dana)
    assert client.post(url("claim", conversation))["Location"] == url("console", conversation)
    response = client.post(url("reassign", conversation), {"agent": sam.pk}, follow=True)
    assert "Reassigned to Sam." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.assigned_agent == sam
    refused = client.post(url("release", conversation), follow=True).content.decode()
    assert "Only the agent who owns this conversation can release it." in refused


def test_availability_toggle_puts_the_agent_in_round_robin(
    make_agent: Any, make_handoff: Any
) -> None:
    dana = make_agent("Dana", available=False)
    conversation, _ = make_handoff()
    client = logged_in(dana)
    client.post(reverse("admin:desk_handoffqueue_availability"), {"available": "1"})
    conversation.refresh_from_db()
    assert conversation.assigned_agent == dana


# The console.


def test_console_shows_transcript_customer_pipeline_and_escapes_text(
    make_agent: Any, make_handoff: Any, vip_customer: Any
) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff("legal threat", customer=vip_customer)
    message_create(
        conversation_id=conversation.pk, sender="customer", text="<script>alert(1)</script> hi"
    )
    CannedResponse.objects.create(title="Greeting", text='Hi, I\'m here "now" <b>')
    page = logged_in(dana).get(url("console", conversation)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hi" in page
    assert "&lt;b&gt;" in page and "<b>" not in page.split("Greeting")[0][-200:]
    assert "Vera Vip" in page and "legal threat" in page
    assert f'data-desk-ws="/ws/desk/conversations/{conversation.pk}/"' in page
    assert 'id="site-name"' in page  # inside the admin's chrome
    assert "Claim this conversation to reply" in page


def test_reply_from_the_console_is_an_agent_message(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    client = logged_in(dana)
    refused = client.post(url("reply", conversation), {"text": "Hello"}, headers=HTMX)
    assert "Claim this conversation before replying." in refused.content.decode()
    client.post(url("claim", conversation))
    sent = client.post(url("reply", conversation), {"text": "Hello, Dana here."}, headers=HTMX)
    assert sent.status_code == 200 and 'id="desk-reply"' in sent.content.decode()
    message = Message.objects.get(conversation=conversation, sender="agent")
    assert message.text == "Hello, Dana here." and message.author == dana


def test_notes_are_saved_and_listed_for_agents(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    client = logged_in(dana)
    listed = client.post(url("notes", conversation), {"text": "Prefers e-mail <b>"}, headers=HTMX)
    assert "Prefers e-mail &lt;b&gt;" in listed.content.decode()
    assert ConversationNote.objects.get(conversation=conversation).author == dana
    assert not Message.objects.filter(conversation=conversation, text__contains="Prefers").exists()


def test_panel_fragment_follows_the_state(make_agent: Any, make_handoff: Any) -> None:
    dana = make_agent("Dana")
    conversation, _ = make_handoff()
    client = logged_in(dana)
    assert ">Claim</button>" in client.get(url("panel", conversation)).content.decode()
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    panel = client.get(url("panel", conversation)).content.decode()
    assert "Release to queue" in panel and ">Claim</button>" not in panel


def test_console_shows_the_pipelines_state_for_the_last_message(
    make_agent: Any, make_handoff: Any
) -> None:
    conversation, _ = make_handoff("refund of $450.00 is over the bot's $100.00 limit")
    asked = message_create(conversation_id=conversation.pk, sender="customer", text="Refund pls")
    draft = message_create(
        conversation_id=conversation.pk,
        sender="bot",
        text="A colleague will approve <this>.",
        reply_to_id=asked.message.pk,
    )
    PipelineTrace.objects.create(
        conversation=conversation,
        message=asked.message,
        reply=draft.message,
        lane="human",
        intent="refund_request",
        secondary_intents=["order_status"],
        confidence=0.91,
        outcome="handoff",
        handoff_reason="refund of $450.00 is over the bot's $100.00 limit",
        latency_ms=12.0,
        facts={
            "order_number": "ORD-777",
            "refund": {"eligible": True, "amount": "450.00", "within_bot_limit": False},
        },
        plan={
            "headline": "Refund needs approval",
            "steps": [{"kind": "payout_to_human", "summary": "A colleague approves it."}],
            "rejections": ["amount not in facts"],
        },
    )
    page = logged_in(make_agent("Dana")).get(url("console", conversation)).content.decode()
    for shown in (
        "refund_request",
        "also order_status",
        "ORD-777",
        "eligible: True",  # one line per verdict; jsonb may reorder its keys
        "amount: 450.00",
        "within_bot_limit: False",
        "payout_to_human",
        "amount not in facts",
        "A colleague will approve &lt;this&gt;.",
        "over the bot&#x27;s $100.00 limit",
    ):
        assert shown in page, shown


def test_console_shows_the_conversation_state_and_the_proposal_waiting(
    make_agent: Any, make_handoff: Any
) -> None:
    client = logged_in(make_agent("Dana"))
    conversation, _ = make_handoff()
    page = client.get(url("console", conversation)).content.decode()
    assert "No proposal waits for the customer." in page and "Nothing kept yet." in page

    state_save(
        conversation_id=conversation.pk,
        data={"orders_in_focus": ["ORD-7001"], "open_request": "<b>cancel</b>", "empty": None},
    )
    proposal_open(
        conversation_id=conversation.pk,
        name="cancel_pending_order",
        arguments={"order_id": "ORD-7001", "reason": "no longer needed"},
        summary="Cancel order ORD-7001?",
        reply_to_id=None,
    )
    page = client.get(url("console", conversation)).content.decode()
    memory = page[page.index('id="desk-memory"') :]
    memory = memory[: memory.index("</section>")]
    assert "Waiting for the customer's answer:</strong> Cancel order ORD-7001?" in memory
    assert "<code>cancel_pending_order</code>" in memory
    assert "<dt>reason</dt><dd><pre>no longer needed</pre></dd>" in memory
    assert "<dt>orders in focus</dt><dd><pre>ORD-7001</pre></dd>" in memory
    assert "&lt;b&gt;cancel&lt;/b&gt;" in memory and "<b>cancel</b>" not in memory
    assert "empty" not in memory  # blank values are left out
