"""Who is at the desk: a closed desk socket ends an agent's presence at once, a silent one after
the heartbeat timeout, and round-robin then passes them by."""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Conversation
from desk import presence
from desk.presence import agent_left_async, agent_seen_async, agents_here
from tests.desk.test_live import desk_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_closing_the_queue_page_ends_presence_and_the_next_handoff_goes_elsewhere(
    make_agent: Any, make_handoff: Any
) -> None:
    ann = await sync_to_async(make_agent)("Ann", available=True, here=False)
    bob = await sync_to_async(make_agent)("Bob", available=True, here=False)
    ann_ws, connected = await desk_socket("/ws/desk/queue/", ann)
    assert connected
    bob_ws, connected = await desk_socket("/ws/desk/queue/", bob)
    assert connected
    assert agents_here([ann.pk, bob.pk]) == {ann.pk, bob.pk}

    await ann_ws.disconnect()  # Ann closes her browser
    assert agents_here([ann.pk, bob.pk]) == {bob.pk}
    first, _ = await sync_to_async(make_handoff)()
    second, _ = await sync_to_async(make_handoff)()
    owners = await sync_to_async(_owners)([first.pk, second.pk])
    assert owners == [bob.pk, bob.pk]
    await bob_ws.disconnect()


def _owners(ids: list[Any]) -> list[int | None]:
    return [Conversation.objects.get(pk=pk).assigned_agent_id for pk in ids]


async def test_an_agent_with_two_pages_open_stays_until_the_last_one_closes(
    make_agent: Any,
) -> None:
    ann = await sync_to_async(make_agent)("Ann", here=False)
    await agent_seen_async(ann.pk, "queue-page")
    await agent_seen_async(ann.pk, "console-page")
    await agent_left_async(ann.pk, "queue-page")
    assert agents_here([ann.pk]) == {ann.pk}
    await agent_left_async(ann.pk, "console-page")
    assert agents_here([ann.pk]) == set()


async def test_a_socket_that_stops_pinging_lapses_after_the_heartbeat_timeout(
    make_agent: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DESK_PRESENCE_TIMEOUT_S = 75
    ann = await sync_to_async(make_agent)("Ann", here=False)
    await agent_seen_async(ann.pk, "a-socket-whose-browser-crashed")
    started = time.time()
    monkeypatch.setattr(presence.time, "time", lambda: started + 74)
    assert agents_here([ann.pk]) == {ann.pk}
    monkeypatch.setattr(presence.time, "time", lambda: started + 76)
    assert agents_here([ann.pk]) == set()
