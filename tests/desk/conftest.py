"""Fixtures for the desk: agents with and without the queue permission, and queued handoffs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from conversations.models import Conversation
from conversations.services import conversation_create
from desk.models import AgentProfile
from desk.presence import agent_gone, agent_seen
from desk.queue import handoff_enqueue
from llm.gateway import reset_gateway
from orders.models import Customer
from tests.factories import CustomerFactory, LoyaltyTierFactory

User = get_user_model()


def work_queue_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="desk", codename="work_queue")


@pytest.fixture(autouse=True)
def offline_in_process(settings: Any) -> None:
    """The offline engine, and bot replies as tasks in this process (as tests/conversations)."""
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": ""}
    settings.REDIS_URL = ""
    reset_gateway()


@pytest.fixture
def make_agent(db: None) -> Iterator[Callable[..., Any]]:
    """A staff user holding desk.work_queue; `available` puts them in round-robin, which also
    needs them at the desk (`here`, as an open desk socket would)."""

    def make(
        first_name: str,
        *,
        available: bool = False,
        capacity: int = 3,
        permitted: bool = True,
        here: bool = True,
    ) -> Any:
        user = User.objects.create_user(
            username=first_name.lower(),
            password=f"pw-{first_name.lower()}-2026",
            first_name=first_name,
            is_staff=True,
        )
        if permitted:
            user.user_permissions.add(work_queue_permission())
        AgentProfile.objects.create(user=user, available=available, capacity=capacity)
        (agent_seen if here else agent_gone)(user.pk)
        made.append(user.pk)
        return User.objects.get(pk=user.pk)  # fresh: no stale permission cache

    made: list[int] = []
    yield make
    for user_id in made:  # ids repeat across tests: no later user may inherit "at the desk"
        agent_gone(user_id)


@pytest.fixture
def make_handoff(db: None) -> Callable[..., tuple[Conversation, str]]:
    """A conversation in the queue, with its widget token."""

    def make(
        reason: str = "customer asked for a person",
        *,
        customer: Customer | None = None,
        intent: str = "human_agent",
    ) -> tuple[Conversation, str]:
        conversation, token = conversation_create(customer=customer)
        handoff_enqueue(conversation_id=conversation.pk, reason=reason, intent=intent)
        conversation.refresh_from_db()
        return conversation, token

    return make


@pytest.fixture
def vip_customer(db: None) -> Customer:
    return CustomerFactory(name="Vera Vip", tier=LoyaltyTierFactory(code="vip", name="VIP", rank=2))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
