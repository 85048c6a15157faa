"""The demo store's own actions, on the seeded demo (the flagship case among them), and the
concurrency guarantee on PostgreSQL."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from orders.actions import (
    ActionRefused,
    Actor,
    cancel_pending_order,
    issue_refund,
    send_replacement_shipment,
    upgrade_order_shipping,
)
from orders.demo import FLAGSHIP_ORDER
from orders.models import ActionRecord, Order, Payment, Shipment
from tests.orders.store import shop_build

BOT = Actor.bot()


@pytest.mark.django_db
def test_flagship_late_parcel_gets_a_free_overnight_replacement(demo_store) -> None:
    record = send_replacement_shipment(
        order_id=FLAGSHIP_ORDER, option_code="overnight-replacement", actor=BOT, proposal_id="p1"
    )
    assert record.result["charged"] == "0.00"  # free for VIP
    shipment = Shipment.objects.get(tracking_number=record.result["tracking_number"])
    assert (
        shipment.status == Shipment.Status.LABEL_CREATED and shipment.order.number == FLAGSHIP_ORDER
    )


@pytest.mark.django_db
def test_a_replacement_is_refused_for_a_parcel_not_late(demo_store) -> None:
    order = Order.objects.filter(status=Order.Status.DELIVERED).first()
    with pytest.raises(ActionRefused, match="isn't a late parcel: it is delivered"):
        send_replacement_shipment(
            order_id=order.number, option_code="express-replacement", actor=BOT, proposal_id="p1"
        )


@pytest.mark.django_db
def test_shipping_upgrade_before_dispatch_charges_the_fee_difference(demo_store) -> None:
    order = Order.objects.filter(status=Order.Status.PAID, shipping_method__code="standard").first()
    upgrade_order_shipping(
        order_id=order.number, shipping_method_code="express", actor=BOT, proposal_id="p1"
    )
    order.refresh_from_db()
    assert order.shipping_method.code == "express" and order.shipping_cost == D("14.99")
    assert order.payments.last().amount == D("9.00")


@pytest.mark.django_db
def test_shipping_upgrade_is_refused_once_shipped(demo_store) -> None:
    with pytest.raises(ActionRefused, match="can't be upgraded: it is shipped"):
        upgrade_order_shipping(
            order_id=FLAGSHIP_ORDER, shipping_method_code="overnight", actor=BOT, proposal_id="p1"
        )


@pytest.mark.django_db
def test_refund_within_the_bot_limit_and_over_it(demo_store) -> None:
    order = Order.objects.get(number=FLAGSHIP_ORDER)
    record = issue_refund(
        order_id=FLAGSHIP_ORDER, amount=D("20.00"), reason="goodwill", actor=BOT, proposal_id="p1"
    )
    order.refresh_from_db()
    assert order.refunded_total == D("20.00") and record.result["amount"] == "20.00"
    assert order.payments.filter(kind=Payment.Kind.REFUND, amount=D("20.00")).exists()
    with pytest.raises(ActionRefused, match=r"A refund of \$150.00 is more than I can approve"):
        issue_refund(
            order_id=FLAGSHIP_ORDER, amount=D("150.00"), reason="x", actor=BOT, proposal_id="p2"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_of_one_proposal_write_once(postgres) -> None:
    shop = shop_build()
    barrier = threading.Barrier(2)
    record_ids: list[int] = []

    def submit() -> None:
        try:
            barrier.wait()
            record = cancel_pending_order(
                order_id=shop.pending.number, reason="no longer needed", actor=BOT, proposal_id="p1"
            )
            record_ids.append(record.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(record_ids) == 2 and len(set(record_ids)) == 1
    assert ActionRecord.objects.filter(status="done").count() == 1
    assert shop.pending.payments.filter(kind=Payment.Kind.REFUND).count() == 1
