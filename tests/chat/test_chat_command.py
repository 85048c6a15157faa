"""`manage.py chat --once ... --json`: the flagship case from the terminal, offline and through
the fake model server."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.demo import FLAGSHIP_EMAIL, FLAGSHIP_ORDER, flagship_deadline, flagship_message
from orders.models import ExpediteOption, Refund
from tests.pipeline.conftest import day, money, stated_facts

pytestmark = pytest.mark.django_db(transaction=True)
HAS_FAKE_RESPONDER = importlib.util.find_spec("fakes.responder") is not None


def chat_json(text: str, email: str = FLAGSHIP_EMAIL) -> dict[str, Any]:
    out = StringIO()
    call_command("chat", "--customer", email, "--once", text, "--json", stdout=out)
    return json.loads(out.getvalue())


def assert_flagship_answer(data: dict[str, Any], now: dt.datetime) -> None:
    facts = data["facts"]
    intents = {data["intent"]["primary"], *data["intent"]["secondary"]}
    assert {"order_status", "shipping_expedite"} <= intents
    assert data["lane"] == "full" and data["outcome"] == "answered"
    assert data["handoff_reason"] is None
    assert facts["order_number"] == FLAGSHIP_ORDER
    assert facts["stalled"] is True and facts["current_meets_deadline"] is False
    assert day(facts["deadline"]) == flagship_deadline(now)
    best = next(o for o in facts["options"] if o["code"] == facts["recommended_option"])
    row = ExpediteOption.objects.get(code=best["code"])
    assert best["meets_deadline"] is True
    assert money(best["cost"]) == row.cost
    assert money(best["charged"]) == (Decimal("0.00") if row.vip_free else row.cost)
    assert money(facts["discount"]["amount"]) == Decimal("28.35")
    assert money(facts["shipping_refund"]) == Decimal("14.99")
    stated = stated_facts(data["reply"], today=now.date())
    assert stated.order_ids <= {FLAGSHIP_ORDER}
    assert Decimal("28.35") in stated.amounts and day(best["arrives_by"]) in stated.dates
    assert data["reply"] == data["message"]["text"]


def test_flagship_from_the_terminal_offline(demo_store: Any) -> None:
    now = timezone.now()
    data = chat_json(flagship_message(now))
    assert_flagship_answer(data, now)
    assert {call["model"] for call in data["calls"]} <= {"offline"}
    assert not data["degraded"]
    # The payouts wait for the customer's yes (guarantee 7): proposed, not yet paid.
    assert not Refund.objects.filter(order__number=FLAGSHIP_ORDER, decided_by="bot").exists()
    proposal = data["proposal"]
    assert proposal["action"]["name"] == "issue_refund"
    assert proposal["action"]["args"]["order_id"] == FLAGSHIP_ORDER
    assert sorted(Decimal(p["amount"]) for p in proposal["action"]["args"]["parts"]) == [
        Decimal("14.99"),
        Decimal("28.35"),
    ]


def test_an_unknown_customer_is_a_clear_error(demo_store: Any) -> None:
    with pytest.raises(CommandError, match="No customer"):
        chat_json("hello", email="nobody@nowhere.example")


@pytest.mark.skipif(not HAS_FAKE_RESPONDER, reason="needs fakes.responder")
def test_flagship_from_the_terminal_through_the_fake_server(demo_store: Any, settings) -> None:
    from fakes.llm_server import start_in_thread
    from fakes.responder import respond

    server = start_in_thread(responder=respond)
    try:
        settings.LLM = {**settings.LLM, "BASE_URL": server.base_url, "API_KEY": "sk-test-0123"}
        now = timezone.now()
        data = chat_json(flagship_message(now))
    finally:
        server.stop()
    assert_flagship_answer(data, now)
    assert not data["degraded"]
    assert {call["model"] for call in data["calls"]} - {"offline"}, data["calls"]
