"""The Celery task that answers a customer message when REDIS_URL puts the pipeline on workers."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import OperationalError

from chat import reply as replies
from chat import tasks
from conversations import live
from conversations.models import Conversation, Message
from conversations.services import conversation_create, message_create
from pipeline.models import PipelineTrace

pytestmark = pytest.mark.django_db(transaction=True)


async def customer_message(text: str = "What is your return policy?") -> tuple[str, str]:
    conversation, _ = await sync_to_async(conversation_create)(customer=None)
    write = await sync_to_async(message_create)(
        conversation_id=conversation.pk, sender="customer", text=text, client_id=uuid.uuid4()
    )
    return str(conversation.pk), str(write.message.pk)


async def listen(conversation_id: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(live.group_name(conversation_id), channel)
    return channel


async def drain(channel: str) -> list[dict[str, Any]]:
    """Every frame published so far (the task has returned, so nothing more is coming)."""
    layer, frames = get_channel_layer(), []
    while True:
        try:
            event = await asyncio.wait_for(layer.receive(channel), 0.3)
        except TimeoutError:
            return frames
        frames.append(event["frame"])


async def run_task(message_id: str) -> None:
    await sync_to_async(tasks.answer_message.apply)(args=[message_id], throw=True)


async def test_the_task_persists_one_reply_and_publishes_it(demo_store: Any) -> None:
    conversation_id, message_id = await customer_message()
    channel = await listen(conversation_id)
    await run_task(message_id)
    frames = await drain(channel)
    reply = await Message.objects.aget(reply_to_id=message_id, sender="bot")
    final = frames[-1]
    assert final["type"] == "message" and final["message_id"] == str(reply.pk)
    deltas = [f for f in frames if f["type"] == "delta"]
    assert "".join(d["text"] for d in deltas) == reply.text


async def test_a_redelivered_task_publishes_the_same_reply_without_a_second_run(
    demo_store: Any,
) -> None:
    conversation_id, message_id = await customer_message()
    await run_task(message_id)
    channel = await listen(conversation_id)
    await run_task(message_id)  # what a worker killed before its ack would get again
    frames = await drain(channel)
    reply = await Message.objects.aget(reply_to_id=message_id, sender="bot")
    assert [f["type"] for f in frames] == ["message"] and frames[0]["message_id"] == str(reply.pk)
    assert await PipelineTrace.objects.filter(message_id=message_id).acount() == 1


async def test_a_transient_failure_is_retried_and_answered_once(
    demo_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []
    real_attempt = tasks.reply_attempt

    async def flaky(**kwargs: Any) -> None:
        attempts.append(kwargs["message_id"])
        if len(attempts) <= 2:
            raise replies.ReplyFailed("database restarting") from OperationalError("gone")
        await real_attempt(**kwargs)

    monkeypatch.setattr(tasks, "reply_attempt", flaky)
    monkeypatch.setattr(tasks, "retry_countdown", lambda retries: 0)
    _, message_id = await customer_message()
    await sync_to_async(tasks.answer_message.apply)(args=[message_id])
    assert len(attempts) == 3
    assert await Message.objects.filter(reply_to_id=message_id, sender="bot").acount() == 1


async def test_a_failure_that_is_not_transient_ends_in_the_fallback_and_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(**kwargs: Any) -> None:
        raise replies.ReplyFailed("respond crashed") from KeyError("stage")

    monkeypatch.setattr(tasks, "reply_attempt", broken)
    conversation_id, message_id = await customer_message()
    await run_task(message_id)
    reply = await Message.objects.aget(reply_to_id=message_id, sender="bot")
    assert reply.text == replies.OUTER_FALLBACK_TEXT
    conversation = await Conversation.objects.aget(pk=conversation_id)
    assert conversation.status == Conversation.Status.QUEUED


async def test_with_redis_the_consumer_enqueues_each_new_message_once(
    open_chat: Any, new_conversation: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueued: list[str] = []
    monkeypatch.setattr(tasks.answer_message, "delay", enqueued.append)
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    settings.REDIS_URL = "redis://the-broker"  # only the dispatch reads it; the layer stays
    client_id = await chat.say("Hello")
    ack = await chat.receive()
    await chat.say("Hello", client_id=client_id)
    again = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    assert again == ack
    assert enqueued == [ack["message_id"]]


def _age(message_id: str, seconds: float) -> None:
    from django.utils import timezone

    Message.objects.filter(pk=message_id).update(
        created_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


async def test_the_sweep_requeues_only_messages_nobody_can_still_be_answering(
    demo_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lost = [await customer_message() for _ in range(2)]
    recent = await customer_message()  # its run may still be working: left alone
    answered = await customer_message()
    assigned = await customer_message()  # an agent owns it: the bot stays silent
    for _, message_id in [*lost, answered, assigned]:
        await sync_to_async(_age)(message_id, tasks.SWEEP_AFTER.total_seconds() + 5)
    await run_task(answered[1])
    await sync_to_async(Conversation.objects.filter(pk=assigned[0]).update)(
        status=Conversation.Status.ASSIGNED
    )
    queued: list[str] = []
    monkeypatch.setattr(tasks.answer_message, "delay", queued.append)

    swept = await sync_to_async(tasks.unanswered_sweep)()

    assert swept == 2 and sorted(queued) == sorted(message_id for _, message_id in lost)
    assert recent[1] not in queued
    for message_id in queued:  # what the worker then does: one reply each
        await run_task(message_id)
    replies = await sync_to_async(
        lambda: Message.objects.filter(sender="bot", reply_to_id__in=queued).count()
    )()
    assert replies == 2
