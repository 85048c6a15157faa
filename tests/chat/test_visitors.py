"""Who a request comes from, for the limits: the address (proxies only when configured), the
visitor cookie, and the visitor key a conversation's limits count under."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from chat.identity import identity_sign
from chat.limits import STARTS_PER_VISITOR
from chat.visitors import VISITOR_COOKIE, client_address, client_of
from conversations.models import Conversation
from support_bot.settings import hosts_as_origins
from tests.chat.conftest import fresh_address
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def request_from(address: str, forwarded: str | None = None) -> Any:
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    return RequestFactory().post("/api/conversations/", REMOTE_ADDR=address, headers=headers)


def test_x_forwarded_for_is_ignored_unless_the_app_is_said_to_be_behind_a_proxy(
    settings: Any,
) -> None:
    settings.PROXY_COUNT = 0
    assert client_address(request_from("10.0.0.5", "198.51.100.1")) == "10.0.0.5"
    settings.PROXY_COUNT = 1
    # The client may write anything left of what our proxy appended.
    assert client_address(request_from("10.0.0.5", "1.2.3.4, 198.51.100.1")) == "198.51.100.1"


def test_one_ipv6_64_is_one_client() -> None:
    a = client_of(request_from("2001:db8:1:2::1"))
    b = client_of(request_from("2001:db8:1:2:ffff::9"))
    c = client_of(request_from("2001:db8:1:3::1"))
    assert a.address_key == b.address_key != c.address_key
    assert "2001" not in a.address_key  # only a keyed hash is kept


def test_the_conversation_records_whom_its_limits_count_against(settings: Any) -> None:
    settings.WIDGET_IDENTITY_SECRET = "s3cret"
    customer = CustomerFactory()
    address = fresh_address()
    anonymous = Client(REMOTE_ADDR=address).post("/api/conversations/")
    signed = Client(REMOTE_ADDR=address).post(
        "/api/conversations/",
        {
            "customer": {
                "email": customer.email,
                "signature": identity_sign(customer.email, secret="s3cret"),
            }
        },
        content_type="application/json",
    )
    assert Conversation.objects.get(pk=signed.json()["id"]).visitor_key == f"customer:{customer.pk}"
    key = Conversation.objects.get(pk=anonymous.json()["id"]).visitor_key
    assert key == client_of(request_from(address)).address_key


def test_the_api_sets_a_visitor_cookie_and_throttles_by_it_too() -> None:
    client = Client(REMOTE_ADDR=fresh_address())
    first = client.post("/api/conversations/")
    cookie = first.cookies[VISITOR_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    second = client.post("/api/conversations/")
    assert VISITOR_COOKIE not in second.cookies  # kept, not renewed
    # The first start carried no cookie yet; the cookie's own count starts with the second.
    statuses = [client.post("/api/conversations/").status_code for _ in range(STARTS_PER_VISITOR)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {201}  # the address's limit is higher


def test_allowed_hosts_become_origins() -> None:
    hosts = ["shop.example", ".example.org", "*", "127.0.0.1"]
    assert hosts_as_origins(hosts, debug=False) == ["https://shop.example", "https://127.0.0.1"]
    assert "http://shop.example" in hosts_as_origins(hosts, debug=True)
