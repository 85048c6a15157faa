from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.actions import Actor, modify_user_address
from orders.models import Address, StorePolicy
from tests.orders.store import shop_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.test", "x"))
    return client


def test_ops_read_the_action_log_but_cannot_change_it(admin_client_logged_in: Client) -> None:
    shop_build()
    record = modify_user_address(
        user_id="pat_lee_1",
        address=Address("1 Road", "", "Austin", "TX", "USA", "73301"),
        actor=Actor.bot(),
        proposal_id="p1",
    )
    listing = admin_client_logged_in.get("/admin/orders/actionrecord/?q=p1")
    assert listing.status_code == 200 and b"modify_user_address" in listing.content
    detail = admin_client_logged_in.get(f"/admin/orders/actionrecord/{record.pk}/change/")
    assert detail.status_code == 200 and b'name="proposal_id"' not in detail.content
    assert admin_client_logged_in.get("/admin/orders/actionrecord/add/").status_code == 403


def test_ops_edit_the_policy_lists_as_choices(admin_client_logged_in: Client) -> None:
    policy = StorePolicy.load()
    page = admin_client_logged_in.get(f"/admin/orders/storepolicy/{policy.pk}/change/")
    assert page.status_code == 200
    assert (
        b'value="name_and_zip"' in page.content
        and b'value="exchange_delivered_order_items"' in page.content
    )
