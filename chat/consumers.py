"""The chat socket: one per widget, `/ws/chat/<id>/?token=...`, speaking shared/protocol.md.

It parses a frame, calls one function and answers; the bot's reply never runs in receive()
(chat.schedule schedules it) and reaches this socket, like every event of the
conversation, through the channel layer group.
"""

from __future__ import annotations

import json
import logging
import uuid
import weakref
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat.decisions import ProposalNotFound, decision_apply
from chat.limits import LimitHit, budget_check, budget_key, rate_limit_take
from chat.schedule import reply_schedule
from conversations.live import (
    buffered_delta_frames,
    group_name,
    group_publish,
    stream_buffers_get,
)
from conversations.models import MAX_MESSAGE_CHARS, Message
from conversations.proposals import proposal_open_get
from conversations.selectors import (
    conversation_get,
    customer_message_find,
    message_frame,
    message_unanswered,
    messages_after,
    replies_in_progress,
)
from conversations.services import conversation_token_valid, csat_record, message_create
from desk.queue import handoff_request, handoff_state_get
from support_bot.channel_layers import GAP_CLOSE_CODE, ClosesOnLayerGap

logger = logging.getLogger(__name__)
MAX_COMMENT_CHARS = 2000


class OpenSockets:
    """The process's chat sockets, so a stopping process can send each of them away with the
    code widgets already read as "reconnect and resume" (GAP_CLOSE_CODE), and refuse new ones:
    a message then waits in the widget's outbox for the process that takes over."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[ChatConsumer] = weakref.WeakSet()
        self.closing = False

    async def close_all(self) -> None:
        self.closing = True
        for consumer in list(self.sockets):
            await consumer.close(code=GAP_CLOSE_CODE)


open_sockets = OpenSockets()


class FrameInvalid(ValueError):
    def __init__(self, detail: str, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.client_id = client_id


class ChatConsumer(ClosesOnLayerGap, AsyncWebsocketConsumer):
    conversation_id: str
    customer_key: str

    async def connect(self) -> None:
        if open_sockets.closing:
            await self.close()  # the handshake is refused; the widget retries with a backoff
            return
        conversation = await database_sync_to_async(conversation_get)(
            conversation_id=self.scope["url_route"]["kwargs"]["conversation_id"]
        )
        if conversation is None or not conversation_token_valid(
            conversation=conversation, token=_query_token(self.scope)
        ):
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        self.conversation_id = str(conversation.pk)
        # Limits count per visitor, across their conversations (guarantee 5).
        self.customer_key = budget_key(
            customer_id=conversation.customer_id,
            conversation_id=conversation.pk,
            visitor_key=conversation.visitor_key,
        )
        # What this socket was sent, so a frame arriving both by resume and by the group
        # is sent once: bot message id -> last delta index, and finished message ids.
        self.delta_sent: dict[str, int] = {}
        self.messages_sent: set[str] = set()
        await self.channel_layer.group_add(group_name(self.conversation_id), self.channel_name)
        await self.accept()
        open_sockets.sockets.add(self)

    async def disconnect(self, code: int) -> None:
        open_sockets.sockets.discard(self)
        if hasattr(self, "conversation_id"):
            await self.channel_layer.group_discard(
                group_name(self.conversation_id), self.channel_name
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = _parse(text_data)
            handler = self.handlers.get(frame["type"])
            if handler is None:
                raise FrameInvalid(f"unknown frame type {frame['type']!r}")
            await handler(self, frame)
        except FrameInvalid as exc:
            await self.send_error("invalid", str(exc), client_id=exc.client_id)

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame))

    async def send_error(self, code: str, detail: str, **extra: Any) -> None:
        frame = {"type": "error", "code": code, "detail": detail}
        frame.update({key: value for key, value in extra.items() if value is not None})
        await self.send_json(frame)

    # Client frames.

    async def on_message(self, frame: dict[str, Any]) -> None:
        if open_sockets.closing:  # not persisted, not acked: the widget re-sends it elsewhere
            await self.close(code=GAP_CLOSE_CODE)
            return
        client_id, text = _message_fields(frame)
        if len(text) > MAX_MESSAGE_CHARS:
            await self.send_error(
                "too_long",
                f"Messages are limited to {MAX_MESSAGE_CHARS} characters.",
                client_id=str(client_id),
            )
            return
        hit = await self.limit_hit()
        if hit is not None:
            # A resend of a message already stored is still acknowledged, limits or not.
            existing = await database_sync_to_async(customer_message_find)(
                conversation_id=self.conversation_id, client_id=client_id
            )
            if existing is not None:
                await self.send_ack(existing)
                await self.answer_if_abandoned(existing)
                return
            await self.send_error(
                hit.code, hit.detail, client_id=str(client_id), retry_after=hit.retry_after
            )
            return
        # A resend (same client_id) is caught by the unique constraint in message_create:
        # the same ack again and no second reply, without a lookup before every new message.
        await self.persist_and_answer(client_id, text)

    async def limit_hit(self) -> LimitHit | None:
        hit = await rate_limit_take(visitor_key=self.customer_key)
        return hit or await budget_check(customer_key=self.customer_key)

    async def persist_and_answer(self, client_id: uuid.UUID, text: str) -> None:
        write = await database_sync_to_async(message_create)(
            conversation_id=self.conversation_id,
            sender=Message.Sender.CUSTOMER,
            text=text,
            client_id=client_id,
        )
        await self.send_ack(write.message)  # persisted first: guarantee 1
        if not write.created:  # a resend, or the same client_id raced in from another socket
            await self.answer_if_abandoned(write.message)
            return
        await group_publish(self.conversation_id, message_frame(write.message))
        await reply_schedule(message_id=write.message.pk, conversation_id=self.conversation_id)

    async def answer_if_abandoned(self, message: Message) -> None:
        """A resend of a message that has no reply and nobody answering it (its process
        stopped): answer it now rather than ack it forever. reply_schedule takes the message's
        lease, so a reply still running anywhere is not started twice."""
        if settings.REDIS_URL or not await database_sync_to_async(message_unanswered)(
            message_id=message.pk
        ):
            return  # with REDIS_URL the broker redelivers and the beat sweep requeues
        await reply_schedule(message_id=message.pk, conversation_id=self.conversation_id)

    async def send_ack(self, message: Message) -> None:
        await self.send_json(
            {
                "type": "ack",
                "client_id": str(message.client_id),
                "message_id": str(message.pk),
                "seq": message.seq,
            }
        )

    async def on_resume(self, frame: dict[str, Any]) -> None:
        after_seq = frame.get("after_seq", 0)
        if type(after_seq) is not int or after_seq < 0:
            raise FrameInvalid("after_seq must be a whole number >= 0")
        missed = await database_sync_to_async(_messages_list)(self.conversation_id, after_seq)
        for message in missed:
            await self.send_frame(message_frame(message))
        # Read after the history: a reply finished in between is in the group's queue already.
        waiting = await database_sync_to_async(replies_in_progress)(
            conversation_id=self.conversation_id
        )
        for buffer in await stream_buffers_get(self.conversation_id, waiting):
            for delta in buffered_delta_frames(buffer):
                await self.send_frame(delta)
        # Guarantee 8: after the history, where the customer stands with the people, so a
        # reloaded widget shows "queued" or the agent's name and not the bot's promise again,
        # and the proposal still waiting for an answer, so its card is back.
        handoff = await database_sync_to_async(handoff_state_get)(
            conversation_id=self.conversation_id
        )
        if handoff is not None:
            await self.send_json(handoff.frame())
        waiting_proposal = await database_sync_to_async(proposal_open_get)(
            conversation_id=self.conversation_id
        )
        if waiting_proposal is not None:
            await self.send_json(waiting_proposal.frame())

    async def on_typing(self, frame: dict[str, Any]) -> None:
        active = frame.get("active")
        if not isinstance(active, bool):
            raise FrameInvalid("active must be true or false")
        await group_publish(
            self.conversation_id, {"type": "typing", "sender": "customer", "active": active}
        )

    async def on_handoff_request(self, frame: dict[str, Any]) -> None:
        # The desk tells every socket of the conversation where the customer stands.
        await database_sync_to_async(handoff_request)(conversation_id=self.conversation_id)

    async def on_csat(self, frame: dict[str, Any]) -> None:
        score, comment = frame.get("score"), frame.get("comment", "")
        if type(score) is not int or not 1 <= score <= 5:
            raise FrameInvalid("score must be a whole number from 1 to 5")
        if not _is_text(comment) or len(comment) > MAX_COMMENT_CHARS:
            raise FrameInvalid(f"comment must be text of at most {MAX_COMMENT_CHARS} characters")
        await database_sync_to_async(csat_record)(
            conversation_id=self.conversation_id, score=score, comment=comment
        )

    async def on_decision(self, frame: dict[str, Any]) -> None:
        proposal_id, accept = frame.get("proposal_id"), frame.get("accept")
        if not _is_text(proposal_id) or not isinstance(accept, bool):
            raise FrameInvalid("a decision needs a proposal_id and accept true or false")
        try:
            # Its frames (proposal_closed, the bot's follow-up) reach every socket on commit.
            await database_sync_to_async(decision_apply)(
                conversation_id=self.conversation_id, proposal_id=proposal_id, accept=accept
            )
        except ProposalNotFound:
            raise FrameInvalid("no such proposal in this conversation") from None

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    handlers = {
        "message": on_message,
        "resume": on_resume,
        "typing": on_typing,
        "handoff_request": on_handoff_request,
        "csat": on_csat,
        "decision": on_decision,
        "ping": on_ping,
    }

    # Group events.

    async def chat_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        if frame.get("type") == "typing" and frame.get("sender") == "customer":
            return  # for agents; the customer's own widget needs no echo
        await self.send_frame(frame)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        """Send a message or delta frame once per socket, whichever way it came."""
        kind, message_id = frame.get("type"), frame.get("message_id")
        if kind == "delta":
            if message_id in self.messages_sent or frame["index"] <= self.delta_sent.get(
                message_id, -1
            ):
                return
            self.delta_sent[message_id] = frame["index"]
        elif kind == "message":
            if message_id in self.messages_sent:
                return
            self.messages_sent.add(message_id)
            self.delta_sent.pop(message_id, None)
        await self.send_json(frame)


def _query_token(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("token")
    return tokens[0] if tokens else None


def _parse(text_data: str | None) -> dict[str, Any]:
    if text_data is None:
        raise FrameInvalid("frames are JSON text")
    try:
        frame = json.loads(text_data)
    except ValueError as exc:
        raise FrameInvalid("malformed JSON") from exc
    except RecursionError as exc:  # a frame nested thousands deep: the parser gives up
        raise FrameInvalid("a frame nests too deeply") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameInvalid("a frame is a JSON object with a string `type`")
    return frame


def _message_fields(frame: dict[str, Any]) -> tuple[uuid.UUID, str]:
    raw_id, text = frame.get("client_id"), frame.get("text")
    try:
        client_id = uuid.UUID(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        client_id = None
    echo = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else None
    if client_id is None:
        raise FrameInvalid("client_id must be a UUID", client_id=echo)
    if not _is_text(text) or not text.strip():
        raise FrameInvalid("text must be a non-empty string without NUL characters", client_id=echo)
    return client_id, text


def _is_text(value: object) -> bool:
    """A str that can be stored: JSON lets a lone surrogate through ("\\ud800") and a NUL
    ("\\u0000"), which the database cannot store (PostgreSQL refuses NUL in text; SQLite keeps
    it), so the write would fail and drop the socket."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _messages_list(conversation_id: str, after_seq: int) -> list[Message]:
    return list(messages_after(conversation_id=conversation_id, after_seq=after_seq))
