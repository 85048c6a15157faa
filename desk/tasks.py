"""Celery tasks for the desk: the requeue of unanswered handoffs (CELERY_BEAT_SCHEDULE runs it)."""

from __future__ import annotations

from celery import shared_task

from desk.requeue import handoffs_unanswered_requeue as requeue


@shared_task(name="desk.tasks.handoffs_unanswered_requeue", ignore_result=True)
def handoffs_unanswered_requeue() -> int:
    return requeue()
