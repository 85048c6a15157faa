from __future__ import annotations

import pytest

from orders.bench import tau2_bench
from orders.models import Order
from tests.orders.shared import TAU2_DB, need_shared

pytestmark = pytest.mark.django_db


def test_bench_times_the_import_and_each_action_and_leaves_nothing() -> None:
    need_shared()
    result = tau2_bench(db_path=TAU2_DB, rounds=1)
    assert result["import_fresh"] and result["orders"] == 1000
    assert set(result["actions"]) == {
        "cancel_pending_order",
        "exchange_delivered_order_items",
        "modify_pending_order_address",
        "modify_pending_order_items",
        "modify_user_address",
        "return_delivered_order_items",
    }
    assert result["actions"]["return_delivered_order_items"]["n"] == 32
    assert not Order.objects.exists()
