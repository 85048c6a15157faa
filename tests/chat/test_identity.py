"""POST /api/conversations/ with the store's signed identity, the start throttle, and CORS."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from django.test import Client

from conversations.models import Conversation
from tests.chat.conftest import fresh_address
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SECRET = "store-shared-secret-for-tests"
STORE = "https://shop.example"  # WIDGET_ALLOWED_ORIGINS in support_bot/settings_test.py


@pytest.fixture
def identity_secret(settings: Any) -> str:
    settings.WIDGET_IDENTITY_SECRET = SECRET
    return SECRET


def sign(email: str, secret: str = SECRET) -> str:
    """What the store's backend does (the README's snippet)."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def start(body: dict | None = None, address: str | None = None, **headers: str) -> Any:
    return Client(REMOTE_ADDR=address or fresh_address()).post(
        "/api/conversations/",
        body if body is not None else {},
        content_type="application/json",
        headers=headers,
    )


def test_a_valid_signature_binds_the_customer(identity_secret: str) -> None:
    customer = CustomerFactory(email="ann.lee@example.test")
    response = start(
        {"customer": {"email": "ann.lee@example.test", "signature": sign(customer.email)}}
    )
    assert response.status_code == 201
    conversation = Conversation.objects.get(pk=response.json()["id"])
    assert conversation.customer == customer
    assert conversation.verified_in_chat is False  # the store vouched, not the chat


def test_the_email_is_trimmed_and_lower_cased_before_it_is_checked(identity_secret: str) -> None:
    customer = CustomerFactory(email="ann.lee@example.test")
    response = start(
        {"customer": {"email": " Ann.Lee@Example.TEST ", "signature": sign("ann.lee@example.test")}}
    )
    assert response.status_code == 201
    assert Conversation.objects.get(pk=response.json()["id"]).customer == customer


def test_a_signed_email_the_store_has_no_customer_for_gets_an_anonymous_conversation(
    identity_secret: str,
) -> None:
    response = start(
        {"customer": {"email": "new@example.test", "signature": sign("new@example.test")}}
    )
    assert response.status_code == 201
    assert Conversation.objects.get(pk=response.json()["id"]).customer is None


def test_a_wrong_signature_is_refused_and_creates_nothing(identity_secret: str) -> None:
    customer = CustomerFactory()
    forged = sign(customer.email, secret="not-the-store-secret")
    response = start({"customer": {"email": customer.email, "signature": forged}})
    assert response.status_code == 403
    assert response.json()["code"] == "identity_invalid"
    assert "signature" in response.json()["detail"]
    assert not Conversation.objects.exists()


def test_a_signature_while_no_secret_is_set_is_refused_and_creates_nothing(settings: Any) -> None:
    settings.WIDGET_IDENTITY_SECRET = ""
    customer = CustomerFactory()
    response = start({"customer": {"email": customer.email, "signature": sign(customer.email)}})
    assert response.status_code == 403
    assert response.json()["code"] == "identity_not_accepted"
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"customer": "ann@example.test"},
        {"customer": {"email": "ann@example.test"}},
        {"customer": {"email": "", "signature": "ab"}},
        {"customer": {"email": ["x"], "signature": "ab"}},
    ],
)
def test_a_malformed_identity_is_a_bad_request(identity_secret: str, body: dict) -> None:
    response = start(body)
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_starting_conversations_past_the_throttle_gets_429_with_retry_after() -> None:
    client = Client(REMOTE_ADDR=fresh_address())
    statuses = []
    for _ in range(40):
        response = client.post("/api/conversations/", {}, content_type="application/json")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[0] == 201
    assert statuses[-1] == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert response.json()["code"] == "rate_limited"
    created = Conversation.objects.count()
    assert created == len(statuses) - 1
    # Another client is not held back by this one.
    assert start(address=fresh_address()).status_code == 201


def test_dropping_the_visitor_cookie_does_not_reset_the_throttle() -> None:
    address, statuses = fresh_address(), set()
    for _ in range(40):
        statuses.add(start(address=address).status_code)  # a fresh Client: no cookie
    assert 429 in statuses


def test_a_preflight_from_an_allowed_store_origin_gets_the_cors_headers() -> None:
    response = Client().options(
        "/api/conversations/",
        headers={
            "origin": STORE,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STORE
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "content-type" in response["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response  # the bearer token, not cookies


def test_a_preflight_from_another_origin_gets_no_cors_headers() -> None:
    response = Client().options(
        "/api/conversations/",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in response


def test_the_store_origin_can_read_the_started_conversation() -> None:
    response = start(origin=STORE)
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == STORE
