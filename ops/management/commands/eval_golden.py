"""`manage.py eval_golden [--json] [--case ID ...] [--no-record]`: replay every golden case, say
which stage changed, and exit non-zero when any did. A run of every case is stored (ops.evaluation)
for the dashboard's pass rate over time; a run of chosen cases is not."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.evaluation import golden_eval_run
from ops.golden import CaseReport, golden_cases_replay
from ops.models import GoldenCase


class Command(BaseCommand):
    help = (
        "Replay the golden cases through the pipeline (offline engine unless LLM_BASE_URL is "
        "set), each at its own clock against its snapshot, in a rolled-back transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--case", type=int, action="append", metavar="ID", help="only these cases"
        )
        parser.add_argument(
            "--no-record", action="store_true", help="do not store the run for the dashboard"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["case"] or options["no_record"]:
            cases = GoldenCase.objects.order_by("pk")
            if options["case"]:
                cases = cases.filter(pk__in=options["case"])
            reports = golden_cases_replay(cases)
        else:
            _, reports = golden_eval_run()
        changed = [r for r in reports if r.changed]
        if options["json"]:
            payload = {
                "total": len(reports),
                "changed": len(changed),
                "cases": [r.as_json() for r in reports],
            }
            self.stdout.write(json.dumps(payload, indent=2, default=str))
        else:
            for report in reports:
                self._write(report)
            self.stdout.write(f"{len(reports) - len(changed)} of {len(reports)} unchanged.")
        if changed:
            raise CommandError(f"{len(changed)} of {len(reports)} golden cases changed.")

    def _write(self, report: CaseReport) -> None:
        head = f"#{report.case_id} {report.name[:70]}"
        if not report.changed:
            self.stdout.write(f"{head}: unchanged")
            return
        if report.error:
            self.stdout.write(f"{head}: FAILED to replay: {report.error}")
            return
        stages = ", ".join(report.changed_stages)
        self.stdout.write(f"{head}: CHANGED at {report.first_changed} (stages: {stages})")
        for stage in report.changed_stages:
            for path, (expected, actual) in report.diffs[stage].items():
                self.stdout.write(f"    {stage}.{path}: {_short(expected)} -> {_short(actual)}")


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
