from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from demo.seed import seed_demo
from orders.demo import FLAGSHIP_EMAIL, flagship_deadline
from orders.models import Customer, KnowledgeArticle, Order, Refund, Shipment, TrackingEvent

pytestmark = pytest.mark.django_db

COUNTED = (Customer, Order, Shipment, TrackingEvent, Refund, KnowledgeArticle, User)


def test_seed_is_idempotent() -> None:
    seed_demo()
    first = {model.__name__: model.objects.count() for model in COUNTED}
    first_ids = set(Order.objects.values_list("pk", flat=True))
    seed_demo()
    assert {model.__name__: model.objects.count() for model in COUNTED} == first
    assert set(Order.objects.values_list("pk", flat=True)) == first_ids


def test_seed_makes_a_believable_store() -> None:
    seed_demo()
    assert Customer.objects.count() >= 24
    assert Order.objects.count() >= 100
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert Refund.objects.exists() and KnowledgeArticle.objects.count() >= 8
    assert User.objects.filter(username="agent", groups__name="Support agents").exists()
    assert User.objects.filter(username="ops", groups__name="Ops").exists()
    for order in Order.objects.all():
        assert order.refunded_total <= order.total


def test_flagship_case_is_dated_relative_to_today() -> None:
    now = timezone.now()
    result = seed_demo(now=now)
    order = Order.objects.select_related("customer__tier", "shipping_method").get(number="ORD-4521")
    assert order.customer.email == FLAGSHIP_EMAIL and order.customer.tier.code == "vip"
    assert order.customer.tier.discount_rate == Decimal("0.150")
    assert order.shipping_method.code == "express"
    assert (now.date() - order.placed_date).days == 12
    shipment = order.shipments.get()
    assert shipment.status == Shipment.Status.DELAYED and shipment.current_location == "Chicago, IL"
    last_scan = shipment.events.last()
    assert last_scan.location == "Chicago, IL"
    assert now - last_scan.occurred_at > dt.timedelta(hours=72), "the parcel must look stalled"
    assert shipment.estimated_delivery < now.date(), "the express promise has already been missed"
    assert flagship_deadline(now) > now.date()
    assert "4521" in result.flagship_message and "Chicago" in result.flagship_message


def test_seed_command_prints_the_logins(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username in ("admin", "agent", "ops", "sarah.mitchell"):
        assert username in out
    assert "demo-agent-2026" in out
