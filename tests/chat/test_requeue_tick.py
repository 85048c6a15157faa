"""On embedded defaults no Celery beat runs: the web process's own minute tick
(chat/lifecycle.py) gives back to the queue the handoffs agents left unanswered, beside the
recovery of unanswered messages. With REDIS_URL the beat does it (desk.tasks)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chat import lifecycle


def _record(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []

    async def recover() -> int:
        ran.append("recover")
        return 0

    def requeue() -> int:
        ran.append("requeue")
        return 0

    monkeypatch.setattr(lifecycle, "recover_abandoned", recover)
    monkeypatch.setattr(lifecycle, "handoffs_unanswered_requeue", requeue)
    return ran


async def _one_round(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran = _record(monkeypatch)

    async def stop(_: float) -> None:
        raise asyncio.CancelledError

    monkeypatch.setattr(lifecycle.asyncio, "sleep", stop)
    with pytest.raises(asyncio.CancelledError):
        await lifecycle._sweep_forever()
    return ran


async def test_the_web_process_tick_requeues_unanswered_handoffs(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = ""
    assert await _one_round(monkeypatch) == ["recover", "requeue"]


async def test_with_a_broker_the_beat_requeues_instead(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    ran = _record(monkeypatch)
    await lifecycle._sweep_forever()  # returns after the start-up recovery
    assert ran == ["recover"]
    assert settings.CELERY_BEAT_SCHEDULE["handoffs-requeue"]["schedule"] == 60
    assert (
        settings.CELERY_BEAT_SCHEDULE["handoffs-requeue"]["task"]
        == "desk.tasks.handoffs_unanswered_requeue"
    )
