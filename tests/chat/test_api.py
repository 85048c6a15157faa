"""POST /api/conversations/ and the history endpoint."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from conversations.models import Conversation
from conversations.services import conversation_create, message_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def start(client: Client, **headers: str) -> dict:
    response = client.post("/api/conversations/", headers=headers)
    assert response.status_code == 201
    return response.json()


def signed_in_client() -> tuple[Client, object]:
    user = get_user_model().objects.create_user(username="ann", password="pw-ann-123")
    customer = CustomerFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client, customer


def test_start_returns_id_token_and_socket_url() -> None:
    body = start(Client())
    conversation = Conversation.objects.get(pk=body["id"])
    assert body["ws_url"] == f"/ws/chat/{conversation.pk}/"
    assert body["token"] and conversation.token_hash != body["token"]  # only the hash is kept
    assert conversation.customer is None


def test_start_needs_post() -> None:
    assert Client().get("/api/conversations/").status_code == 405


def test_a_signed_in_customer_is_bound_on_a_same_origin_request() -> None:
    client, customer = signed_in_client()
    assert Conversation.objects.get(pk=start(client)["id"]).customer == customer
    same_site = start(client, origin="http://localhost")
    assert Conversation.objects.get(pk=same_site["id"]).customer == customer


def test_a_cross_site_request_never_acts_as_the_signed_in_customer() -> None:
    client, _ = signed_in_client()
    body = start(client, origin="https://evil.example")
    assert Conversation.objects.get(pk=body["id"]).customer is None


def test_history_needs_the_conversations_token() -> None:
    conversation, token = conversation_create(customer=None)
    _, other_token = conversation_create(customer=None)
    url = f"/api/conversations/{conversation.pk}/messages/"
    client = Client()
    missing = client.get(url)
    wrong = client.get(url, headers={"authorization": f"Bearer {other_token}"})
    unknown = client.get(
        f"/api/conversations/{uuid.uuid4()}/messages/", headers={"authorization": f"Bearer {token}"}
    )
    assert {missing.status_code, wrong.status_code, unknown.status_code} == {401}
    assert wrong.json() == unknown.json()  # no hint whether the conversation exists
    assert missing["WWW-Authenticate"].startswith("Bearer")


def test_history_lists_messages_after_seq_oldest_first_as_message_frames() -> None:
    conversation, token = conversation_create(customer=None)
    first = message_create(
        conversation_id=conversation.pk, sender="customer", text="hi", client_id=uuid.uuid4()
    ).message
    message_create(
        conversation_id=conversation.pk, sender="bot", text="hello", reply_to_id=first.pk
    )
    message_create(conversation_id=conversation.pk, sender="system", text="queued")
    auth = {"authorization": f"Bearer {token}"}
    url = f"/api/conversations/{conversation.pk}/messages/"
    everything = Client().get(url, headers=auth).json()["messages"]
    assert [m["seq"] for m in everything] == [1, 2, 3]
    assert everything[1] == {
        "type": "message",
        "message_id": everything[1]["message_id"],
        "seq": 2,
        "sender": "bot",
        "text": "hello",
        "reply_to": str(first.pk),
        "created_at": everything[1]["created_at"],
    }
    later = Client().get(url, {"after_seq": "2"}, headers=auth).json()["messages"]
    assert [m["text"] for m in later] == ["queued"]


@pytest.mark.parametrize("after_seq", ["-1", "two", "1.5", "", "\u00b2", "\u0663"])
def test_history_rejects_a_bad_after_seq(after_seq: str) -> None:
    conversation, token = conversation_create(customer=None)
    response = Client().get(
        f"/api/conversations/{conversation.pk}/messages/",
        {"after_seq": after_seq},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400


def test_history_of_a_conversation_id_that_is_no_uuid_is_a_clean_401(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same answer as for an unknown conversation or a wrong token: ids are not probed."""
    response = Client().get(
        "/api/conversations/abc/messages/", headers={"authorization": "Bearer x"}
    )
    assert response.status_code == 401 and "token" in response.json()["detail"]
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "CRITICAL"}]
