"""Two agents claim the same conversation at the same moment, on PostgreSQL, from two threads
with their own connections: exactly one wins and the other is told who did."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from conversations.models import Conversation
from desk import assignment, services
from desk.models import HandoffEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 5
HOLD_S = 0.2


def test_two_agents_claiming_at_once_one_wins_the_other_is_told(
    postgres: None, make_agent: Any, make_handoff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dana, sam = make_agent("Dana"), make_agent("Sam")
    take = assignment.assignment_take

    def slow_take(**kwargs: Any) -> bool:
        # Hold the row lock a moment after the UPDATE, so the other claim's UPDATE surely
        # arrives while the first transaction is still open.
        taken = take(**kwargs)
        time.sleep(HOLD_S)
        return taken

    monkeypatch.setattr(services, "assignment_take", slow_take)
    for _ in range(ROUNDS):
        conversation, _ = make_handoff()
        results = race(conversation, [dana, sam])
        winners = [r for r in results.values() if r.ok]
        losers = [r for r in results.values() if not r.ok]
        assert len(winners) == 1 and len(losers) == 1, results
        conversation.refresh_from_db()
        winner_name = conversation.assigned_agent.first_name
        assert winners[0].agent == winner_name
        assert losers[0].detail == f"Already claimed by {winner_name}."
        assert conversation.status == Conversation.Status.ASSIGNED
        claims = HandoffEvent.objects.filter(conversation=conversation, kind="claimed")
        assert claims.count() == 1


def race(conversation: Conversation, agents: list[Any]) -> dict[str, services.HandoffResult]:
    start = threading.Barrier(len(agents))
    results: dict[str, services.HandoffResult] = {}
    errors: list[BaseException] = []

    def claim(agent: Any) -> None:
        try:
            start.wait(timeout=5)
            results[agent.first_name] = services.handoff_claim(
                conversation_id=conversation.pk, agent=agent
            )
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results
