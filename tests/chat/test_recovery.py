"""What a restarted web process answers (issue 19, hole 4): the customer messages with no reply
that no live process is answering (chat/recovery.py), and the start and stop around them
(chat/lifecycle.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.utils import timezone

from chat import lifecycle, recovery
from chat.consumers import open_sockets
from chat.schedule import reply_tasks_wait
from conversations.models import Conversation, Message
from conversations.services import conversation_create, message_create
from pipeline.models import PipelineTrace
from support_bot.channel_layers import GAP_CLOSE_CODE
from tests.chat.conftest import RECEIVE_S, communicator

pytestmark = pytest.mark.django_db(transaction=True)
NO_WAIT = dt.timedelta(0)


def customer_message(*, age_s: float = 0, client_id: uuid.UUID | None = None) -> Message:
    """A persisted, acknowledged customer message whose reply never ran (its process died)."""
    return lost_message(age_s=age_s, client_id=client_id)[0]


def lost_message(*, age_s: float = 0, client_id: uuid.UUID | None = None) -> tuple[Message, str]:
    """customer_message, with its conversation's widget token."""
    conversation, token = conversation_create(customer=None)
    message = message_create(
        conversation_id=conversation.pk,
        sender="customer",
        text="What is your return policy?",
        client_id=client_id or uuid.uuid4(),
    ).message
    if age_s:
        Message.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - dt.timedelta(seconds=age_s)
        )
    return message, token


def picked(settled: dt.timedelta = NO_WAIT) -> dict[str, bool]:
    """message id -> late, for what a recovery now would take."""
    found = recovery.abandoned_messages(now=timezone.now(), settled=settled)
    return {item.message_id: item.late for item in found}


def replies_to(message: Message) -> list[Message]:
    return list(Message.objects.filter(reply_to_id=message.pk, sender="bot"))


def test_picks_unanswered_messages_nobody_holds_and_hands_the_late_ones_over() -> None:
    lost = customer_message(age_s=30)
    late = customer_message(age_s=recovery.HAND_OVER_AFTER.total_seconds() + 60)
    ancient = customer_message(age_s=recovery.RECOVERY_LOOKBACK.total_seconds() + 60)
    found = picked()
    assert found[str(lost.pk)] is False
    assert found[str(late.pk)] is True
    assert str(ancient.pk) not in found


def test_leaves_alone_what_a_live_process_answers_or_needs_no_bot_reply() -> None:
    leased = customer_message(age_s=30)
    cache.add(recovery.lease_key(leased.pk), "another process", 60)
    answered = customer_message(age_s=30)
    message_create(
        conversation_id=answered.conversation_id,
        sender="bot",
        text="Here it is.",
        reply_to_id=answered.pk,
    )
    assigned = customer_message(age_s=30)
    Conversation.objects.filter(pk=assigned.conversation_id).update(status="assigned")
    agent_answered = customer_message(age_s=30)  # while an agent had it, since handed back
    message_create(conversation_id=agent_answered.conversation_id, sender="agent", text="Hi!")
    recent = customer_message(age_s=1)

    found = picked(settled=dt.timedelta(seconds=10))

    for message in (leased, answered, assigned, agent_answered, recent):
        assert str(message.pk) not in found
    assert str(recent.pk) in picked()  # on embedded defaults no wait applies


async def test_two_processes_recovering_at_once_answer_each_message_once(
    demo_store: Any,
) -> None:
    lost = [await sync_to_async(customer_message)(age_s=30) for _ in range(3)]

    counts = await asyncio.gather(lifecycle.recover_abandoned(), lifecycle.recover_abandoned())
    await reply_tasks_wait()

    assert sum(counts) >= 3
    for message in lost:
        assert len(await sync_to_async(replies_to)(message)) == 1
        # One run of the pipeline each: the lease let only one process start it.
        assert await PipelineTrace.objects.filter(message_id=message.pk).acount() == 1
    assert await lifecycle.recover_abandoned() == 0


async def test_a_late_message_gets_an_apology_and_a_person(demo_store: Any) -> None:
    age_s = recovery.HAND_OVER_AFTER.total_seconds() + 60
    late = await sync_to_async(customer_message)(age_s=age_s)

    await lifecycle.recover_abandoned()

    (reply,) = await sync_to_async(replies_to)(late)
    assert reply.text == recovery.LATE_TEXT
    conversation = await Conversation.objects.aget(pk=late.conversation_id)
    assert conversation.status == Conversation.Status.QUEUED
    assert conversation.handoff_reason == recovery.LATE_REASON


async def test_a_resend_after_a_restart_gets_its_reply_not_only_the_ack(
    demo_store: Any, open_chat: Any
) -> None:
    client_id = uuid.uuid4()
    lost, token = await sync_to_async(lost_message)(client_id=client_id)
    conversation = await Conversation.objects.aget(pk=lost.conversation_id)
    chat = await open_chat(conversation, token)

    await chat.say("What is your return policy?", client_id=str(client_id))

    frames = await chat.reply_to(str(lost.pk))
    assert frames[0]["type"] == "ack" and frames[0]["message_id"] == str(lost.pk)
    assert len(await sync_to_async(replies_to)(lost)) == 1


async def test_a_resend_while_the_reply_runs_elsewhere_starts_no_second_one(
    demo_store: Any, open_chat: Any
) -> None:
    client_id = uuid.uuid4()
    held, token = await sync_to_async(lost_message)(client_id=client_id)
    await cache.aadd(recovery.lease_key(held.pk), "the process answering it", 60)
    conversation = await Conversation.objects.aget(pk=held.conversation_id)
    chat = await open_chat(conversation, token)

    await chat.say("What is your return policy?", client_id=str(client_id))

    assert (await chat.receive())["type"] == "ack"
    assert await chat.silent(1.0)
    assert await sync_to_async(replies_to)(held) == []


@pytest.fixture
def stopping() -> Iterator[None]:
    yield
    open_sockets.closing = False  # the process goes on serving the other tests


async def test_stopping_sends_widgets_to_resume_elsewhere_and_refuses_new_sockets(
    new_conversation: Any, open_chat: Any, stopping: None
) -> None:
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)

    await lifecycle.process_stopping()

    assert (await chat.ws.receive_output(RECEIVE_S)) == {"type": "websocket.close", "code": 4012}
    assert GAP_CLOSE_CODE == 4012
    late_comer = communicator(conversation.pk, token)
    connected, _ = await late_comer.connect(timeout=RECEIVE_S)
    assert not connected


async def test_stopping_lets_a_reply_in_progress_finish_within_the_grace(
    demo_store: Any, new_conversation: Any, open_chat: Any, stopping: None, settings: Any
) -> None:
    settings.SHUTDOWN_GRACE_S = 20
    conversation, token = await new_conversation()
    chat = await open_chat(conversation, token)
    await chat.say("What is your return policy?")
    ack = await chat.receive()
    await chat.until(lambda f: f["type"] == "status")  # the reply has started, not finished
    assert not await Message.objects.filter(reply_to_id=ack["message_id"]).aexists()

    await lifecycle.process_stopping()

    assert await Message.objects.filter(reply_to_id=ack["message_id"], sender="bot").aexists()


def test_the_lease_outlives_the_longest_reply(settings: Any) -> None:
    from chat.reply import OUTER_GRACE_S

    settings.PIPELINE_TIMEOUT_S = 45
    assert recovery.lease_seconds() > settings.PIPELINE_TIMEOUT_S + OUTER_GRACE_S
