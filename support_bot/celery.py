"""The Celery app: reads CELERY_* settings and discovers each app's tasks.py."""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

from support_bot import worker_loop

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support_bot.settings")

app = Celery("support_bot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup_objects(**_: object) -> None:
    """As in asgi.py: long-lived start-up objects leave the collector's view."""
    gc.freeze()


@worker_init.connect
def _share_one_loop(**_: object) -> None:
    """Reply tasks run on one event loop per worker process (support_bot/worker_loop.py)."""
    worker_loop.enable()
