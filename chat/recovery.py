"""Customer messages a stopped or crashed process left unanswered, and the lease that tells them
apart from the ones a live process is still answering.

The lease is one cache entry per message being answered, taken when its reply starts (cache.add,
so of two processes that want the same message exactly one gets it) and never renewed: it
outlives the longest a reply can run (the pipeline's limit, the outer grace, then the fallback),
so one cache write per reply is all the hot path pays, and a run that dies leaves a lease that
expires by itself. Why the cache and not a `replying_since` column: it is shared by every
process that can answer (Redis with REDIS_URL) and, on embedded defaults, it is the single web
process's own memory, which dies with it, so a restarted process sees at once that nobody is
answering what the old one was; a column would need a heartbeat or a wait for its timeout
first, and one more database write per reply.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from chat.reply import OUTER_GRACE_S, reply_fallback_persist, reply_id_for
from conversations.models import Conversation, Message
from conversations.selectors import unanswered_customer_messages

LEASE_PREFIX = "reply-lease:"
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

# Older than this, an unanswered message goes to a person with an apology instead of getting a
# late bot answer; older than the lookback it is not looked at (an old database's history).
HAND_OVER_AFTER = dt.timedelta(hours=1)
RECOVERY_LOOKBACK = dt.timedelta(days=1)
RECOVERY_BATCH = 200
LATE_REASON = "the assistant restarted before answering"
LATE_TEXT = (
    "I'm sorry for the wait: your message reached us while our assistant was restarting. "
    "I've passed it to a member of our team, who will pick it up here."
)


def lease_key(message_id: uuid.UUID | str) -> str:
    return f"{LEASE_PREFIX}{message_id}"


def lease_seconds() -> float:
    """Longer than any run of the reply job: the pipeline's limit, the outer grace for a hang
    outside it, and as much again for the fallback reply."""
    return settings.PIPELINE_TIMEOUT_S + 2 * OUTER_GRACE_S


async def reply_lease_take(message_id: uuid.UUID | str) -> bool:
    """True if this process may answer the message: nobody live holds its lease."""
    return await cache.aadd(lease_key(message_id), OWNER, timeout=lease_seconds())


def reply_lease_take_sync(message_id: uuid.UUID | str) -> bool:
    return cache.add(lease_key(message_id), OWNER, timeout=lease_seconds())


def reply_lease_hold(message_id: uuid.UUID | str) -> None:
    """The Celery worker's run: the broker already gave it the message, so it holds the lease
    whoever had it (a redelivery after its first worker died)."""
    cache.set(lease_key(message_id), OWNER, timeout=lease_seconds())


def leased(message_ids: list[str]) -> set[str]:
    held = cache.get_many([lease_key(message_id) for message_id in message_ids])
    return {key.removeprefix(LEASE_PREFIX) for key in held}


@dataclass(frozen=True)
class Abandoned:
    message_id: str
    conversation_id: str
    late: bool  # past HAND_OVER_AFTER: a person answers it


def abandoned_messages(*, now: dt.datetime, settled: dt.timedelta) -> list[Abandoned]:
    """Unanswered customer messages that no live process is answering, oldest first. `settled`
    is how long a message may wait for its run to start: nothing on embedded defaults, where the
    lease is taken before the run is scheduled; the broker's queue with REDIS_URL."""
    found = unanswered_customer_messages(
        created_from=now - RECOVERY_LOOKBACK, created_before=now - settled, limit=RECOVERY_BATCH
    )
    held = leased([item.message_id for item in found])
    return [
        Abandoned(item.message_id, item.conversation_id, now - item.created_at > HAND_OVER_AFTER)
        for item in found
        if item.message_id not in held
    ]


def message_hand_over(*, message_id: str) -> bool:
    """End a message the bot answers too late to be useful: an apology as its one reply, and the
    conversation in the human queue. False if it was answered, or an agent owns it, meanwhile."""
    message = Message.objects.select_related("conversation").get(pk=message_id)
    if message.conversation.status == Conversation.Status.ASSIGNED:
        return False
    write = reply_fallback_persist(
        message=message, reply_id=str(reply_id_for(message_id)), text=LATE_TEXT, reason=LATE_REASON
    )
    return write.created
