"""The production channel layer (REDIS_URL): channels_redis's pub/sub layer, which says when its
Redis subscription was lost instead of reconnecting silently, and whose group_add returns only
once Redis has confirmed the subscription. Against the real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from support_bot.channel_layers import GAP_EVENT, RedisPubSubChannelLayer
from support_bot.patches import channels_redis_pubsub as layers

WAIT_S = 10.0


@pytest.fixture
async def named_layer(redis_url: str) -> AsyncIterator[tuple[RedisPubSubChannelLayer, str]]:
    """A layer whose connections carry a name of their own, so a test can find and cut them."""
    name = f"layer-test-{uuid.uuid4().hex[:12]}"
    layer = RedisPubSubChannelLayer(hosts=[{"address": redis_url, "client_name": name}])
    yield layer, name
    await layer.flush()


async def connections_cut(redis_url: str, name: str, *, subscriber: bool) -> int:
    """Kill the layer's subscriber connection, or its publishing ones, as a Redis restart
    would; returns how many were cut."""
    admin = aioredis.from_url(redis_url)
    try:
        ids = [
            client["id"]
            for client in await admin.client_list()
            if client["name"] == name and (int(client["sub"]) > 0) == subscriber
        ]
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
    finally:
        await admin.aclose()
    return len(ids)


class HeldConfirmations:
    """Redis's answers to SUBSCRIBE, held back from the layer until the test releases one;
    after the first release, later answers pass straight through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.held: list[tuple[layers._Shard, dict]] = []
        self.holding = True
        confirm = layers._Shard._receive_message
        self._confirm = confirm

        def receive(shard: layers._Shard, message: dict | None) -> None:
            if self.holding and message is not None and message["type"] == "subscribe":
                self.held.append((shard, message))
            else:
                confirm(shard, message)

        monkeypatch.setattr(layers._Shard, "_receive_message", receive)

    async def until(self, count: int) -> None:
        """Wait (up to a second) until Redis has answered `count` SUBSCRIBEs."""
        for _ in range(50):
            if len(self.held) >= count:
                return
            await asyncio.sleep(0.02)

    def release(self, index: int) -> None:
        self.holding = False
        self._confirm(*self.held[index])


async def test_group_frames_reach_every_member_in_order(
    named_layer: tuple[RedisPubSubChannelLayer, str],
) -> None:
    layer, _ = named_layer
    group = f"conv.{uuid.uuid4().hex}"
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(group, first)
    await layer.group_add(group, second)
    for n in range(5):
        await layer.group_send(group, {"type": "chat.frame", "n": n})
    for channel in (first, second):
        got = [(await asyncio.wait_for(layer.receive(channel), WAIT_S))["n"] for _ in range(5)]
        assert got == [0, 1, 2, 3, 4]


async def test_a_cut_subscription_reaches_every_channel_as_a_gap_then_frames_flow_again(
    redis_url: str, named_layer: tuple[RedisPubSubChannelLayer, str]
) -> None:
    layer, name = named_layer
    group = f"conv.{uuid.uuid4().hex}"
    member, bystander = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(group, member)
    await layer.group_send(group, {"type": "chat.frame", "n": "before"})
    assert (await asyncio.wait_for(layer.receive(member), WAIT_S))["n"] == "before"

    # What a Redis restart does to the subscriber: its connection is gone.
    assert await connections_cut(redis_url, name, subscriber=True) == 1

    for channel in (member, bystander):
        assert await asyncio.wait_for(layer.receive(channel), WAIT_S) == {"type": GAP_EVENT}
    await layer.group_send(group, {"type": "chat.frame", "n": "after"})
    assert (await asyncio.wait_for(layer.receive(member), WAIT_S))["n"] == "after"


async def test_a_frame_published_on_a_connection_redis_dropped_still_arrives(
    redis_url: str, named_layer: tuple[RedisPubSubChannelLayer, str]
) -> None:
    """After a Redis restart every pooled publishing connection is dead; the first frame on
    one must go out on a fresh connection, not be dropped unannounced."""
    layer, name = named_layer
    group = f"conv.{uuid.uuid4().hex}"
    member = await layer.new_channel()
    await layer.group_add(group, member)
    await layer.group_send(group, {"type": "chat.frame", "n": "before"})
    assert (await asyncio.wait_for(layer.receive(member), WAIT_S))["n"] == "before"

    assert await connections_cut(redis_url, name, subscriber=False) > 0

    await layer.group_send(group, {"type": "chat.frame", "n": "after"})
    assert (await asyncio.wait_for(layer.receive(member), WAIT_S))["n"] == "after"


async def test_group_add_waits_for_redis_to_confirm_the_subscription(
    named_layer: tuple[RedisPubSubChannelLayer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    layer, _ = named_layer
    monkeypatch.setattr(layers, "SUBSCRIBE_CONFIRM_S", 0.5)
    channel = await layer.new_channel()  # confirmed as usual
    HeldConfirmations(monkeypatch)  # and never released: lost
    with pytest.raises(TimeoutError):
        await layer.group_add(f"conv.{uuid.uuid4().hex}", channel)


async def test_a_second_member_joining_while_the_subscription_is_unconfirmed_waits_for_it(
    named_layer: tuple[RedisPubSubChannelLayer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customer's socket and an agent's console join one conversation's group at once: the
    second must not return before Redis has confirmed the group's subscription either."""
    layer, _ = named_layer
    first, second = await layer.new_channel(), await layer.new_channel()
    confirmations = HeldConfirmations(monkeypatch)
    group = f"conv.{uuid.uuid4().hex}"
    joins = [asyncio.create_task(layer.group_add(group, channel)) for channel in (first, second)]
    await confirmations.until(1)
    assert len(confirmations.held) == 1
    await asyncio.sleep(0.2)
    assert not any(join.done() for join in joins)

    confirmations.release(0)
    await asyncio.wait_for(asyncio.gather(*joins), WAIT_S)
    await layer.group_send(group, {"type": "chat.frame", "n": 1})
    for channel in (first, second):
        assert (await asyncio.wait_for(layer.receive(channel), WAIT_S))["n"] == 1


async def test_a_group_left_and_joined_again_before_redis_confirms_subscribes_again(
    named_layer: tuple[RedisPubSubChannelLayer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket closing while its join is unconfirmed unsubscribes the group; the next join
    must send its own SUBSCRIBE and wait for that one, not for the first one's confirmation."""
    layer, _ = named_layer
    first, second = await layer.new_channel(), await layer.new_channel()
    confirmations = HeldConfirmations(monkeypatch)
    group = f"conv.{uuid.uuid4().hex}"
    leaving = asyncio.create_task(layer.group_add(group, first))
    await confirmations.until(1)
    await layer.group_discard(group, first)
    joining = asyncio.create_task(layer.group_add(group, second))
    await confirmations.until(2)
    assert len(confirmations.held) == 2  # the second join sent a SUBSCRIBE of its own

    confirmations.release(0)
    await asyncio.wait_for(leaving, WAIT_S)
    await asyncio.sleep(0.1)
    assert not joining.done()  # the first SUBSCRIBE's answer is not the second's
    confirmations.release(1)
    await asyncio.wait_for(joining, WAIT_S)
    await layer.group_send(group, {"type": "chat.frame", "n": 1})
    assert (await asyncio.wait_for(layer.receive(second), WAIT_S))["n"] == 1
