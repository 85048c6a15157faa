"""`manage.py bench [--json] [--section NAME ...] [--quick]`: the benchmark suite."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.machine import machine_info, settings_info
from bench.registry import BenchContext, autodiscover, run_section, sections


class Command(BaseCommand):
    help = "Run the benchmark sections and print their figures with the machine they ran on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument(
            "--section", action="append", default=[], metavar="NAME", help="repeatable"
        )
        parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
        parser.add_argument("--list", action="store_true", help="list the sections and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover()
        available = sections()
        if options["list"]:
            for section in available.values():
                self.stdout.write(f"{section.name}: {section.description}")
            return
        chosen = options["section"] or list(available)
        unknown = sorted(set(chosen) - set(available))
        if unknown:
            raise CommandError(f"unknown section(s) {unknown}; known: {sorted(available)}")
        context = BenchContext(quick=options["quick"])
        report: dict[str, Any] = {
            "machine": machine_info(),
            "settings": settings_info(),
            "quick": context.quick,
            "sections": {},
        }
        for name in chosen:
            started = time.perf_counter()
            figures = run_section(available[name], context)
            figures["duration_s"] = round(time.perf_counter() - started, 1)
            report["sections"][name] = figures
            if not options["json"]:
                self._print_section(name, figures)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        else:
            self.stdout.write("machine: " + json.dumps(report["machine"], default=str))
            self.stdout.write("settings: " + json.dumps(report["settings"], default=str))

    def _print_section(self, name: str, figures: dict[str, Any], indent: str = "") -> None:
        self.stdout.write(f"{indent}{name}:")
        for key, value in figures.items():
            if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
                self._print_section(key, value, indent + "  ")
            else:
                self.stdout.write(f"{indent}  {key}: {json.dumps(value, default=str)}")
