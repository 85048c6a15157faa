"""Export and erase a customer: from code and from the admin, with their permissions, the
confirmation step, idempotency, the admin log, and the aggregates that must survive."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from conversations.models import Conversation, Message
from ops.models import GoldenCase
from ops.privacy import ERASED_TEXT, customer_erase, customer_export
from ops.roles import PRIVACY_OFFICERS
from orders.actions import ActionRefused, Actor, issue_refund
from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER
from orders.models import Customer, Order
from pipeline.models import PipelineTrace
from tests.ops.flagship_turn import offline_engine, run_turn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline_engine")]
__all__ = ["offline_engine"]
CHANGELIST = "admin:orders_customer_changelist"


def staff(username: str, *perms: str) -> User:
    user = User.objects.create_user(username, password="pw-12345", is_staff=True)
    for perm in ("orders.view_customer", *perms):
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sarah(demo_store: Any) -> Customer:
    return Customer.objects.select_related("user").get(email=FLAGSHIP_EMAIL)


@pytest.fixture
def answered(sarah: Customer) -> PipelineTrace:
    trace = run_turn()
    Conversation.objects.filter(pk=trace.conversation_id).update(
        csat_score=5, csat_comment="Sarah here, thanks so much!"
    )
    return trace


def test_export_holds_profile_orders_and_conversations(
    sarah: Customer, answered: PipelineTrace, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(12):  # fixed, however many orders and messages
        data = json.loads(json.dumps(customer_export(customer_id=sarah.pk), default=str))
    assert data["customer"]["email"] == FLAGSHIP_EMAIL
    assert data["customer"]["account"]["username"] == sarah.user.username
    order = next(o for o in data["orders"] if o["number"] == FLAGSHIP_ORDER)
    assert order["items"] and order["shipments"][0]["events"]
    assert {Decimal(r["amount"]) for r in order["refunds"]} >= {Decimal("28.35"), Decimal("14.99")}
    assert len(data["orders"]) == Order.objects.filter(customer=sarah).count()
    (conversation,) = data["conversations"]
    assert conversation["csat"] == {"score": 5, "comment": "Sarah here, thanks so much!"}
    # The reply that proposed the refund, then the one after Sarah confirmed it.
    assert [m["sender"] for m in conversation["messages"]] == ["customer", "bot", "bot"]
    assert conversation["messages"][1]["text"] == answered.reply.text


def test_export_holds_the_actions_on_the_customers_orders(sarah: Customer) -> None:
    dana = User.objects.create_user("dana", first_name="Dana", is_staff=True)
    issue_refund(
        order_id=FLAGSHIP_ORDER,
        amount=Decimal("43.34"),
        reason="late parcel",
        actor=Actor.agent(dana),
        proposal_id="p1",
    )
    with pytest.raises(ActionRefused):
        issue_refund(
            order_id=FLAGSHIP_ORDER,
            amount=Decimal("500.00"),
            reason="late parcel",
            actor=Actor.bot(),
            proposal_id="p2",
        )
    data = json.loads(json.dumps(customer_export(customer_id=sarah.pk), default=str))
    done, refused = data["actions"]
    assert done["name"] == "issue_refund" and done["status"] == "done"
    assert done["order"] == FLAGSHIP_ORDER and done["actor"] == "Dana"
    assert done["result"]["amount"] == "43.34"
    assert refused["status"] == "refused" and refused["actor"] == "bot" and refused["refusal"]


def test_admin_export_downloads_a_json_file_only_with_the_permission(
    sarah: Customer, answered: PipelineTrace
) -> None:
    form = {"action": "export_customer_data", "_selected_action": [sarah.pk]}
    allowed = signed_in(staff("exporter", "ops.export_customer"))
    response = allowed.post(reverse(CHANGELIST), form)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="customer-{sarah.pk}.json"'
    assert json.loads(response.content)["customer"]["email"] == FLAGSHIP_EMAIL
    assert LogEntry.objects.filter(object_id=str(sarah.pk), user__username="exporter").exists()

    refused = signed_in(staff("viewer")).post(reverse(CHANGELIST), form)
    assert "Content-Disposition" not in refused
    assert "export_customer_data" not in refused.content.decode()


def test_the_privacy_officers_group_can_export_from_the_customer_list(
    sarah: Customer, answered: PipelineTrace
) -> None:
    officer = User.objects.create_user("priya", password="pw-12345", is_staff=True)
    officer.groups.add(Group.objects.get(name=PRIVACY_OFFICERS))
    form = {"action": "export_customer_data", "_selected_action": [sarah.pk]}
    response = signed_in(officer).post(reverse(CHANGELIST), form)
    assert response.status_code == 200
    assert json.loads(response.content)["customer"]["email"] == FLAGSHIP_EMAIL


def test_erase_anonymises_and_keeps_the_aggregates(
    sarah: Customer, answered: PipelineTrace
) -> None:
    GoldenCase.objects.create(
        name="sarah", customer_text="x", customer_email=FLAGSHIP_EMAIL, now=answered.created_at
    )
    order = Order.objects.get(number=FLAGSHIP_ORDER)
    money_before = (order.subtotal, order.total, order.refunded_total, order.discount_total)
    trace_before = PipelineTrace.objects.values(
        "lane", "intent", "outcome", "cost_usd", "latency_ms", "prompt_tokens", "completion_tokens"
    ).get(pk=answered.pk)
    user_pk = sarah.user.pk

    result = customer_erase(customer_id=sarah.pk, actor_id=None)

    assert (result.already_erased, result.conversations, result.traces) == (False, 1, 1)
    assert result.golden_cases == 1 and not GoldenCase.objects.exists()
    sarah.refresh_from_db()
    assert "Sarah" not in sarah.name and not sarah.email.startswith("sarah")
    user = User.objects.get(pk=user_pk)
    assert not user.is_active and not user.has_usable_password() and "sarah" not in user.username
    conversation = Conversation.objects.get(pk=answered.conversation_id)
    assert conversation.anonymised_at is not None and conversation.csat_comment == ""
    assert conversation.csat_score == 5
    assert set(conversation.messages.values_list("text", flat=True)) == {ERASED_TEXT}
    order.refresh_from_db()
    assert order.shipping_address == ERASED_TEXT
    assert (order.subtotal, order.total, order.refunded_total, order.discount_total) == money_before
    trace = PipelineTrace.objects.get(pk=answered.pk)
    kept = {k: getattr(trace, k) for k in trace_before}
    assert kept == trace_before
    assert trace.facts["stalled"] is True and "tracking_number" not in trace.facts
    assert [s.keys() for s in trace.plan["steps"]] == [{"kind"}] * len(trace.plan["steps"])
    dumped = json.dumps([trace.facts, trace.plan, trace.stages, trace.handoff_reason])
    assert "ORD-4521" not in dumped and "Sarah" not in dumped and "Chicago" not in dumped


def test_erase_is_idempotent_and_logged_without_the_name(
    sarah: Customer, answered: PipelineTrace
) -> None:
    admin_user = User.objects.create_superuser("dpo", password="pw-12345")
    LogEntry.objects.log_actions(
        user_id=admin_user.pk, queryset=[sarah], action_flag=2, change_message="edited"
    )
    first = customer_erase(customer_id=sarah.pk, actor_id=admin_user.pk)
    second = customer_erase(customer_id=sarah.pk, actor_id=admin_user.pk)
    assert not first.already_erased and second.already_erased
    assert (second.conversations, second.messages, second.traces, second.orders) == (0, 0, 0, 0)
    entries = LogEntry.objects.filter(object_id=str(sarah.pk), content_type__model="customer")
    assert entries.count() == 2  # the earlier edit and one erasure, not two
    assert entries.filter(change_message__startswith="Erased personal data").count() == 1
    assert not any("Sarah" in e.object_repr for e in entries)


def test_admin_erase_asks_for_confirmation_and_needs_the_permission(
    sarah: Customer, answered: PipelineTrace
) -> None:
    form = {"action": "erase_customer_data", "_selected_action": [sarah.pk]}
    eraser = staff("eraser", "ops.erase_customer")
    client = signed_in(eraser)

    page = client.post(reverse(CHANGELIST), form)
    assert page.status_code == 200
    assert "ops/customer_erase_confirmation.html" in [t.name for t in page.templates]
    assert "Yes, erase their personal data" in page.content.decode()
    sarah.refresh_from_db()
    assert sarah.email == FLAGSHIP_EMAIL  # nothing erased before the confirmation

    done = client.post(reverse(CHANGELIST), {**form, "confirm": "yes"})
    assert done.status_code == 302
    sarah.refresh_from_db()
    assert sarah.email != FLAGSHIP_EMAIL
    assert (
        Message.objects.filter(conversation_id=answered.conversation_id)
        .exclude(text=ERASED_TEXT)
        .count()
        == 0
    )
    assert LogEntry.objects.filter(user=eraser, change_message__startswith="Erased").exists()


def test_admin_erase_without_the_permission_changes_nothing(
    sarah: Customer, answered: PipelineTrace
) -> None:
    form = {"action": "erase_customer_data", "_selected_action": [sarah.pk], "confirm": "yes"}
    signed_in(staff("exporter", "ops.export_customer")).post(reverse(CHANGELIST), form)
    sarah.refresh_from_db()
    assert sarah.email == FLAGSHIP_EMAIL
    assert Conversation.objects.get(pk=answered.conversation_id).anonymised_at is None
