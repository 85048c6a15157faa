"""Limits follow the visitor, not the conversation: a new conversation resets nothing
(shared/protocol.md, guarantee 5), and the socket's Origin check takes the store's origins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client

from conversations.models import Conversation, Message
from conversations.selectors import turn_record
from llm.budget import RequestBudget
from llm.gateway import get_gateway
from pipeline import run as pipeline_run
from tests.chat.conftest import RECEIVE_S, communicator, fresh_address

pytestmark = pytest.mark.django_db(transaction=True)


def _start(address: str) -> tuple[Conversation, str]:
    body = Client(REMOTE_ADDR=address).post(
        "/api/conversations/", {}, content_type="application/json"
    )
    assert body.status_code == 201
    data = body.json()
    return Conversation.objects.get(pk=data["id"]), data["token"]


async def start_as(address: str) -> tuple[Conversation, str]:
    """A conversation started through the API, as the widget of a visitor at `address` does."""
    return await sync_to_async(_start)(address)


def _pipeline_charge_key(message_id: Any) -> str:
    """The key the pipeline charges a turn's tokens to."""
    given = pipeline_run.pipeline_input_for(turn_record(message_id=message_id))
    gateway = get_gateway()
    run = pipeline_run._Run(
        given, dt.datetime.now(dt.UTC), gateway, RequestBudget.from_config(gateway.config)
    )
    return run.customer_key


async def test_the_21st_message_in_a_minute_across_two_conversations_is_rate_limited(
    open_chat: Any,
) -> None:
    address = fresh_address()
    first, first_token = await start_as(address)
    second, second_token = await start_as(address)
    # With an agent on them the bot stays quiet, which keeps this test fast.
    await Conversation.objects.filter(pk__in=[first.pk, second.pk]).aupdate(status="assigned")
    chat_a = await open_chat(first, first_token)
    chat_b = await open_chat(second, second_token)
    half = settings.CHAT_MESSAGES_PER_MINUTE // 2
    for n in range(settings.CHAT_MESSAGES_PER_MINUTE):
        chat = chat_a if n < half else chat_b
        await chat.say(f"message {n}")
        await chat.until(lambda f: f["type"] == "ack")
    client_id = await chat_b.say("one too many")
    error = (await chat_b.until(lambda f: f["type"] in {"error", "ack"}))[-1]
    assert error["type"] == "error", "a second conversation must not reset the visitor's rate"
    assert error["code"] == "rate_limited" and error["client_id"] == client_id
    assert 1 <= error["retry_after"] <= 60

    # Another visitor is not held back by this one.
    other, other_token = await start_as(fresh_address())
    chat_c = await open_chat(other, other_token)
    await Conversation.objects.filter(pk=other.pk).aupdate(status="assigned")
    await chat_c.say("hello")
    assert (await chat_c.until(lambda f: f["type"] in {"error", "ack"}))[-1]["type"] == "ack"


async def test_a_visitor_over_budget_is_still_over_budget_in_a_new_conversation(
    open_chat: Any,
) -> None:
    address = fresh_address()
    first, first_token = await start_as(address)
    chat = await open_chat(first, first_token)
    await Conversation.objects.filter(pk=first.pk).aupdate(status="assigned")
    await chat.say("Where is my order?")
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    # The pipeline spent the whole day's tokens on this visitor's turn.
    key = await sync_to_async(_pipeline_charge_key)(ack["message_id"])
    customers = get_gateway().customers
    await customers.charge(key, customers.daily_tokens)

    second, second_token = await start_as(address)
    fresh = await open_chat(second, second_token)
    await fresh.say("Hello again?")
    error = await fresh.receive()
    assert error["type"] == "error" and error["code"] == "budget_exceeded"
    assert error["retry_after"] >= 1
    assert not await Message.objects.filter(conversation=second).aexists()


async def test_the_socket_accepts_the_store_origin_and_refuses_others() -> None:
    conversation, token = await start_as(fresh_address())
    store = communicator(conversation.pk, token, origin=b"https://shop.example")
    connected, _ = await store.connect(timeout=RECEIVE_S)
    assert connected, "the widget on the store's own site must get its socket"
    await store.disconnect()
    for origin in (b"https://evil.example", b"http://shop.example", b"https://shop.example:8443"):
        foreign = communicator(conversation.pk, token, origin=origin)
        connected, _ = await foreign.connect(timeout=RECEIVE_S)
        assert not connected, origin
