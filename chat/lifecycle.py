"""The web process's start and stop, so that no reply is lost on a restart (shared/protocol.md,
guarantee 2, "also when the process that was answering is stopped or crashes mid-reply").

On start the process finishes, or hands to a person, every customer message that has no reply
and no live lease (chat/recovery.py), then, on embedded defaults where no Celery beat runs, sweeps
again every minute, and gives back to the queue the handoffs agents left unanswered
(desk/requeue.py). On stop it closes the chat sockets with the "reconnect and resume" code,
refuses new ones, lets replies in progress run for SHUTDOWN_GRACE_S and leaves the rest to the
next start.

Daphne does not speak the ASGI lifespan protocol (4.2 has no lifespan at all), so under Daphne
both hooks hang on its Twisted reactor: `callWhenRunning` and a "before shutdown" trigger, which
Twisted waits for on SIGTERM/SIGINT before it drops the connections. Servers that do speak
lifespan (uvicorn) get the same two calls through `RestartSafe`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from chat.consumers import open_sockets
from chat.recovery import abandoned_messages, message_hand_over, reply_lease_take
from chat.schedule import reply_schedule, reply_tasks_running, reply_tasks_wait
from chat.tasks import SWEEP_AFTER
from desk.requeue import handoffs_unanswered_requeue
from pipeline.offline.intent import classify

logger = logging.getLogger(__name__)
SWEEP_EVERY_S = 60.0

_sweeper: asyncio.Task[None] | None = None


async def recover_abandoned() -> int:
    """Answer, or hand to a person, what no live process is answering; returns how many.
    With REDIS_URL the answers go to the workers, as a new message's would."""
    settled = SWEEP_AFTER if settings.REDIS_URL else dt.timedelta(0)
    found = await sync_to_async(abandoned_messages)(now=timezone.now(), settled=settled)
    for item in found:
        if not item.late:
            await reply_schedule(message_id=item.message_id, conversation_id=item.conversation_id)
        elif await reply_lease_take(item.message_id):
            await sync_to_async(message_hand_over)(message_id=item.message_id)
    if found:
        logger.warning("recovering %d unanswered customer messages", len(found))
    return len(found)


def process_started() -> None:
    """Recover now, and keep sweeping where no beat does. Call once the event loop runs."""
    global _sweeper
    if _sweeper is None:
        _sweeper = asyncio.get_event_loop().create_task(_sweep_forever())


async def _sweep_forever() -> None:
    # The offline intent model trains at its first use; do it now, off the event loop, rather
    # than inside the first customer's reply with every other chat waiting.
    await asyncio.to_thread(classify, "hello")
    while True:
        try:
            await recover_abandoned()
        except Exception:  # the database is away for a moment: the next round tries again
            logger.exception("recovering unanswered messages failed")
        if settings.REDIS_URL:
            return  # Celery beat sweeps (chat.tasks.unanswered_sweep, desk.tasks)
        try:
            await sync_to_async(handoffs_unanswered_requeue)()
        except Exception:
            logger.exception("requeueing unanswered handoffs failed")
        await asyncio.sleep(SWEEP_EVERY_S)


async def process_stopping() -> None:
    """Take no new messages, let replies in progress finish within the grace, leave the rest."""
    global _sweeper
    if _sweeper is not None:
        _sweeper.cancel()
        _sweeper = None
    await open_sockets.close_all()
    if not await reply_tasks_wait(settings.SHUTDOWN_GRACE_S):
        logger.warning(
            "stopping with %d replies unfinished; the next start finishes them",
            reply_tasks_running(),
        )


def hook_into_daphne() -> bool:
    """Under Daphne (its asyncio Twisted reactor installed): start and stop with the reactor.
    Registered at import, before Daphne's own shutdown trigger, so the sockets get their close
    code before Daphne cancels their consumers."""
    reactor = sys.modules.get("twisted.internet.reactor")
    loop = getattr(reactor, "_asyncioEventloop", None)
    if reactor is None or loop is None:
        return False
    from twisted.internet.defer import Deferred

    reactor.callWhenRunning(lambda: loop.call_soon(process_started))
    reactor.addSystemEventTrigger(
        "before",
        "shutdown",
        lambda: Deferred.fromFuture(asyncio.ensure_future(process_stopping(), loop=loop)),
    )
    return True


class RestartSafe:
    """The ASGI app, plus the lifespan protocol for servers that send it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                process_started()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await process_stopping()
                await send({"type": "lifespan.shutdown.complete"})
                return
