"""The demo store's desk: the demo agent works the queue by round-robin, with canned replies."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from demo.seed import seed_demo
from desk.models import AgentProfile, CannedResponse
from desk.permissions import can_work_queue

pytestmark = pytest.mark.django_db


def test_the_demo_agent_is_available_with_capacity_and_canned_replies(demo_store: Any) -> None:
    agent = User.objects.get(username="agent")
    profile = AgentProfile.objects.get(user=agent)
    assert profile.available and profile.capacity == 3
    assert can_work_queue(agent)
    assert not can_work_queue(User.objects.get(username="ops"))
    assert CannedResponse.objects.count() >= 3


def test_seeding_again_keeps_the_agents_own_choices(demo_store: Any) -> None:
    AgentProfile.objects.filter(user__username="agent").update(available=False)
    seed_demo()
    assert not AgentProfile.objects.get(user__username="agent").available
    assert AgentProfile.objects.count() == 1
