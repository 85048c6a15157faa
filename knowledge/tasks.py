from __future__ import annotations

import logging

from celery import shared_task

from knowledge.services import knowledge_resync

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def knowledge_resync_task() -> None:
    """Celery beat's re-sync of the articles imported from URLs (CELERY_BEAT_SCHEDULE)."""
    report = knowledge_resync()
    log.info(
        "knowledge re-sync: %d updated, %d unchanged, %d failed",
        len(report.updated),
        len(report.unchanged),
        len(report.failed),
    )
    for location, reason in report.failed:
        log.warning("knowledge re-sync failed for %s: %s", location, reason)
