"""LivePublisher's coalescing: a reply's first piece goes out at once, and a burst of small
pieces after it becomes one frame, with indices counting up and the text unchanged."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer

from conversations import live


async def test_the_first_piece_goes_out_at_once_and_a_burst_becomes_one_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "FLUSH_AFTER_S", 60.0)  # no timer fires during the test
    layer = get_channel_layer()
    channel = await layer.new_channel()
    conversation_id = uuid.uuid4()
    await layer.group_add(live.group_name(conversation_id), channel)
    publish = live.LivePublisher(conversation_id)
    delta = {"type": "delta", "message_id": str(uuid.uuid4()), "reply_to": str(uuid.uuid4())}

    await publish({**delta, "text": "Hello"})
    first = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert (first["frame"]["index"], first["frame"]["text"]) == (0, "Hello")

    for word in (" there,", " Sarah", "."):
        await publish({**delta, "text": word})
    # Held: a frame went out less than FLUSH_AFTER_S ago. (The receive is not cancelled while
    # waiting: on the pub/sub layer a cancelled receive ends the channel's subscription.)
    receiving = asyncio.ensure_future(layer.receive(channel))
    done, _ = await asyncio.wait({receiving}, timeout=0.2)
    assert not done
    await publish.aclose()
    second = await asyncio.wait_for(receiving, timeout=5)
    assert (second["frame"]["index"], second["frame"]["text"]) == (1, " there, Sarah.")
    assert publish.sent_text(delta["message_id"]) == "Hello there, Sarah."
    await layer.group_discard(live.group_name(conversation_id), channel)
