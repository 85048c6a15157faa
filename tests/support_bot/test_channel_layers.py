"""The embedded channel layer: Channels' in-memory layer with its expiry sweep throttled."""

from __future__ import annotations

import asyncio

import pytest

from support_bot.channel_layers import InMemoryChannelLayer


async def test_group_frames_reach_every_member_in_order() -> None:
    layer = InMemoryChannelLayer()
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("conv.a", first)
    await layer.group_add("conv.a", second)
    for n in range(3):
        await layer.group_send("conv.a", {"type": "chat.frame", "n": n})
    for channel in (first, second):
        assert [(await layer.receive(channel))["n"] for _ in range(3)] == [0, 1, 2]


async def test_the_sweep_runs_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = InMemoryChannelLayer(clean_every_s=60)
    sweeps = []
    monkeypatch.setattr(
        "channels.layers.InMemoryChannelLayer._clean_expired", lambda self: sweeps.append(1)
    )
    channel = await layer.new_channel()
    await layer.group_add("conv.a", channel)
    for _ in range(50):
        await layer.group_send("conv.a", {"type": "chat.frame"})
        await layer.receive(channel)
    assert len(sweeps) == 1


async def test_expired_messages_and_members_are_still_dropped() -> None:
    layer = InMemoryChannelLayer(expiry=0.05, clean_every_s=0.01)
    stale, fresh = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("conv.a", stale)
    await layer.send(stale, {"type": "chat.frame", "n": "old"})
    await asyncio.sleep(0.1)  # past both the message's expiry and the sweep interval
    await layer.send(fresh, {"type": "chat.frame", "n": "new"})
    await layer.group_send("conv.b", {"type": "chat.frame"})  # any group_send sweeps
    assert stale not in layer.channels  # its expired message is gone...
    assert stale not in layer.groups.get("conv.a", {})  # ...and so is its group membership
    assert (await layer.receive(fresh))["n"] == "new"
