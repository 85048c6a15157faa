from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.tau2 import Tau2FormatError, tau2_import


class Command(BaseCommand):
    help = "Import τ²-bench's retail store (db.json) as the tau2-retail store, with its policy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="e.g. ../shared/tau2_retail/db.json")

    def handle(self, *args: object, path: Path, **options: object) -> None:
        started = time.perf_counter()
        try:
            result = tau2_import(path=path)
        except Tau2FormatError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        verb = "Imported" if result.created else "Already imported, unchanged:"
        self.stdout.write(
            f"{verb} {result.customers} customers, {result.products} products "
            f"({result.variants} variants), {result.orders} orders "
            f"in {time.perf_counter() - started:.1f}s."
        )
