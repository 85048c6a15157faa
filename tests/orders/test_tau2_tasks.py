"""Every reference write action of τ²'s 74 training tasks, applied through the services to the
imported store: each succeeds, except task 105's exchange, which τ²'s own tools reject (its gift
card holds $17.00 of the $21.10 needed). The store is imported once for the module; each test
runs in a savepoint rolled back after it, so each task starts from the store as imported."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.db import transaction

from orders.actions import ActionRefused, Actor, action_apply
from orders.models import ActionRecord, Customer, Order, PaymentMethod, ProductVariant
from orders.selectors import customer_find, order_get_for_customer
from orders.tau2 import tau2_import
from tests.orders.shared import TAU2_DB, TAU2_TASKS, need_shared

WRITES = {
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_items",
    "modify_pending_order_payment",
    "modify_user_address",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
}
REFUSED_BY_TAU2 = {"105"}


def _tasks() -> list[tuple[str, list[dict]]]:
    if not TAU2_TASKS.exists():
        return [("absent", [])]
    tasks = json.loads(TAU2_TASKS.read_text())
    return [
        (
            task["id"],
            [a for a in task["evaluation_criteria"]["actions"] or [] if a["name"] in WRITES],
        )
        for task in tasks
    ]


@pytest.fixture(scope="module")
def tau2_store(django_db_setup, django_db_blocker):
    need_shared()
    with django_db_blocker.unblock(), transaction.atomic():
        tau2_import(path=TAU2_DB)
        yield
        transaction.set_rollback(True)


def apply(name: str, args: dict, proposal_id: str) -> ActionRecord:
    return action_apply(name=name, arguments=args, actor=Actor.bot(), proposal_id=proposal_id)


@pytest.mark.parametrize(
    ("task_id", "actions"), _tasks(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_reference_actions_apply(tau2_store, db, task_id: str, actions: list[dict]) -> None:
    for action in actions:
        if task_id in REFUSED_BY_TAU2:
            with pytest.raises(
                ActionRefused,
                match=r"^The gift card has \$17\.00, which doesn't cover the \$21\.10 needed\.$",
            ):
                apply(action["name"], action["arguments"], action["action_id"])
            continue
        record = apply(action["name"], action["arguments"], action["action_id"])
        assert record.status == "done"
        assert record.as_tau2() == {"name": action["name"], "args": action["arguments"]}


def test_every_task_is_covered(tau2_store, db) -> None:
    counted = sum(len(actions) for _, actions in _tasks())
    assert counted == 120


# The same rules on τ²'s data, through the variants policy.md forbids.


def first_order(status: str) -> Order:
    return (
        Order.objects.filter(external_id__startswith="#W", status=status).order_by("number").first()
    )


def test_cancel_of_a_delivered_order_is_refused(tau2_store, db) -> None:
    order = first_order("delivered")
    with pytest.raises(ActionRefused, match="can't be cancelled: it is delivered"):
        apply("cancel_pending_order", {"order_id": order.number, "reason": "no longer needed"}, "x")


def test_a_cancel_reason_policy_md_does_not_accept_is_refused(tau2_store, db) -> None:
    order = first_order("pending")
    with pytest.raises(
        ActionRefused, match="only when it is no longer needed or ordered by mistake"
    ):
        apply("cancel_pending_order", {"order_id": order.number, "reason": "found it cheaper"}, "x")


def _swap_args(order: Order, *, other_product: bool = False) -> dict:
    item = order.items.select_related("variant", "product").first()
    variants = ProductVariant.objects.filter(available=True).exclude(pk=item.variant_id)
    if other_product:
        new = variants.exclude(product=item.product).first()
    else:
        new = variants.filter(product=item.product).first()
    return {
        "order_id": order.number,
        "item_ids": [item.variant.external_id],
        "new_item_ids": [new.external_id],
        "payment_method_id": order.payments.first().method.external_id,
    }


def test_a_second_item_change_is_refused(tau2_store, db) -> None:
    order = first_order("pending")
    apply("modify_pending_order_items", _swap_args(order), "first")
    with pytest.raises(ActionRefused, match="already been changed once"):
        apply("modify_pending_order_items", _swap_args(order), "second")


def test_a_change_to_another_product_type_is_refused(tau2_store, db) -> None:
    order = first_order("delivered")
    with pytest.raises(ActionRefused, match="same product"):
        apply("exchange_delivered_order_items", _swap_args(order, other_product=True), "x")


def test_the_import_keeps_tau2_ids_and_balances(tau2_store, db) -> None:
    assert Customer.objects.filter(store__code="tau2-retail").count() == 500
    assert Order.objects.filter(store__code="tau2-retail").count() == 1000
    gift = PaymentMethod.objects.get(external_id="gift_card_7245904")
    assert gift.balance == D("17.00") and gift.customer.external_id.startswith("aarav_anderson")
    order = Order.objects.get(external_id="#W2378156")
    assert order.status == Order.Status.DELIVERED and order.items.count() == 5


def test_tau2_customers_are_found_by_the_proofs_its_policy_accepts(tau2_store, db) -> None:
    yusuf = customer_find(
        store_code="tau2-retail", first_name="Yusuf", last_name="Rossi", zip_code="19122"
    )
    assert yusuf is not None and yusuf.external_id == "yusuf_rossi_9620"
    assert customer_find(store_code="tau2-retail", email=yusuf.email.upper()) == yusuf
    assert (
        customer_find(
            store_code="tau2-retail", first_name="Yusuf", last_name="Rossi", zip_code="00000"
        )
        is None
    )
    assert (
        customer_find(store_code="demo", email=yusuf.email) is None
    )  # the demo wants an order too
    order = order_get_for_customer(customer_id=yusuf.pk, number="w2378156")
    assert order is not None and order.number == "#W2378156"
