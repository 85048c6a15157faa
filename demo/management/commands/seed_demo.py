from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from demo.history import HISTORY_DAYS, seed_history
from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo store (idempotent; dates relative to today) and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--history",
            action="store_true",
            help=f"also {HISTORY_DAYS} days of past conversations, traces, handoffs, CSAT and "
            "golden-set runs, so the ops dashboard and ledger show trends (replaced on each run)",
        )

    def handle(self, *args: object, **options: object) -> None:
        result = seed_demo()
        if options["history"]:
            started = time.monotonic()
            past = seed_history(now=timezone.now())
            self.stdout.write(
                f"History: {past.conversations} conversations, {past.traces} traces, "
                f"{past.model_calls} model calls, {past.eval_runs} golden-set runs "
                f"in {time.monotonic() - started:.1f} s."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo store ready: {result.customers} customers, {result.orders} orders, "
                f"{result.articles} knowledge-base articles."
            )
        )
        self.stdout.write("\nLogins (admin at /admin/, storefront at /):")
        for login in result.logins:
            self.stdout.write(f"  {login.role:<36} {login.username:<16} {login.password}")
        self.stdout.write(
            "\nThe flagship case, dated for today; paste it into the widget or `manage.py chat`:"
        )
        self.stdout.write(f"  {result.flagship_message}")
