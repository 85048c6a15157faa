"""Start the project's Celery worker with a short broker visibility timeout.

A worker killed with SIGKILL cannot hand its unacknowledged task back; Redis makes it visible
again after the visibility timeout (300 s in settings), found by a sweep that runs every
~100 s by default. The scale-out test shortens both so a restarted worker picks the task up
within seconds. Usage: python -m tests.integration.celery_worker
"""

from __future__ import annotations

import os

from support_bot.celery import app


def main() -> None:
    visibility_s = float(os.environ.get("IT_VISIBILITY_TIMEOUT_S", "8"))
    app.conf.broker_transport_options = {
        "visibility_timeout": visibility_s,
        # Sweep for abandoned tasks every second rather than every 10 x 10 s.
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    # The production pool (README): threads waiting side by side on one shared event loop.
    app.worker_main(["worker", "-P", "threads", "--concurrency", "50", "-l", "warning"])


if __name__ == "__main__":
    main()
