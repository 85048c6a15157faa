"""Staff sockets: `/ws/desk/queue/` tells queue pages to reload their rows, and
`/ws/desk/conversations/<id>/` feeds an agent console (the customer's live events, notes, who
else is viewing, who is typing). Session auth (AuthMiddlewareStack); only queue workers connect.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from conversations.live import group_name, group_publish
from conversations.models import Conversation, Message
from desk.events import CONSOLE_EVENT, QUEUE_GROUP, console_group
from desk.permissions import can_work_queue, display_name
from desk.presence import agent_left_async, agent_seen_async
from support_bot.channel_layers import ClosesOnLayerGap


class QueueConsumer(ClosesOnLayerGap, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        if not await database_sync_to_async(can_work_queue)(self.scope.get("user")):
            await self.close()  # before accept: HTTP 403
            return
        await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        # Present before the handshake completes: whoever sees the socket open sees the agent.
        await agent_seen_async(self.scope["user"].pk, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await agent_left_async(user.pk, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if _frame(text_data).get("type") == "ping":
            await agent_seen_async(self.scope["user"].pk, self.channel_name)
            await self.send(text_data=json.dumps({"type": "pong"}))

    async def desk_queue_changed(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "queue_changed"}))


class ConsoleConsumer(ClosesOnLayerGap, AsyncWebsocketConsumer):
    """Presence needs no shared store: a new viewer says hello to the console group, everyone
    there answers it directly, and a leaving viewer says goodbye."""

    conversation_id: str
    user_id: int
    name: str

    async def connect(self) -> None:
        user = self.scope.get("user")
        conversation_id = str(self.scope["url_route"]["kwargs"]["conversation_id"])
        if not await database_sync_to_async(_console_allowed)(user, conversation_id):
            await self.close()
            return
        self.conversation_id = conversation_id
        self.user_id, self.name = user.pk, display_name(user)
        self.viewers: dict[str, tuple[int, str]] = {}  # channel -> (user id, name)
        self.typing_sent = False
        await self.channel_layer.group_add(group_name(conversation_id), self.channel_name)
        await self.channel_layer.group_add(console_group(conversation_id), self.channel_name)
        await agent_seen_async(self.user_id, self.channel_name)
        await self.accept()
        await self._console_send({"type": "presence.join", **self._me()})
        await self._send_presence()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "conversation_id"):
            return
        await agent_left_async(self.user_id, self.channel_name)
        if self.typing_sent:
            await self._typing(False)
        await self._console_send({"type": "presence.leave", "channel": self.channel_name})
        await self.channel_layer.group_discard(group_name(self.conversation_id), self.channel_name)
        await self.channel_layer.group_discard(
            console_group(self.conversation_id), self.channel_name
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame = _frame(text_data)
        if frame.get("type") == "typing" and isinstance(frame.get("active"), bool):
            await self._typing(frame["active"])
        elif frame.get("type") == "ping":
            await agent_seen_async(self.user_id, self.channel_name)
            await self._send({"type": "pong"})

    async def _typing(self, active: bool) -> None:
        """Agents see each other typing; the customer only hears the owning agent."""
        self.typing_sent = active
        await self._console_send(
            {
                "type": CONSOLE_EVENT,
                "event": {
                    "type": "agent_typing",
                    "agent": self.name,
                    "active": active,
                    "channel": self.channel_name,
                },
            }
        )
        if await database_sync_to_async(_owns)(self.user_id, self.conversation_id):
            await group_publish(
                self.conversation_id, {"type": "typing", "sender": "agent", "active": active}
            )

    # Group events.

    async def chat_frame(self, event: dict[str, Any]) -> None:
        """The customer's live events: messages, bot deltas and status, handoff, typing."""
        frame = event["frame"]
        if frame.get("type") == "typing" and frame.get("sender") == "agent":
            return  # agents' typing reaches consoles as agent_typing, with a name
        if frame.get("type") == "message" and frame.get("sender") == "agent":
            # Consoles label an agent's message with its author, as the rendered page does; the
            # customer's protocol frame has no author, so it is looked up here (agent messages
            # are few).
            author = await database_sync_to_async(_author_name)(frame["message_id"])
            frame = {**frame, "author": author}
        await self._send(frame)

    async def desk_console(self, event: dict[str, Any]) -> None:
        inner = event["event"]
        if inner.get("channel") == self.channel_name:
            return
        await self._send({k: v for k, v in inner.items() if k != "channel"})

    async def presence_join(self, event: dict[str, Any]) -> None:
        if event["channel"] == self.channel_name:
            return
        self.viewers[event["channel"]] = (event["user_id"], event["name"])
        await self.channel_layer.send(event["channel"], {"type": "presence.here", **self._me()})
        await self._send_presence()

    async def presence_here(self, event: dict[str, Any]) -> None:
        self.viewers[event["channel"]] = (event["user_id"], event["name"])
        await self._send_presence()

    async def presence_leave(self, event: dict[str, Any]) -> None:
        if self.viewers.pop(event["channel"], None) is not None:
            await self._send_presence()

    # Helpers.

    def _me(self) -> dict[str, Any]:
        return {"channel": self.channel_name, "user_id": self.user_id, "name": self.name}

    async def _send_presence(self) -> None:
        others = sorted(
            {name for user_id, name in self.viewers.values() if user_id != self.user_id}
        )
        await self._send({"type": "presence", "viewers": others})

    async def _console_send(self, event: dict[str, Any]) -> None:
        await self.channel_layer.group_send(console_group(self.conversation_id), event)

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame))


def _author_name(message_id: str) -> str:
    author = Message.objects.filter(pk=message_id).values_list("author__first_name", flat=True)
    return author.first() or ""


def _console_allowed(user: Any, conversation_id: str) -> bool:
    return can_work_queue(user) and Conversation.objects.filter(pk=conversation_id).exists()


def _owns(user_id: int, conversation_id: str) -> bool:
    return Conversation.objects.filter(
        pk=conversation_id, status=Conversation.Status.ASSIGNED, assigned_agent_id=user_id
    ).exists()


def _frame(text_data: str | None) -> dict[str, Any]:
    try:
        frame = json.loads(text_data or "")
    except ValueError:
        return {}
    return frame if isinstance(frame, dict) else {}
