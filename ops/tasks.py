"""Celery tasks for ops: the scheduled transcript purge and the daily golden-set run
(CELERY_BEAT_SCHEDULE runs both)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from ops.evaluation import dialogues_eval_run, golden_eval_run
from ops.models import EvalRun
from ops.retention import DEFAULT_BATCH
from ops.retention import transcripts_purge as purge

logger = logging.getLogger(__name__)
MAX_BATCHES_PER_RUN = 200


@shared_task(name="ops.tasks.transcripts_purge", ignore_result=True)
def transcripts_purge(
    batch_size: int = DEFAULT_BATCH, max_batches: int = MAX_BATCHES_PER_RUN
) -> dict[str, Any]:
    """Bounded per run: a backlog larger than max_batches x batch_size waits for the next run
    rather than holding a worker for hours."""
    result = purge(batch_size=batch_size, max_batches=max_batches)
    logger.info(
        "transcripts_purge: cutoff %s, %d deleted, %d stubbed, %d messages deleted in %d batches%s",
        result.cutoff.isoformat(),
        result.deleted,
        result.stubbed,
        result.messages_deleted,
        result.batches,
        "" if result.done else " (more left for the next run)",
    )
    return {
        "cutoff": result.cutoff.isoformat(),
        "deleted": result.deleted,
        "stubbed": result.stubbed,
        "messages_deleted": result.messages_deleted,
        "batches": result.batches,
        "done": result.done,
    }


@shared_task(name="ops.tasks.golden_eval", ignore_result=True)
def golden_eval() -> dict[str, Any]:
    """Replay the golden cases and store the run (the production checklist's daily run)."""
    run, _ = golden_eval_run(trigger=EvalRun.Trigger.SCHEDULE)
    if run.passed < run.total:
        logger.warning("golden set: %d of %d cases changed", run.total - run.passed, run.total)
    return {"run": run.pk, "total": run.total, "passed": run.passed}


@shared_task(name="ops.tasks.dialogues_eval", ignore_result=True)
def dialogues_eval() -> dict[str, Any]:
    """Replay the scripted dialogues (EVAL_DIALOGUE_FILES) and store the run, daily."""
    run = dialogues_eval_run(paths=settings.EVAL_DIALOGUE_FILES, trigger=EvalRun.Trigger.SCHEDULE)
    if run.passed < run.total:
        logger.warning("dialogues: %d of %d cases failed", run.total - run.passed, run.total)
    return {"run": run.pk, "total": run.total, "passed": run.passed}
