from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from orders.models import Customer, Order

pytestmark = pytest.mark.django_db


def test_storefront_carries_the_widget(client: Client, demo_store: object) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"widget/widget.js" in response.content


def test_demo_sign_in_shows_the_customers_orders(
    client: Client, demo_store: object, settings
) -> None:
    settings.DEMO_SIGN_IN = True
    sarah = Customer.objects.get(email="sarah.mitchell@example.com")
    response = client.post(reverse("store:demo_sign_in"), {"customer": sarah.pk}, follow=True)
    assert b"Sarah Mitchell" in response.content and b"ORD-4521" in response.content


def test_the_order_shows_what_was_done_on_it_and_by_whom(
    client: Client, demo_store: object, settings
) -> None:
    from decimal import Decimal

    from orders.actions import Actor, issue_refund, send_replacement_shipment

    settings.DEMO_SIGN_IN = True
    dana = User.objects.create_user("dana", first_name="Dana", is_staff=True)
    issue_refund(
        order_id="ORD-4521",
        amount=Decimal("43.34"),
        reason="late parcel",
        actor=Actor.agent(dana),
        proposal_id="p1",
    )
    replacement = send_replacement_shipment(
        order_id="ORD-4521",
        option_code="overnight-replacement",
        actor=Actor.bot(),
        proposal_id="p2",
    )
    sarah = Customer.objects.get(email="sarah.mitchell@example.com")
    page = client.post(reverse("store:demo_sign_in"), {"customer": sarah.pk}, follow=True)
    text = page.content.decode()
    assert "Refund part of an order of $43.34" in text and "by Dana" in text
    assert f"tracking {replacement.result['tracking_number']}" in text
    assert "by the assistant" in text


def test_demo_sign_in_is_off_unless_enabled(client: Client, demo_store: object, settings) -> None:
    settings.DEMO_SIGN_IN = False
    sarah = Customer.objects.get(email="sarah.mitchell@example.com")
    assert client.post(reverse("store:demo_sign_in"), {"customer": sarah.pk}).status_code == 404


def test_demo_sign_in_never_signs_in_staff(client: Client, demo_store: object, settings) -> None:
    settings.DEMO_SIGN_IN = True
    staff = User.objects.get(username="admin")
    Customer.objects.filter(email="sarah.mitchell@example.com").update(user=staff)
    sarah = Customer.objects.get(email="sarah.mitchell@example.com")
    assert client.post(reverse("store:demo_sign_in"), {"customer": sarah.pk}).status_code == 404


ADMIN_PAGES = [
    "/admin/",
    "/admin/orders/customer/",
    "/admin/orders/order/",
    "/admin/orders/order/?status=shipped&q=Sarah",
    "/admin/orders/refund/",
    "/admin/orders/shipment/",
    "/admin/orders/storepolicy/",
    "/admin/orders/knowledgearticle/?q=refund",
    "/admin/orders/product/",
    "/admin/orders/expediteoption/",
    "/admin/conversations/conversation/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_load_for_staff(client: Client, demo_store: object, url: str) -> None:
    client.force_login(User.objects.get(username="admin"))
    assert client.get(url).status_code == 200


def test_admin_order_page_shows_items_shipment_and_timeline(
    client: Client, demo_store: object
) -> None:
    client.force_login(User.objects.get(username="admin"))
    order = Order.objects.get(number="ORD-4521")
    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Aurora 70mm Kids" in body and "1Z999AA10123456784" in body and "Arrived at hub" in body


def test_admin_requires_login(client: Client) -> None:
    assert client.get("/admin/orders/order/").status_code == 302
