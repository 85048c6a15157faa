"""The desk over websockets: what the customer's widget hears (handoff frames, agent replies and
typing, never notes), the staff sockets' permissions, live queue events and presence."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat.schedule import reply_tasks_wait
from conversations.models import Conversation, Message
from conversations.services import conversation_create
from desk import services
from desk.queue import handoff_enqueue
from support_bot.asgi import application
from tests.chat.conftest import ORIGIN, RECEIVE_S, Chat, communicator
from tests.desk.conftest import User

pytestmark = pytest.mark.django_db(transaction=True)


async def open_chat(conversation: Conversation, token: str) -> Chat:
    ws = communicator(conversation.pk, token)
    connected, _ = await ws.connect(timeout=RECEIVE_S)
    assert connected
    return Chat(ws)


def session_cookie(user: Any | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", ORIGIN)]
    if user is not None:
        client = Client()
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


async def desk_socket(path: str, user: Any | None) -> tuple[WebsocketCommunicator, bool]:
    headers = await sync_to_async(session_cookie)(user)
    ws = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await ws.connect(timeout=RECEIVE_S)
    return ws, connected


async def until(ws: WebsocketCommunicator, test: Any) -> list[dict[str, Any]]:
    return await Chat(ws).until(test, wait_s=RECEIVE_S)


def handoff(state: str) -> Any:
    return lambda f: f["type"] == "handoff" and f["state"] == state


@pytest.fixture
def new_chat() -> Any:
    async def create() -> tuple[Conversation, str]:
        return await sync_to_async(conversation_create)(customer=None)

    return create


# What the customer hears.


async def test_the_widget_hears_queued_assigned_the_reply_and_resolved(
    make_agent: Any, new_chat: Any
) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    conversation, token = await new_chat()
    chat = await open_chat(conversation, token)
    await chat.send({"type": "handoff_request"})
    queued = (await chat.until(handoff("queued")))[-1]
    assert queued == {
        "type": "handoff",
        "state": "queued",
        "position": 1,
        "agent": None,
        "expected_wait_s": None,
    }

    await sync_to_async(services.handoff_claim)(conversation_id=conversation.pk, agent=dana)
    assigned = (await chat.until(handoff("assigned")))[-1]
    assert assigned["agent"] == "Dana"

    await sync_to_async(services.agent_reply)(
        conversation_id=conversation.pk, agent=dana, text="Hi, I'm Dana. Let me look."
    )
    reply = (await chat.until(lambda f: f["type"] == "message"))[-1]
    assert reply["sender"] == "agent" and reply["text"] == "Hi, I'm Dana. Let me look."
    assert "author" not in reply  # the customer's frame is the protocol's, exactly

    await sync_to_async(services.handoff_resolve)(conversation_id=conversation.pk, actor=dana)
    resolved = (await chat.until(handoff("resolved")))[-1]
    assert resolved["state"] == "resolved"
    await chat.ws.disconnect()


async def test_places_in_line_move_up_when_someone_ahead_is_claimed(
    make_agent: Any, make_handoff: Any
) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    first, _ = await sync_to_async(make_handoff)()
    second, token = await sync_to_async(make_handoff)()
    chat = await open_chat(second, token)
    await sync_to_async(services.handoff_claim)(conversation_id=first.pk, agent=dana)
    moved = (await chat.until(handoff("queued")))[-1]
    assert moved["position"] == 1
    await chat.ws.disconnect()


async def test_the_bot_is_silent_while_an_agent_owns_it_and_answers_after_resolve(
    demo_store: Any, make_agent: Any, make_handoff: Any
) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    conversation, token = await sync_to_async(make_handoff)()
    await sync_to_async(services.handoff_claim)(conversation_id=conversation.pk, agent=dana)
    chat = await open_chat(conversation, token)

    await chat.say("Do you ship to Canada?")
    ack = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    await chat.until(lambda f: f["type"] == "message" and f["message_id"] == ack["message_id"])
    await reply_tasks_wait()
    assert await chat.silent(0.3)  # after its own message's echo, no bot frame at all
    bot = Message.objects.filter(conversation=conversation, sender=Message.Sender.BOT)
    assert not await bot.aexists()

    await sync_to_async(services.handoff_resolve)(conversation_id=conversation.pk, actor=dana)
    await chat.until(handoff("resolved"))
    await chat.say("And what is your return policy?")
    again = (await chat.until(lambda f: f["type"] == "ack"))[-1]
    answer = (await chat.reply_to(again["message_id"]))[-1]
    assert answer["sender"] == "bot" and answer["text"]
    assert not await bot.filter(reply_to_id=ack["message_id"]).aexists()
    await reply_tasks_wait()
    await chat.ws.disconnect()


async def test_notes_never_reach_the_customer(make_agent: Any, make_handoff: Any) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    conversation, token = await sync_to_async(make_handoff)()
    chat = await open_chat(conversation, token)
    console, connected = await desk_socket(f"/ws/desk/conversations/{conversation.pk}/", dana)
    assert connected
    await until(console, lambda f: f["type"] == "presence")

    secret = "Customer sounds upset; offer the 20% voucher if needed"
    await sync_to_async(services.note_create)(
        conversation_id=conversation.pk, author=dana, text=secret
    )
    note = (await until(console, lambda f: f["type"] == "note"))[-1]
    assert "note_id" in note and secret not in str(note)  # consoles re-fetch it over HTTP
    assert await chat.silent(0.5)

    response = await sync_to_async(Client().get)(
        f"/api/conversations/{conversation.pk}/messages/",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and secret not in response.content.decode()
    await console.disconnect()
    await chat.ws.disconnect()


# The staff sockets.


@pytest.mark.parametrize("who", ["anonymous", "customer", "staff without work_queue"])
async def test_desk_sockets_refuse_all_but_queue_workers(
    make_agent: Any, make_handoff: Any, who: str
) -> None:
    conversation, _ = await sync_to_async(make_handoff)()
    user = {
        "anonymous": None,
        "customer": await User.objects.acreate(username="cust", is_staff=False),
        "staff without work_queue": await sync_to_async(make_agent)("Olga", permitted=False),
    }[who]
    for path in ("/ws/desk/queue/", f"/ws/desk/conversations/{conversation.pk}/"):
        ws, connected = await desk_socket(path, user)
        assert not connected, path
        await ws.disconnect()


async def test_the_queue_socket_hears_a_new_handoff(make_agent: Any, new_chat: Any) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    queue, connected = await desk_socket("/ws/desk/queue/", dana)
    assert connected
    conversation, _ = await new_chat()
    await sync_to_async(handoff_enqueue)(conversation_id=conversation.pk, reason="legal threat")
    assert await queue.receive_json_from(timeout=RECEIVE_S) == {"type": "queue_changed"}
    await queue.disconnect()


async def test_typing_both_ways_and_live_customer_messages(
    make_agent: Any, make_handoff: Any
) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    conversation, token = await sync_to_async(make_handoff)()
    await sync_to_async(services.handoff_claim)(conversation_id=conversation.pk, agent=dana)
    chat = await open_chat(conversation, token)
    console, connected = await desk_socket(f"/ws/desk/conversations/{conversation.pk}/", dana)
    assert connected

    await chat.send({"type": "typing", "active": True})
    typing = (await until(console, lambda f: f["type"] == "typing"))[-1]
    assert typing == {"type": "typing", "sender": "customer", "active": True}

    await console.send_json_to({"type": "typing", "active": True})
    heard = (await chat.until(lambda f: f["type"] == "typing"))[-1]
    assert heard == {"type": "typing", "sender": "agent", "active": True}

    await chat.say("Are you still there?")
    message = (await until(console, lambda f: f["type"] == "message"))[-1]
    assert message["sender"] == "customer" and message["text"] == "Are you still there?"
    await reply_tasks_wait()
    await console.disconnect()
    await chat.ws.disconnect()


async def test_consoles_name_the_agent_who_wrote_a_live_message(
    make_agent: Any, make_handoff: Any
) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    sam = await sync_to_async(make_agent)("Sam")
    conversation, _ = await sync_to_async(make_handoff)()
    await sync_to_async(services.handoff_claim)(conversation_id=conversation.pk, agent=dana)
    console, _ = await desk_socket(f"/ws/desk/conversations/{conversation.pk}/", sam)
    await sync_to_async(services.agent_reply)(
        conversation_id=conversation.pk, agent=dana, text="On it."
    )
    message = (await until(console, lambda f: f["type"] == "message"))[-1]
    assert (message["sender"], message["author"], message["text"]) == ("agent", "Dana", "On it.")
    await console.disconnect()


async def test_an_agent_who_does_not_own_it_types_only_to_agents(
    make_agent: Any, make_handoff: Any
) -> None:
    sam = await sync_to_async(make_agent)("Sam")
    conversation, token = await sync_to_async(make_handoff)()
    chat = await open_chat(conversation, token)
    console, _ = await desk_socket(f"/ws/desk/conversations/{conversation.pk}/", sam)
    await console.send_json_to({"type": "typing", "active": True})
    assert await chat.silent(0.5)
    await console.disconnect()
    await chat.ws.disconnect()


async def test_consoles_see_who_else_is_viewing(make_agent: Any, make_handoff: Any) -> None:
    dana = await sync_to_async(make_agent)("Dana")
    sam = await sync_to_async(make_agent)("Sam")
    conversation, _ = await sync_to_async(make_handoff)()
    path = f"/ws/desk/conversations/{conversation.pk}/"
    first, _ = await desk_socket(path, dana)
    alone = (await until(first, lambda f: f["type"] == "presence"))[-1]
    assert alone["viewers"] == []
    second, _ = await desk_socket(path, sam)
    assert (await until(first, lambda f: f.get("viewers") == ["Sam"]))[-1]["type"] == "presence"
    assert (await until(second, lambda f: f.get("viewers") == ["Dana"]))[-1]["type"] == "presence"

    await second.send_json_to({"type": "typing", "active": True})
    typing = (await until(first, lambda f: f["type"] == "agent_typing"))[-1]
    assert typing == {"type": "agent_typing", "agent": "Sam", "active": True}

    await second.disconnect()
    assert (await until(first, lambda f: f.get("viewers") == []))[-1]["type"] == "presence"
    await first.disconnect()
