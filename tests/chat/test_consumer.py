"""The chat socket against shared/protocol.md, with the real pipeline on the offline engine."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model

from chat.limits import budget_key
from conversations import live
from conversations.models import Conversation, Message
from conversations.services import conversation_create
from llm.gateway import get_gateway
from orders.demo import FLAGSHIP_EMAIL
from orders.models import Customer
from pipeline.models import PipelineTrace
from support_bot.channel_layers import GAP_CLOSE_CODE
from tests.chat.conftest import RECEIVE_S, communicator

pytestmark = pytest.mark.django_db(transaction=True)


def sarah() -> Customer:
    return Customer.objects.get(email=FLAGSHIP_EMAIL)


async def sarah_conversation() -> tuple[Conversation, str]:
    customer = await sync_to_async(sarah)()
    return await sync_to_async(conversation_create)(customer=customer)


def bot_replies(message_id: str) -> list[Message]:
    return list(Message.objects.filter(reply_to_id=message_id, sender="bot"))


def of_type(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [frame for frame in frames if frame["type"] == kind]


# The handshake.


@pytest.mark.parametrize(
    "case", ["wrong token", "missing token", "another conversation's token", "unknown conversation"]
)
async def test_handshake_refused_without_this_conversations_token(
    new_conversation: Any, case: str
) -> None:
    conversation, token = await new_conversation()
    _, other_token = await new_conversation()
    conversation_id, given = {
        "wrong token": (conversation.pk, "not-the-token"),
        "missing token": (conversation.pk, None),
        "another conversation's token": (conversation.pk, other_token),
        "unknown conversation": (uuid.uuid4(), token),
    }[case]
    ws = communicator(conversation_id, given)
    # Closed before accept, which Daphne answers with HTTP 403 (tests/integration checks it).
    connected, _ = await ws.connect(timeout=RECEIVE_S)
    assert not connected


async def test_handshake_refused_from_a_foreign_origin(new_conversation: Any) -> None:
    conversation, token = await new_conversation()
    ws = communicator(conversation.pk, token, origin=b"https://evil.example")
    connected, _ = await ws.connect(timeout=RECEIVE_S)
    assert not connected


# Guarantee 1: persisted before the ack; a repeated client_id is acknowledged again only.


async def test_message_is_persisted_before_its_ack_and_a_resend_gets_the_same_ack(
    demo_store: Any, new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    client_id = await chat.say("What is your return policy?")
    ack = await chat.receive()
    assert ack["type"] == "ack" and ack["client_id"] == client_id and ack["seq"] == 1
    persisted = await Message.objects.filter(pk=ack["message_id"]).afirst()
    assert persisted is not None and persisted.text == "What is your return policy?"
    await chat.reply_to(ack["message_id"])

    await chat.say("What is your return policy?", client_id=client_id)
    assert await chat.receive() == ack
    assert await chat.silent(0.5)  # no second reply is streamed
    assert len(await sync_to_async(bot_replies)(ack["message_id"])) == 1
    assert await PipelineTrace.objects.filter(message_id=ack["message_id"]).acount() == 1
    assert await Message.objects.filter(conversation=conversation).acount() == 2


# Guarantee 2: every acknowledged message ends in exactly one bot reply, or a handoff.


async def test_every_acknowledged_message_gets_exactly_one_bot_reply(
    demo_store: Any, new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    texts = ["Hello there", "Do you ship to Canada?"]
    acks = []
    for text in texts:
        await chat.say(text)
        acks.append(await chat.until(lambda f: f["type"] == "ack"))
    for ack in (frames[-1] for frames in acks):
        await chat.reply_to(ack["message_id"])
        assert len(await sync_to_async(bot_replies)(ack["message_id"])) == 1


async def test_a_failing_pipeline_ends_in_an_honest_reply_and_the_queue(
    demo_store: Any, new_conversation: Any, open_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the model provider fell over")
        yield  # an async generator, like the real one

    monkeypatch.setattr("chat.reply.run_pipeline", broken)
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await chat.say("Where is my parcel?")
    ack = await chat.until(lambda f: f["type"] == "ack")
    frames = await chat.until(lambda f: f["type"] == "handoff")
    reply = next(f for f in frames if f["type"] == "message" and f["sender"] == "bot")
    assert reply["reply_to"] == ack[-1]["message_id"]
    assert "team" in reply["text"]
    assert frames[-1]["state"] == "queued" and frames[-1]["position"] == 1
    await conversation.arefresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED


async def test_a_crash_outside_the_pipeline_still_ends_in_a_reply_and_the_queue(
    new_conversation: Any, open_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crashing_respond(**kwargs: Any) -> None:
        await kwargs["publish"](
            {
                "type": "delta",
                "message_id": str(uuid.uuid4()),
                "reply_to": kwargs["message_id"],
                "text": "x",
            }
        )
        raise ConnectionError("lost the database mid-reply")

    monkeypatch.setattr("chat.reply.respond_to_message", crashing_respond)
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await chat.say("Hi")
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    frames = await chat.until(lambda f: f["type"] == "handoff")
    replies = [f for f in frames if f["type"] == "message" and f["sender"] == "bot"]
    assert len(replies) == 1 and replies[0]["reply_to"] == ack["message_id"]
    assert frames[-1]["state"] == "queued"
    assert len(await sync_to_async(bot_replies)(ack["message_id"])) == 1


# Guarantee 3: seq and delta indices; the deltas add up to the final text.


async def test_seq_and_delta_indices_count_up_and_deltas_add_up_to_the_reply(
    open_chat: Any, demo_store: Any
) -> None:
    conversation, token = await sarah_conversation()
    chat = await open_chat(conversation, token)
    await chat.say(demo_store.flagship_message)
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    frames = await chat.reply_to(ack["message_id"])
    final = frames[-1]
    deltas = [f for f in of_type(frames, "delta") if f["message_id"] == final["message_id"]]
    assert len(deltas) >= 2  # a long reply streams in more than one frame
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert "".join(d["text"] for d in deltas) == final["text"]
    assert of_type(frames, "status")  # the customer sees what the bot is doing
    seqs = [m.seq async for m in Message.objects.filter(conversation=conversation).order_by("seq")]
    assert seqs == list(range(1, len(seqs) + 1)) and ack["seq"] == 1 and final["seq"] >= 2


# Guarantee 4: resume.


async def test_resume_replays_everything_after_the_given_seq_in_order(
    demo_store: Any, new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    first = await open_chat(conversation, token)
    for text in ["Hello", "What is your return policy?"]:
        await first.say(text)
        ack = (await first.until(lambda f: f["type"] == "ack"))[-1]
        await first.reply_to(ack["message_id"])
    await first.ws.disconnect()

    second = await open_chat(conversation, token)
    await second.send({"type": "resume", "after_seq": 1})
    replayed = [await second.receive() for _ in range(3)]
    assert [f["seq"] for f in replayed] == [2, 3, 4]
    assert [f["sender"] for f in replayed] == ["bot", "customer", "bot"]
    assert await second.silent()


async def test_resume_mid_stream_continues_the_reply_without_gap_or_duplicate(
    open_chat: Any, demo_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_publish = live.group_publish

    async def slow_network(conversation_id: Any, frame: dict[str, Any]) -> None:
        if frame["type"] == "delta":
            await asyncio.sleep(0.05)
        await slow_publish(conversation_id, frame)

    monkeypatch.setattr(live, "group_publish", slow_network)
    conversation, token = await sarah_conversation()
    first = await open_chat(conversation, token)
    await first.say(demo_store.flagship_message)
    ack = (await first.until(lambda f: f["type"] == "ack"))[-1]
    seen = await first.until(lambda f: f["type"] == "delta")
    await first.ws.disconnect()  # the phone went into a tunnel

    second = await open_chat(conversation, token)
    await second.send({"type": "resume", "after_seq": ack["seq"]})
    frames = await second.reply_to(ack["message_id"])
    final = frames[-1]
    before = [f for f in seen if f["type"] == "delta"]
    after = [f for f in of_type(frames, "delta") if f["message_id"] == final["message_id"]]
    assert after, "the reply was still streaming when the socket came back"
    assert [d["index"] for d in after] == list(range(len(after)))  # replayed from 0, no repeat
    assert after[0] == before[0]
    assert "".join(d["text"] for d in after) == final["text"]


# Guarantee 5: limits.


async def test_too_long_is_refused_and_not_persisted(new_conversation: Any, open_chat: Any) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    client_id = await chat.say("x" * 4001)
    error = await chat.receive()
    assert error["type"] == "error" and error["code"] == "too_long"
    assert error["client_id"] == client_id
    assert not await Message.objects.filter(conversation=conversation).aexists()


async def test_more_than_twenty_messages_a_minute_is_rate_limited(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    # With an agent on the conversation the bot stays quiet, which keeps this test fast.
    await Conversation.objects.filter(pk=conversation.pk).aupdate(status="assigned")
    chat = await open_chat(conversation, token)
    for n in range(settings.CHAT_MESSAGES_PER_MINUTE):
        await chat.say(f"message {n}")
        await chat.until(lambda f: f["type"] == "ack")
    client_id = await chat.say("one too many")
    error = (await chat.until(lambda f: f["type"] == "error"))[-1]
    assert error["code"] == "rate_limited" and error["client_id"] == client_id
    assert 1 <= error["retry_after"] <= 60
    assert (
        await Message.objects.filter(conversation=conversation).acount()
        == settings.CHAT_MESSAGES_PER_MINUTE
    )

    # A widget resending a stored message (it reconnected before the ack) is still acknowledged.
    first = await Message.objects.filter(conversation=conversation, seq=1).aget()
    await chat.say("message 0", client_id=str(first.client_id))
    ack = (await chat.until(lambda f: f["type"] in {"ack", "error"}))[-1]
    assert ack == {
        "type": "ack",
        "client_id": str(first.client_id),
        "message_id": str(first.pk),
        "seq": 1,
    }


async def test_a_spent_daily_budget_is_refused_with_budget_exceeded(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    gateway = get_gateway()
    key = budget_key(customer_id=None, conversation_id=conversation.pk)
    await gateway.customers.charge(key, gateway.customers.daily_tokens)
    chat = await open_chat(conversation, token)
    await chat.say("Hello?")
    error = await chat.receive()
    assert error["code"] == "budget_exceeded" and error["retry_after"] >= 1
    assert not await Message.objects.filter(conversation=conversation).aexists()


# Guarantee 6: an agent owns the conversation, the bot is silent.


async def test_the_bot_is_silent_while_an_agent_owns_the_conversation(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    agent = await get_user_model().objects.acreate(username="dana", first_name="Dana")
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        status="assigned", assigned_agent=agent
    )
    chat = await open_chat(conversation, token)
    await chat.say("Are you a real person?")
    ack = await chat.receive()
    echoed = await chat.receive()
    assert echoed["type"] == "message" and echoed["message_id"] == ack["message_id"]
    assert await chat.silent(1.0)
    assert await sync_to_async(bot_replies)(ack["message_id"]) == []


# Other frames.


BAD_FRAMES = [
    "{not json",
    '["a list"]',
    '{"type": "dance"}',
    '{"type": "message", "client_id": "not-a-uuid", "text": "hi"}',
    '{"type": "message", "client_id": "3f0c2d4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "text": "  "}',
    '{"type": "resume", "after_seq": "three"}',
    '{"type": "typing", "active": "yes"}',
    '{"type": "csat", "score": 9}',
]


async def test_bad_frames_get_invalid_and_the_socket_stays_usable(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    for raw in BAD_FRAMES:
        await chat.ws.send_to(text_data=raw)
        error = await chat.receive()
        assert error["type"] == "error" and error["code"] == "invalid" and error["detail"], raw
    await chat.send({"type": "ping"})
    assert await chat.receive() == {"type": "pong"}
    assert not await Message.objects.filter(conversation=conversation).aexists()


async def test_handoff_request_queues_with_a_position_and_a_note(
    new_conversation: Any, open_chat: Any
) -> None:
    waiting, _ = await new_conversation()
    await sync_to_async(_enqueue)(waiting)
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await chat.send({"type": "handoff_request"})
    note, handoff = await chat.receive(), await chat.receive()
    assert note["type"] == "message" and note["sender"] == "system" and note["seq"] == 1
    assert handoff == {
        "type": "handoff",
        "state": "queued",
        "position": 2,
        "agent": None,
        "expected_wait_s": None,
    }
    await conversation.arefresh_from_db()
    assert conversation.status == "queued"
    assert conversation.handoff_reason == "customer asked for a person"


def _enqueue(conversation: Conversation) -> None:
    from desk.queue import handoff_enqueue

    handoff_enqueue(conversation_id=conversation.pk, reason="earlier")


async def test_csat_is_stored(new_conversation: Any, open_chat: Any) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await chat.send({"type": "csat", "score": 5, "comment": "Quick and kind."})
    await chat.send({"type": "ping"})
    assert await chat.receive() == {"type": "pong"}
    await conversation.arefresh_from_db()
    assert (conversation.csat_score, conversation.csat_comment) == (5, "Quick and kind.")


async def test_customer_typing_reaches_agents_but_is_not_echoed(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    layer = get_channel_layer()
    agent_channel = await layer.new_channel()
    await layer.group_add(live.group_name(conversation.pk), agent_channel)
    chat = await open_chat(conversation, token)
    await chat.send({"type": "typing", "active": True})
    event = await layer.receive(agent_channel)
    assert event["frame"] == {"type": "typing", "sender": "customer", "active": True}
    assert await chat.silent()


async def test_events_published_for_the_conversation_reach_the_socket(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await live.group_publish(conversation.pk, {"type": "typing", "sender": "agent", "active": True})
    assert await chat.receive() == {"type": "typing", "sender": "agent", "active": True}


async def test_a_channel_layer_gap_closes_the_socket_so_the_widget_resumes(
    new_conversation: Any, open_chat: Any
) -> None:
    """The pub/sub layer sends `layer.gap` after its Redis subscription was lost and restored:
    frames may be missing, so the socket closes (4012) and the widget reconnects and resumes
    (the widget's own reconnect is covered by the browser test)."""
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await get_channel_layer().group_send(live.group_name(conversation.pk), {"type": "layer.gap"})
    assert await chat.ws.receive_output(RECEIVE_S) == {
        "type": "websocket.close",
        "code": GAP_CLOSE_CODE,
    }


async def test_a_reconnecting_widget_is_told_it_is_still_queued_after_the_history(
    new_conversation: Any, open_chat: Any
) -> None:
    """Guarantee 8: a customer who asked for a person and reloads sees the queue, not the bot."""
    conversation, token = await new_conversation()
    first = await open_chat(conversation, token)
    await first.send({"type": "handoff_request"})
    await first.until(lambda f: f["type"] == "handoff")
    await first.ws.disconnect()

    reloaded = await open_chat(conversation, token)
    await reloaded.send({"type": "resume", "after_seq": 0})
    note, state = await reloaded.receive(), await reloaded.receive()
    assert note["type"] == "message" and note["sender"] == "system"
    assert state == {
        "type": "handoff",
        "state": "queued",
        "position": 1,
        "agent": None,
        "expected_wait_s": None,
    }


async def test_a_reconnecting_widget_is_told_which_agent_has_it(
    new_conversation: Any, open_chat: Any
) -> None:
    conversation, token = await new_conversation()
    agent = await get_user_model().objects.acreate(username="dana2", first_name="Dana")
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        status="assigned", assigned_agent=agent
    )
    chat = await open_chat(conversation, token)
    await chat.send({"type": "resume", "after_seq": 0})
    assert await chat.receive() == {
        "type": "handoff",
        "state": "assigned",
        "position": None,
        "agent": "Dana",
    }
    assert await chat.silent()
