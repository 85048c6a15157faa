"""Scenario 6: the same client_id sent three times (a widget re-sending its outbox after
reconnects, twice on one socket and once, at the same moment, on a second socket of the same
conversation) is one row, one reply and one call per model at the fake server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from conversations.models import Message
from fakes.llm_server import FakeLLMServer
from llm.gateway import Gateway
from pipeline.models import PipelineTrace
from tests.chaos.conftest import Widget, assert_nothing_lost, sarah

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


async def test_one_client_id_three_times_is_one_row_one_reply_one_model_call(
    demo_store: Any, gateway: Gateway, fake_llm: FakeLLMServer, widgets: Any
) -> None:
    first: Widget = await widgets(await sarah())
    second = await Widget(first.conversation, first.token).open()
    try:
        client_id, text = str(uuid.uuid4()), "Where is my order ORD-4521?"
        turn = await first.send(text, client_id)
        await asyncio.gather(first.send(text, client_id), second.send(text, client_id))
        await first.answered(turn, 20)
        await first.send(text, client_id)  # after the answer, too
        await asyncio.sleep(0.5)
        echoed = await second.acked(second.turns[client_id])
    finally:
        await second.close()

    acks = [f for f in turn.frames if f["type"] == "ack"] + [echoed.ack]
    assert len(acks) >= 3 and len({(a["message_id"], a["seq"]) for a in acks}) == 1
    rows = await Message.objects.filter(client_id=client_id).acount()
    assert rows == 1
    assert await PipelineTrace.objects.filter(message_id=turn.message_id).acount() == 1
    per_model = {name: s["count"] for name, s in fake_llm.stats_json()["models"].items()}
    assert per_model and set(per_model.values()) == {1}, per_model  # each stage's model once
    await sync_to_async(assert_nothing_lost)(first)
