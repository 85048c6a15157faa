"""Patch: kombu's Redis transport, with one fix: a worker survives losing Redis while it runs tasks.

Pinned: kombu>=5.7,<5.8 (pyproject.toml); it overrides QoS.restore_unacked, ack and reject.
Upstream: celery/celery#10205 (workers stop consuming after the Redis broker connection resets)
and celery/kombu#1836 (unacknowledged messages lost on the Redis transport) report the same
family of failures; neither fixes the AttributeError below. Tests that fail without it:
tests/support_bot/test_broker.py (closing after the connection was lost, and a task finishing
after it, leave the messages to the visibility sweep instead of raising).

With acks_late (settings), a running task's message stays unacknowledged until the task ends.
When the worker's broker connection breaks (Redis restarting), Celery closes that connection,
and kombu 5.7 then touches the closed channel twice, each time through a client pool it rebuilds
from connection parameters that are already gone:

- closing the channel restores its unacknowledged messages;
- a task that was running finishes later and acknowledges its message on that channel.

Both raise AttributeError ('NoneType' object has no attribute 'hostname' / 'client'), which
Celery treats as "Unrecoverable error": the worker exits. Measured: the chaos scenario "Redis
restarted for 10 s under traffic" ended with the worker dead and every later message unanswered.

Here both are skipped once the channel's connection is gone. The messages are still in Redis's
unacked set, so the transport's visibility sweep hands them out again (settings:
CELERY_BROKER_TRANSPORT_OPTIONS), and the reply task, idempotent per customer message, does not
answer twice.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def _connection_gone(self) -> bool:
        transport = self.channel.connection
        return transport is None or transport.client is None

    def restore_unacked(self, client: Any = None) -> Any:
        if client is None and self._connection_gone():
            if self._delivered:
                logger.warning(
                    "broker connection lost with %d task(s) unacknowledged; they are handed "
                    "out again after the visibility timeout",
                    len(self._delivered),
                )
            self._delivered.clear()
            return None
        return super().restore_unacked(client)

    def ack(self, delivery_tag: Any) -> None:
        if not self._left_to_the_sweep("finished"):
            super().ack(delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if not self._left_to_the_sweep("rejected"):
            super().reject(delivery_tag, requeue=requeue)

    def _left_to_the_sweep(self, what: str) -> bool:
        """True (and says so) when a task ends on a channel whose connection is gone."""
        if not self._connection_gone():
            return False
        logger.warning(
            "task %s after its broker connection was lost; its message is handed out again "
            "after the visibility timeout",
            what,
        )
        return True


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel
