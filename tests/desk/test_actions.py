"""Agents acting on orders from the console: each action goes through the store's services with
the agent as actor, refusals show the store's reason, a double submit writes once, the override
needs its permission and is recorded, and the customer is told what was done."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from conversations.models import Conversation, Message
from desk import services
from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER
from orders.models import ActionRecord, Customer, Order, Payment, Refund, Shipment
from tests.desk.conftest import User, logged_in

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def act_url(slug: str, conversation: Conversation) -> str:
    return reverse(f"admin:desk_handoffqueue_act_{slug}", args=[conversation.pk])


def console_url(conversation: Conversation) -> str:
    return reverse("admin:desk_handoffqueue_console", args=[conversation.pk])


@pytest.fixture
def flagship(demo_store: Any, make_agent: Any, make_handoff: Any) -> dict[str, Any]:
    """The flagship customer's conversation, claimed by Dana (who may not override)."""
    customer = Customer.objects.get(email=FLAGSHIP_EMAIL)
    conversation, _ = make_handoff(customer=customer)
    dana = make_agent("Dana")
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    return {"conversation": conversation, "dana": dana, "client": logged_in(dana)}


def may_override(user: Any) -> Any:
    user.user_permissions.add(Permission.objects.get(codename="override_policy"))
    return User.objects.get(pk=user.pk)


def system_messages(conversation: Conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, sender=Message.Sender.SYSTEM)
        .order_by("seq")
        .values_list("text", flat=True)
    )


def refund(client: Any, conversation: Conversation, **fields: str) -> Any:
    data = {
        "order_id": FLAGSHIP_ORDER,
        "amount": "43.34",
        "reason": "late parcel",
        "proposal_id": "desk-p1",
        **fields,
    }
    return client.post(act_url("refund", conversation), data, headers=HTMX)


def test_the_owner_refunds_and_the_customer_is_told_with_the_facts(flagship: Any) -> None:
    conversation = flagship["conversation"]
    response = refund(flagship["client"], conversation)
    assert response.status_code == 200
    text = "Refund of $43.34 on order ORD-4521 to your Visa ending 4242 approved by Dana."
    assert text in response.content.decode() and "desk-flash--ok" in response.content.decode()
    assert "desk:actions-changed" in response["HX-Trigger"]
    assert system_messages(conversation) == [text]
    record = ActionRecord.objects.get(name="issue_refund")
    assert record.actor_kind == "agent" and record.agent == flagship["dana"]
    assert record.conversation_id == conversation.pk and not record.policy_override
    order = Order.objects.get(number=FLAGSHIP_ORDER)
    assert order.payments.filter(kind=Payment.Kind.REFUND, amount=D("43.34")).exists()


def test_a_double_submit_writes_once_and_tells_the_customer_once(flagship: Any) -> None:
    conversation = flagship["conversation"]
    first = refund(flagship["client"], conversation)
    second = refund(flagship["client"], conversation)
    assert first.status_code == second.status_code == 200
    assert ActionRecord.objects.filter(name="issue_refund", status="done").count() == 1
    assert Refund.objects.filter(order__number=FLAGSHIP_ORDER, amount=D("43.34")).count() == 1
    assert len(system_messages(conversation)) == 1
    # A new form (a new proposal id) is a new refund.
    refund(flagship["client"], conversation, proposal_id="desk-p2", amount="5.00")
    assert ActionRecord.objects.filter(name="issue_refund", status="done").count() == 2


def test_a_refusal_shows_the_store_reason_and_is_logged(flagship: Any) -> None:
    conversation = flagship["conversation"]
    response = refund(flagship["client"], conversation, amount="150.00")
    body = response.content.decode()
    assert "desk-flash--error" in body and "more than I can approve on my own" in body
    record = ActionRecord.objects.get(name="issue_refund")
    assert record.status == "refused" and "$150.00" in record.refusal
    assert system_messages(conversation) == []
    console = flagship["client"].get(console_url(conversation)).content.decode()
    assert "refused: A refund of $150.00" in console


def test_the_override_needs_the_permission_and_is_recorded(flagship: Any) -> None:
    conversation, client = flagship["conversation"], flagship["client"]
    console = client.get(console_url(conversation)).content.decode()
    assert 'name="override"' not in console  # not offered without the permission
    response = refund(client, conversation, amount="150.00", override="1")
    assert "needs the orders.override_policy permission" in response.content.decode()
    assert not ActionRecord.objects.filter(status="done").exists()

    may_override(flagship["dana"])
    assert 'name="override"' in client.get(console_url(conversation)).content.decode()
    # Holding the permission is not asking to use it: the limit still holds without the box.
    refund(client, conversation, amount="150.00", proposal_id="desk-p2")
    assert not ActionRecord.objects.filter(status="done").exists()
    refund(client, conversation, amount="150.00", override="1", proposal_id="desk-p3")
    record = ActionRecord.objects.get(status="done")
    assert record.policy_override and "more than I can approve" in record.result["overrides"][0]
    console = client.get(console_url(conversation)).content.decode()
    assert "(policy overridden)" in console


def test_only_the_owning_agent_acts(flagship: Any, make_agent: Any) -> None:
    conversation = flagship["conversation"]
    other = logged_in(make_agent("Omar"))
    response = refund(other, conversation)
    assert "Claim this conversation before acting" in response.content.decode()
    stranger = logged_in(make_agent("Olga", permitted=False))
    assert refund(stranger, conversation).status_code == 403
    assert not ActionRecord.objects.exists() and system_messages(conversation) == []


def test_replacement_for_the_late_parcel_tells_the_customer_how_and_tracking(
    flagship: Any,
) -> None:
    conversation = flagship["conversation"]
    data = {
        "order_id": FLAGSHIP_ORDER,
        "option_code": "overnight-replacement",
        "proposal_id": "desk-r1",
    }
    response = flagship["client"].post(act_url("replacement", conversation), data, headers=HTMX)
    record = ActionRecord.objects.get(name="send_replacement_shipment", status="done")
    tracking = record.result["tracking_number"]
    assert Shipment.objects.filter(tracking_number=tracking).exists()
    (message,) = system_messages(conversation)
    assert message.startswith(f"A replacement for order {FLAGSHIP_ORDER} is on its way by ")
    assert f"tracking {tracking}" in message and "sent by Dana" in message
    assert message in response.content.decode()


def test_cancel_refunds_and_says_where_the_money_goes(
    demo_store: Any, make_agent: Any, make_handoff: Any
) -> None:
    order = Order.objects.filter(status__in=Order.OPEN_STATUSES, payments__isnull=False).first()
    conversation, _ = make_handoff(customer=order.customer)
    dana = make_agent("Dana")
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    data = {"order_id": order.number, "reason": "no longer needed", "proposal_id": "desk-c1"}
    logged_in(dana).post(act_url("cancel", conversation), data, headers=HTMX)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    (message,) = system_messages(conversation)
    assert message.startswith(f"Order {order.number} is cancelled (no longer needed) by Dana; $")
    assert "goes back" in message


def test_a_cancel_the_policy_refuses_shows_why(flagship: Any) -> None:
    conversation = flagship["conversation"]
    data = {"order_id": FLAGSHIP_ORDER, "reason": "no longer needed", "proposal_id": "desk-c1"}
    response = flagship["client"].post(act_url("cancel", conversation), data, headers=HTMX)
    assert f"Order {FLAGSHIP_ORDER} can&#x27;t be cancelled: it is shipped" in (
        response.content.decode()
    )
    assert system_messages(conversation) == []


def test_bad_forms_are_refused_before_anything_runs(flagship: Any) -> None:
    conversation, client = flagship["conversation"], flagship["client"]
    assert "dollars and cents" in refund(client, conversation, amount="lots").content.decode()
    assert "reload the console" in refund(client, conversation, proposal_id="").content.decode()
    response = client.post(act_url("return", conversation), {"order_id": FLAGSHIP_ORDER})
    assert response.status_code == 302  # without htmx: a flash message and back to the console
    assert not ActionRecord.objects.exists()


def test_the_console_shows_paid_refunded_and_the_action_log(flagship: Any) -> None:
    conversation, client = flagship["conversation"], flagship["client"]
    refund(client, conversation)
    page = client.get(console_url(conversation)).content.decode()
    assert "Actions in this conversation" in page and "Refund part of an order" in page
    assert "$43.34" in page and "refund $43.34" in page  # refunded column and the history line
    assert "Visa ending 4242" in page
    assert 'name="proposal_id"' in page and "Send replacement" in page


@pytest.fixture
def shop_conversation(db: None, make_agent: Any, make_handoff: Any) -> dict[str, Any]:
    """The small store of the action tests (a pending and a delivered order, paid by card), its
    customer's conversation claimed by Dana."""
    from tests.orders.store import shop_build

    shop = shop_build()
    conversation, _ = make_handoff(customer=shop.customer)
    dana = make_agent("Dana")
    services.handoff_claim(conversation_id=conversation.pk, agent=dana)
    return {"shop": shop, "conversation": conversation, "client": logged_in(dana)}


RETURN = {"item_ids": ["200"], "payment_method_id": "credit_card_1"}
EXCHANGE = {"item_ids": ["100"], "new_item_ids": ["101"], "payment_method_id": "credit_card_1"}


def test_return_and_address_from_their_forms_and_a_refused_exchange(
    shop_conversation: Any,
) -> None:
    shop, conversation = shop_conversation["shop"], shop_conversation["conversation"]
    client = shop_conversation["client"]
    delivered, pending = shop.delivered.number, shop.pending.number
    console = client.get(console_url(conversation)).content.decode()
    assert "Start return" in console and "Start exchange" in console and "T-Shirt" in console
    response = client.post(
        act_url("return", conversation), {"order_id": delivered, **RETURN, "proposal_id": "r"}
    )
    assert response.status_code == 302  # without htmx: a flash message and back to the console
    refused = client.post(
        act_url("exchange", conversation),
        {"order_id": delivered, **EXCHANGE, "proposal_id": "e"},
        headers=HTMX,
    ).content.decode()
    assert "A return has already been requested for order" in refused
    address = {"address1": "1 Elm St", "city": "Austin", "state": "TX", "country": "USA"}
    client.post(
        act_url("address", conversation),
        {"order_id": pending, **address, "zip": "78701", "proposal_id": "a"},
    )
    returned, moved = system_messages(conversation)
    assert returned == (
        f"Dana started a return of 1 item from order {delivered}: $50.00 goes back to your "
        "Visa ending 4242 once they arrive."
    )
    assert moved.startswith(f"Order {pending} will now ship to") and "Austin" in moved


def test_exchange_from_its_form_says_who_pays_the_difference(shop_conversation: Any) -> None:
    shop, conversation = shop_conversation["shop"], shop_conversation["conversation"]
    shop_conversation["client"].post(
        act_url("exchange", conversation),
        {"order_id": shop.delivered.number, **EXCHANGE, "proposal_id": "e"},
        headers=HTMX,
    )
    (message,) = system_messages(conversation)
    assert message == (
        f"Dana started an exchange of 1 item on order {shop.delivered.number}: the $10.00 "
        "difference is charged to your Visa ending 4242 when they swap."
    )
