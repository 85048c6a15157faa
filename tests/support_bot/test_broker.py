"""The Celery broker transport (REDIS_URL): a channel whose broker connection was lost, with a
task still running, closes, and later acknowledges or rejects that task, without raising (which
would kill the worker). Stock kombu 5.7 raises AttributeError at each of these steps."""

from __future__ import annotations

import logging

import pytest
from kombu import Connection

from support_bot.celery import app


def test_the_worker_uses_the_projects_transport_with_redis(redis_url: str) -> None:
    with app.connection_for_write() as connection:
        assert connection.transport_cls == "support_bot.patches.kombu_redis_qos:Transport"


def test_closing_after_the_connection_was_lost_leaves_unacked_tasks_to_the_sweep(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    connection = Connection(redis_url, transport="support_bot.patches.kombu_redis_qos:Transport")
    channel = connection.channel()
    channel.qos._delivered["a-delivery-tag"] = object()  # a running acks_late task
    channel.connection.client = None  # what the lost connection leaves behind
    with caplog.at_level(logging.WARNING, logger="support_bot.patches.kombu_redis_qos"):
        channel.close()  # kombu 5.7's own QoS raises AttributeError ('hostname') here
    assert "1 task(s) unacknowledged" in caplog.text
    assert not channel.qos._delivered


@pytest.mark.parametrize("finish", ["ack", "reject"])
def test_a_task_finishing_after_the_connection_was_lost_leaves_its_message_to_the_sweep(
    redis_url: str, finish: str, caplog: pytest.LogCaptureFixture
) -> None:
    connection = Connection(redis_url, transport="support_bot.patches.kombu_redis_qos:Transport")
    channel = connection.channel()
    qos = channel.qos  # what the running task's message holds on to
    channel.close()  # Celery closed the channel of the connection it lost
    with caplog.at_level(logging.WARNING, logger="support_bot.patches.kombu_redis_qos"):
        getattr(qos, finish)("a-delivery-tag")  # kombu 5.7's own QoS raises here
    assert "handed out again after the visibility timeout" in caplog.text
