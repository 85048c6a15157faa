"""`manage.py bench`: every benchmark section, with the machine and settings, as text or JSON,
and the artifacts: bench.json, bench.md (the results table) and bench-latency.png (the chart).

A full run (no --section) writes them to artifacts/; a partial run writes them only where --out
says, so a smoke test of one section never overwrites the suite's results. --publish copies the
chart to docs/ for the README.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

import bench.sections  # noqa: F401  (importing the package registers every section)
from bench.machine import machine_info, settings_info
from bench.registry import BenchContext, Section, run_section, sections
from bench.report import markdown

ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"
DOCS = Path(settings.BASE_DIR) / "docs"
CHART = "bench-latency.png"
# The order; sections not named here (new ones) follow in discovery order.
ORDER = ("client", "pipeline", "live", "dashboard", "celery")


class Command(BaseCommand):
    help = "Run the benchmark sections and report their figures with the machine they ran on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument(
            "--section", action="append", default=[], metavar="NAME", help="repeatable"
        )
        parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
        parser.add_argument(
            "--soak",
            type=float,
            default=0.0,
            metavar="MINUTES",
            help="also soak: the scale section's production shape under steady paced traffic "
            "this long, memory and open files of every process at the start and the end",
        )
        parser.add_argument("--list", action="store_true", help="list the sections and exit")
        parser.add_argument(
            "--out",
            type=Path,
            metavar="DIR",
            help="write bench.json, bench.md and the chart here "
            "(default: artifacts/ for a full run, nowhere for a partial one)",
        )
        parser.add_argument(
            "--publish",
            nargs="?",
            const=DOCS,
            type=Path,
            metavar="DIR",
            help=f"also copy the chart to DIR (default docs/) as {CHART}, for the README",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        available = sections()
        if options["list"]:
            for name in sorted(available, key=_rank):
                section = available[name]
                self.stdout.write(f"{section.name}: {section.description}")
            return
        chosen = options["section"] or sorted(available, key=_rank)
        unknown = sorted(set(chosen) - set(available))
        if unknown:
            raise CommandError(f"unknown section(s) {unknown}; known: {sorted(available)}")
        report = self._run([available[name] for name in chosen], options)
        out = options["out"] or (None if options["section"] else ARTIFACTS)
        if out is not None:
            self._write(report, out, options["publish"])
        elif options["publish"]:
            raise CommandError("--publish needs the artifacts: a full run or --out DIR")
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
        failed = [name for name, figures in report["sections"].items() if "error" in figures]
        if failed:
            raise CommandError(f"section(s) failed: {failed}; see their 'error' figures")

    def _run(self, chosen: list[Section], options: dict[str, Any]) -> dict[str, Any]:
        context = BenchContext(quick=options["quick"], soak_minutes=options["soak"])
        started = time.perf_counter()
        report: dict[str, Any] = {
            "started_at": timezone.now().isoformat(timespec="seconds"),
            "command": "manage.py bench " + shlex.join(sys.argv[2:])
            if sys.argv[1:2] == ["bench"]
            else "manage.py bench",
            "quick": context.quick,
            "soak_minutes": context.soak_minutes,
            "machine": machine_info(),
            "settings": settings_info(),
            "sections": {},
        }
        for section in chosen:
            figures = self._run_one(section, context)
            report["sections"][section.name] = figures
            if not options["json"]:
                self._print_section(section.name, figures)
        report["duration_s"] = round(time.perf_counter() - started, 1)
        if not options["json"]:
            self.stdout.write("machine: " + json.dumps(report["machine"], default=str))
            self.stdout.write("settings: " + json.dumps(report["settings"], default=str))
        return report

    def _run_one(self, section: Section, context: BenchContext) -> dict[str, Any]:
        """A failing section is reported and the suite goes on: the others' figures still count."""
        started = time.perf_counter()
        try:
            figures = run_section(section, context)
        except Exception as error:
            tail = traceback.format_exc(limit=-3)
            self.stderr.write(f"section {section.name} failed:\n{tail}")
            figures = {"error": f"{type(error).__name__}: {error}"[:500]}
        figures["duration_s"] = round(time.perf_counter() - started, 1)
        return figures

    def _write(self, report: dict[str, Any], out: Path, publish: Path | None) -> None:
        from bench.chart import draw  # matplotlib only when a chart is drawn

        out.mkdir(parents=True, exist_ok=True)
        chart = draw(report, out / CHART)
        if chart is None:
            (out / CHART).unlink(missing_ok=True)  # never leave an older run's chart beside
        report["artifacts"] = {
            "json": str(out / "bench.json"),
            "markdown": str(out / "bench.md"),
            "chart": str(chart) if chart else None,
        }
        if publish is not None:
            report["artifacts"]["published_chart"] = self._publish(chart, publish)
        (out / "bench.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
        (out / "bench.md").write_text(markdown(report, CHART if chart else None))
        self.stderr.write(f"wrote {out / 'bench.json'}, {out / 'bench.md'}, {chart or 'no chart'}")

    def _publish(self, chart: Path | None, docs: Path) -> str | None:
        if chart is None:
            self.stderr.write("no section has concurrency levels: no chart to publish")
            return None
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chart, docs / CHART)
        return str(docs / CHART)

    def _print_section(self, name: str, figures: dict[str, Any], indent: str = "") -> None:
        self.stdout.write(f"{indent}{name}:")
        for key, value in figures.items():
            if isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
                self._print_section(key, value, indent + "  ")
            else:
                self.stdout.write(f"{indent}  {key}: {json.dumps(value, default=str)}")


def _rank(name: str) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)
