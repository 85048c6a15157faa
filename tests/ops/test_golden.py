"""Golden cases: the flagship transcript promoted from the admin with a snapshot of its data, and
`eval_golden` replaying it: unchanged when nothing changed, and naming the stage that did when
the data behind it or the classifier changes. Live data is never touched by a replay."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from conversations.models import Conversation, Message
from ops.golden import golden_case_promote
from ops.models import GoldenCase
from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER
from orders.models import Order, Refund, StorePolicy
from pipeline.models import PipelineTrace
from pipeline.offline.intent import classify
from tests.ops.flagship_turn import offline_engine, run_turn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline_engine")]
__all__ = ["offline_engine"]


def eval_golden() -> tuple[dict[str, Any], bool]:
    """Runs `eval_golden --json`; returns the report and whether it exited non-zero."""
    out = StringIO()
    try:
        call_command("eval_golden", "--json", stdout=out)
        failed = False
    except CommandError:
        failed = True
    return json.loads(out.getvalue()), failed


@pytest.fixture
def flagship(demo_store: Any) -> PipelineTrace:
    return run_turn()


@pytest.fixture
def case(flagship: PipelineTrace) -> GoldenCase:
    promoted = golden_case_promote(conversation_id=flagship.conversation_id)
    assert promoted.case is not None, promoted.skipped
    return promoted.case


def test_admin_action_promotes_the_flagship_with_its_snapshot(flagship: PipelineTrace) -> None:
    admin_user = User.objects.create_superuser("ops-lead", password="pw-12345")
    client = Client()
    client.force_login(admin_user)
    form = {"action": "promote_to_golden_case", "_selected_action": [flagship.conversation_id]}

    response = client.post(reverse("admin:conversations_conversation_changelist"), form)

    assert response.status_code == 302
    case = GoldenCase.objects.get()
    assert (case.message_id, case.created_by) == (flagship.message_id, admin_user)
    assert case.customer_text == flagship.message.text and case.now == flagship.message.created_at
    assert case.expected["intent"]["primary"] == flagship.intent
    assert case.expected["reasoning"]["lane"] == "full"
    assert case.expected["empathy"]["reply"] == flagship.reply.text
    assert case.expected["retrieval"]["facts"]["order_number"] == FLAGSHIP_ORDER
    assert case.snapshot["customer"]["tier"] == "vip"
    assert case.snapshot["input"]["signed_in"] is True
    order = next(o for o in case.snapshot["orders"] if o["number"] == FLAGSHIP_ORDER)
    # The bot's own refunds for this message came after the clock: left out, total wound back.
    live = Order.objects.get(number=FLAGSHIP_ORDER)
    bot_paid = sum(r.amount for r in Refund.objects.filter(order=live, decided_by="bot"))
    assert bot_paid == Decimal("43.34")
    assert Decimal(order["refunded_total"]) == live.refunded_total - bot_paid
    assert not [r for r in order["refunds"] if r["decided_by"] == "bot"]
    assert case.snapshot["policy"]["stalled_after_hours"] == StorePolicy.load().stalled_after_hours

    again = client.post(reverse("admin:conversations_conversation_changelist"), form)
    assert again.status_code == 302 and GoldenCase.objects.count() == 1  # already promoted


def test_promotion_needs_the_golden_case_permission(flagship: PipelineTrace) -> None:
    viewer = User.objects.create_user("viewer", password="pw-12345", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_conversation"))
    viewer.user_permissions.add(Permission.objects.get(codename="change_conversation"))
    client = Client()
    client.force_login(viewer)
    form = {"action": "promote_to_golden_case", "_selected_action": [flagship.conversation_id]}
    client.post(reverse("admin:conversations_conversation_changelist"), form)
    assert not GoldenCase.objects.exists()


def test_replay_unchanged_reports_no_diff_and_leaves_live_data_alone(case: GoldenCase) -> None:
    counts = (
        Refund.objects.count(),
        Message.objects.count(),
        Conversation.objects.count(),
        PipelineTrace.objects.count(),
    )
    report, failed = eval_golden()
    assert not failed
    assert report["total"] == 1 and report["changed"] == 0
    assert report["cases"][0]["changed_stages"] == [] and report["cases"][0]["diffs"] == {}
    after = (
        Refund.objects.count(),
        Message.objects.count(),
        Conversation.objects.count(),
        PipelineTrace.objects.count(),
    )
    assert after == counts  # the replay's own refunds, messages and traces were rolled back


def test_replay_is_against_the_snapshot_not_live_rows(case: GoldenCase) -> None:
    policy = StorePolicy.load()
    policy.stalled_after_hours = 5000
    policy.save()
    Order.objects.filter(number=FLAGSHIP_ORDER).update(shipping_address="moved")

    report, failed = eval_golden()

    assert not failed and report["changed"] == 0
    assert StorePolicy.load().stalled_after_hours == 5000  # live row kept its live value
    assert Order.objects.get(number=FLAGSHIP_ORDER).shipping_address == "moved"


def test_a_changed_policy_row_shows_at_retrieval(case: GoldenCase) -> None:
    case.snapshot["policy"]["stalled_after_hours"] = 5000  # the parcel no longer counts as stuck
    case.save(update_fields=["snapshot"])

    report, failed = eval_golden()

    assert failed
    (result,) = report["cases"]
    assert result["first_changed"] == "retrieval"
    assert "intent" not in result["changed_stages"]
    facts = result["diffs"]["retrieval"]
    assert facts["facts.stalled"] == {"expected": True, "actual": False}


def test_a_changed_classifier_shows_at_intent(
    case: GoldenCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def misreads(text: str) -> Any:
        return dataclasses.replace(classify(text), primary="refund_request", secondary=())

    monkeypatch.setattr("pipeline.stages.intent.classify", misreads)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 golden cases changed"):
        call_command("eval_golden", stdout=out)
    assert "CHANGED at intent" in out.getvalue()
    recorded = case.expected["intent"]["primary"]
    assert f'intent.primary: "{recorded}" -> "refund_request"' in out.getvalue()


def test_golden_case_admin_shows_expected_stages_and_snapshot(case: GoldenCase) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("ops-lead", password="pw-12345"))
    listing = client.get(reverse("admin:ops_goldencase_changelist"))
    assert listing.status_code == 200 and case.expected["intent"]["primary"] in listing.text
    page = client.get(reverse("admin:ops_goldencase_change", args=[case.pk]))
    assert page.status_code == 200
    assert FLAGSHIP_ORDER in page.text and "stalled_after_hours" in page.text


def test_an_anonymous_visitor_who_verified_in_chat_replays_unchanged(demo_store: Any) -> None:
    trace = run_turn(
        f"Where is my order {FLAGSHIP_ORDER}? My e-mail is {FLAGSHIP_EMAIL}", email=None
    )
    assert trace.customer is not None  # verified by order number and e-mail in the message
    case = golden_case_promote(conversation_id=trace.conversation_id).case
    assert case is not None and case.customer_email == ""
    assert case.snapshot["input"]["signed_in"] is False

    report, failed = eval_golden()

    assert not failed, report
    assert report["cases"][0]["diffs"] == {}
