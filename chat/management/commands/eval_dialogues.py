"""`manage.py eval_dialogues FILE.jsonl [--json]`: replay scripted dialogues and score them, as
../shared/dialogues.md specifies. The stores the cases name are brought in first when missing:
`tau2-retail` from the τ² data beside the repository (or --tau2-data), `demo` by seed_demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.dialogues import CaseInvalid, Replayer, cases_read
from orders.models import Customer
from orders.models.stores import DEMO_STORE, TAU2_STORE


class Command(BaseCommand):
    help = "Replay scripted dialogues (JSON Lines) through the pipeline and score them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="cases, one JSON object per line")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--only", metavar="ID", action="append", help="replay these cases")
        parser.add_argument(
            "--tau2-data",
            type=Path,
            default=Path(settings.BASE_DIR).parent / "shared" / "tau2_retail" / "db.json",
            help="the τ² store to import when a case needs it and it is not there",
        )
        parser.add_argument(
            "--transcripts", action="store_true", help="with --json: each case's transcript"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cases = cases_read(options["file"])
        except (OSError, CaseInvalid) as exc:
            raise CommandError(str(exc)) from exc
        if options["only"]:
            cases = [case for case in cases if case.id in set(options["only"])]
        for code in sorted({case.store for case in cases}):
            self._ensure_store(code, options["tau2_data"])
        replayer = Replayer()
        results = [replayer.run(case) for case in cases]
        passed = sum(result.passed for result in results)
        report = {
            "file": str(options["file"]),
            "cases": len(results),
            "passed": passed,
            "pass_rate": round(passed / len(results), 4) if results else 0.0,
            "failed": [r.as_json() for r in results if not r.passed],
        }
        if not options["transcripts"]:
            for failed in report["failed"]:
                failed.pop("transcript")
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self._print(report)

    def _ensure_store(self, code: str, tau2_data: Path) -> None:
        if Customer.objects.filter(store__code=code).exists():
            return
        if code == TAU2_STORE:
            if not tau2_data.exists():
                raise CommandError(f"the {code} store is not imported and {tau2_data} is missing")
            call_command("import_tau2_retail", str(tau2_data), stdout=self.stderr)
        elif code == DEMO_STORE:
            call_command("seed_demo", stdout=self.stderr)
        else:
            raise CommandError(f"unknown store {code!r}: cases run on {DEMO_STORE} or {TAU2_STORE}")

    def _print(self, report: dict[str, Any]) -> None:
        self.stdout.write(
            f"{report['passed']}/{report['cases']} cases passed "
            f"({report['pass_rate']:.1%}) from {report['file']}"
        )
        for failed in report["failed"]:
            self.stdout.write(f"- {failed['id']}: failed {', '.join(failed['failed']) or '-'}")
            if failed["error"]:
                self.stdout.write(f"    error: {failed['error']}")
            if "actions" in failed["failed"]:
                self.stdout.write(f"    done:     {json.dumps(failed['actions_done'])}")
                self.stdout.write(f"    expected: {json.dumps(failed['actions_expected'])}")
            if failed["missing_say"]:
                self.stdout.write(f"    not said: {failed['missing_say']}")
