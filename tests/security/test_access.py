"""Who may open what: chat sockets only with their own token and from the store's origin, history
only with the bearer token, staff pages and desk sockets never for a customer, and the Ops role
reads but never writes."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conversations.models import Conversation, Message
from conversations.services import conversation_create, message_create
from orders.demo import FLAGSHIP_EMAIL
from orders.models import Customer, StorePolicy
from support_bot.asgi import application
from tests.chat.conftest import RECEIVE_S, communicator

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]

FOREIGN_ORIGINS = [
    b"https://evil.example",
    b"http://localhost.evil.example",
    b"http://127.0.0.1.evil.example:8000",
    b"null",
]
_CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


# -- the chat socket handshake --


@pytest.mark.parametrize(
    "case", ["no token", "empty token", "wrong token", "another conversation's token", "hash"]
)
async def test_chat_socket_refused_without_its_own_token(case: str) -> None:
    conversation, token = await sync_to_async(conversation_create)(customer=None)
    _other, other_token = await sync_to_async(conversation_create)(customer=None)
    given = {
        "no token": None,
        "empty token": "",
        "wrong token": token[:-2] + "xx",
        "another conversation's token": other_token,
        "hash": conversation.token_hash,  # what the database holds is not a credential
    }[case]
    ws = communicator(conversation.pk, given)
    connected, _ = await ws.connect(timeout=RECEIVE_S)
    assert not connected
    assert await Message.objects.acount() == 0


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_chat_socket_refused_from_a_foreign_origin(origin: bytes) -> None:
    conversation, token = await sync_to_async(conversation_create)(customer=None)
    connected, _ = await communicator(conversation.pk, token, origin=origin).connect(
        timeout=RECEIVE_S
    )
    assert not connected
    # The same token from the store's own origin is let in: the origin alone made the difference.
    ws = communicator(conversation.pk, token)
    assert (await ws.connect(timeout=RECEIVE_S))[0]
    await ws.disconnect()


# -- the history API --


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_AUTHORIZATION": "Bearer not-the-token"},
        {"HTTP_AUTHORIZATION": "Bearer {other}"},
        {"HTTP_AUTHORIZATION": "Basic {token}"},
        {"HTTP_AUTHORIZATION": "Bearer {hash}"},
    ],
    ids=["none", "empty", "wrong", "other-conversation", "not-bearer", "stored-hash"],
)
def test_history_refused_without_the_bearer_token(client: Client, headers: dict[str, str]) -> None:
    conversation, token = conversation_create(customer=None)
    _other, other_token = conversation_create(customer=None)
    message_create(
        conversation_id=conversation.pk, sender="customer", text="secret", client_id=uuid.uuid4()
    )
    values = {"token": token, "other": other_token, "hash": conversation.token_hash}
    filled = {k: v.format(**values) for k, v in headers.items()}
    url = reverse("conversations:messages", args=[conversation.pk])
    for query in ("", f"?token={token}"):  # a token in the URL is not accepted either
        response = client.get(url + query, **filled)
        assert response.status_code == 401
        assert b"secret" not in response.content
    ok = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200 and b"secret" in ok.content


# -- staff pages and desk sockets as a customer --


def _admin_paths(conversation_id: uuid.UUID) -> list[str]:
    """Every admin URL the project routes (the admin, the desk console, the ops pages), with
    sample arguments filled in."""
    paths: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if route.startswith("^"):  # regex routes: the admin's app index and catch-all
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                paths.append(prefix + route)

    walk(get_resolver().url_patterns, "/")
    filled = {
        _CONVERTER.sub(
            lambda m: str(conversation_id) if m[1] in {"uuid", "str", None} else "1", path
        )
        for path in paths
        if path.startswith("/admin/")
    }
    filled |= {"/admin/orders/", "/admin/conversations/", "/admin/desk/", "/admin/ops/"}
    return sorted(filled - {"/admin/login/", "/admin/logout/"})


@pytest.fixture
def customer_client(demo_store: Any) -> Client:
    """James, a demo customer with a login, signed in."""
    client = Client()
    customer = Customer.objects.exclude(user=None).select_related("user").first()
    client.force_login(customer.user)
    return client


def test_a_customer_session_gets_no_staff_page(customer_client: Client) -> None:
    conversation, _ = conversation_create(customer=Customer.objects.get(email=FLAGSHIP_EMAIL))
    paths = _admin_paths(conversation.pk)
    assert any("/console/" in p for p in paths) and "/admin/ops/dashboard/" in paths
    leaks = {}
    for path in paths:
        for method in ("get", "post"):
            response = getattr(customer_client, method)(path)
            refused = response.status_code in {403, 405} or (
                response.status_code == 302 and response["Location"].startswith("/admin/login/")
            )
            view_on_site = path.startswith("/admin/r/") and response.status_code == 404
            if not (refused or view_on_site):
                leaks[f"{method.upper()} {path}"] = response.status_code
    assert not leaks, f"a customer reached staff pages: {leaks}"


def _session_cookie(client: Client) -> bytes:
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _desk_socket_paths(conversation_id: uuid.UUID) -> list[str]:
    from desk.routing import websocket_urlpatterns

    return [
        "/" + _CONVERTER.sub(str(conversation_id), str(p.pattern)) for p in websocket_urlpatterns
    ]


async def test_desk_sockets_refuse_customers_and_visitors(customer_client: Client) -> None:
    conversation, _ = await sync_to_async(conversation_create)(customer=None)
    cookie = await sync_to_async(_session_cookie)(customer_client)
    paths = _desk_socket_paths(conversation.pk)
    assert paths
    for path in paths:
        for headers in ([], [(b"cookie", cookie)]):
            ws = WebsocketCommunicator(
                application, path, headers=[(b"origin", b"http://localhost"), *headers]
            )
            connected, _ = await ws.connect(timeout=RECEIVE_S)
            if connected:
                await ws.disconnect()
            assert not connected, f"{path} accepted {'a customer' if headers else 'a visitor'}"


# -- the Ops role reads, never writes --


@pytest.fixture
def ops_client(demo_store: Any) -> Client:
    """The demo's ops login, in the "Ops" group that ops/roles.py fills after migrate."""
    user = User.objects.get(username="ops")
    assert Group.objects.get(name="Ops").permissions.filter(codename="view_message").exists()
    assert user.groups.filter(name="Ops").exists() and not user.is_superuser
    client = Client()
    client.force_login(user)
    return client


def _transcript(customer: Customer | None = None) -> tuple[Conversation, Message]:
    conversation, _ = conversation_create(customer=customer)
    write = message_create(
        conversation_id=conversation.pk,
        sender="customer",
        text="Where is my parcel?",
        client_id=uuid.uuid4(),
    )
    return conversation, write.message


def test_ops_can_read_transcripts_but_not_change_them(ops_client: Client) -> None:
    conversation, message = _transcript()
    change = reverse("admin:conversations_message_change", args=[message.pk])
    assert ops_client.get(reverse("admin:conversations_conversation_changelist")).status_code == 200
    assert ops_client.get(change).status_code == 200  # a read-only view
    posted = ops_client.post(change, {"text": "rewritten", "sender": "bot"})
    assert posted.status_code == 403
    deleted = ops_client.post(
        reverse("admin:conversations_message_delete", args=[message.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    conversation_change = reverse("admin:conversations_conversation_change", args=[conversation.pk])
    assert ops_client.post(conversation_change, {"status": "resolved"}).status_code == 403
    message.refresh_from_db()
    conversation.refresh_from_db()
    assert message.text == "Where is my parcel?" and message.sender == "customer"
    assert conversation.status != Conversation.Status.RESOLVED


def test_ops_cannot_change_the_store_policy(ops_client: Client) -> None:
    policy = StorePolicy.load()
    limit = policy.bot_refund_limit
    assert not User.objects.get(username="ops").has_perm("orders.change_storepolicy")
    url = reverse("admin:orders_storepolicy_change", args=[policy.pk])
    response = ops_client.post(
        url,
        {
            "refund_window_days": 365,
            "bot_refund_limit": "100000.00",
            "stalled_after_hours": 1,
            "refund_shipping_when_late": "on",
            "dispatch_cutoff_hour": 15,
        },
    )
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")
    policy.refresh_from_db()
    assert policy.bot_refund_limit == limit and policy.refund_window_days != 365


def test_ops_cannot_post_a_reply_or_claim_a_conversation(ops_client: Client) -> None:
    customer = Customer.objects.get(email=FLAGSHIP_EMAIL)
    conversation, _ = _transcript(customer)
    before = Message.objects.filter(conversation=conversation).count()
    for name in ("desk_handoffqueue_reply", "desk_handoffqueue_claim"):
        url = reverse(f"admin:{name}", args=[conversation.pk])
        response = ops_client.post(url, {"text": "Refund approved, $5,000."})
        refused = response.status_code == 403 or (
            response.status_code == 302 and response["Location"].startswith("/admin/login/")
        )
        assert refused, f"{name}: {response.status_code}"
    conversation.refresh_from_db()
    assert Message.objects.filter(conversation=conversation).count() == before
    assert conversation.assigned_agent_id is None
    # Sanity: the refusal is about the role, not the URL; the Ops group holds no desk work perm.
    assert not Permission.objects.filter(
        group__name="Ops", codename__in=["work_queue", "change_handoffqueue"]
    ).exists()
