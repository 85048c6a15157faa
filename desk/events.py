"""Publishing the desk's changes after their transaction commits.

Customers hear the protocol's `handoff` frames on their conversation's group (`conv.<id>`);
queue pages listen on `desk.queue` and reload their rows; consoles of one conversation share
`desk.conv.<id>` for what only agents may see (notes, presence, who is typing).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from conversations.live import group_publish
from conversations.models import Conversation
from desk.waits import queue_wait_expected

logger = logging.getLogger(__name__)

QUEUE_GROUP = "desk.queue"
QUEUE_EVENT = "desk.queue_changed"  # handled by QueueConsumer.desk_queue_changed
CONSOLE_EVENT = "desk.console"  # handled by ConsoleConsumer.desk_console
MAX_POSITION_UPDATES = 500

Frame = tuple[str, dict[str, Any]]  # (conversation id, frame)


def console_group(conversation_id: uuid.UUID | str) -> str:
    return f"desk.conv.{conversation_id}"


@dataclass(frozen=True)
class HandoffState:
    """Where a customer stands with the people: the protocol's `handoff` frame."""

    state: str  # queued | assigned | resolved
    position: int | None
    agent: str | None
    expected_wait_s: int | None = None  # queued only: desk.waits, None while unknown

    def frame(self) -> dict[str, Any]:
        frame = {
            "type": "handoff",
            "state": self.state,
            "position": self.position,
            "agent": self.agent,
        }
        if self.state == "queued":
            frame["expected_wait_s"] = self.expected_wait_s
        return frame


def handoff_frame_for(conversation_id: uuid.UUID | str, state: HandoffState) -> Frame:
    return str(conversation_id), state.frame()


def publish_after_commit(
    *,
    frames: Sequence[Frame] = (),
    queue_changed: bool = False,
    positions_from: dt.datetime | None = None,
    console: Sequence[Frame] = (),
) -> None:
    """Send once the writes are visible: a socket told first would read the old state.

    positions_from: tell every conversation queued at or after this time its new place in line
    (someone ahead of it left the queue, or came back to it).
    """
    transaction.on_commit(
        partial(_send_now, list(frames), queue_changed, positions_from, list(console))
    )


def _send_now(
    frames: list[Frame],
    queue_changed: bool,
    positions_from: dt.datetime | None,
    console: list[Frame],
) -> None:
    if positions_from is not None:
        frames = [*frames, *queue_position_frames(since=positions_from)]
    try:
        async_to_sync(_send)(frames, queue_changed, console)
    except Exception:  # the write stands; a page reload or the next event catches up
        logger.exception("publishing desk events failed")


async def _send(frames: list[Frame], queue_changed: bool, console: list[Frame]) -> None:
    layer = get_channel_layer()
    for conversation_id, frame in frames:
        await group_publish(conversation_id, frame)
    for conversation_id, event in console:
        await layer.group_send(
            console_group(conversation_id), {"type": CONSOLE_EVENT, "event": event}
        )
    if queue_changed:
        await layer.group_send(QUEUE_GROUP, {"type": QUEUE_EVENT})


def queue_position_frames(*, since: dt.datetime) -> list[Frame]:
    """`queued` frames with the current place in line of everyone queued at or after `since`."""
    queued = Conversation.objects.filter(status=Conversation.Status.QUEUED)
    ahead = queued.filter(queued_at__lt=since).count()
    rows = queued.filter(queued_at__gte=since).order_by("queued_at").values_list("pk", "queued_at")
    frames: list[Frame] = []
    wait = queue_wait_expected()
    position, previous = ahead, None
    for index, (pk, queued_at) in enumerate(rows[:MAX_POSITION_UPDATES]):
        if queued_at != previous:  # ties share a place, as in queue_position
            position = ahead + index + 1
            previous = queued_at
        frames.append(handoff_frame_for(pk, HandoffState("queued", position, None, wait)))
    return frames
