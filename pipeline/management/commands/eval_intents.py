"""``manage.py eval_intents CSV --text-col C --label-col C [--map CSV] [--limit N] [--json]``,
or ``manage.py eval_intents --heldout [--json]`` for the project's own held-out messages."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pipeline.evaluation import (
    EvaluationReport,
    LabelledText,
    LoadedRows,
    evaluate_with_stage,
    load_label_map,
    load_rows,
)
from pipeline.offline.intent_data import load_heldout


class Command(BaseCommand):
    help = "Measure the intent stage on a labelled CSV: accuracy, macro-F1, latency, cost."
    requires_system_checks: list[str] = []  # reads a CSV and calls the intent stage; no database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", type=Path, nargs="?")
        parser.add_argument(
            "--heldout", action="store_true", help="score pipeline/offline/data/heldout.tsv"
        )
        parser.add_argument("--text-col")
        parser.add_argument("--label-col")
        parser.add_argument("--map", type=Path, default=None, help="CSV: source label,intent")
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        loaded = _heldout(options["limit"]) if options["heldout"] else _from_csv(options)
        if not loaded.rows:
            raise CommandError("no rows with a known intent label; check --label-col and --map")
        report = asyncio.run(evaluate_with_stage(loaded.rows, skipped=loaded.skipped))
        if options["as_json"]:
            self.stdout.write(json.dumps(asdict(report), indent=None))
        else:
            self.stdout.write(render_table(report))


def _heldout(limit: int | None) -> LoadedRows:
    rows = tuple(LabelledText(text, label) for text, label in load_heldout())
    return LoadedRows(rows=rows[:limit], skipped=())


def _from_csv(options: dict[str, object]) -> LoadedRows:
    path, map_path = options["csv"], options["map"]
    if path is None or not (options["text_col"] and options["label_col"]):
        raise CommandError("give a CSV with --text-col and --label-col, or --heldout")
    for required in (p for p in (path, map_path) if p is not None):
        if not required.is_file():
            raise CommandError(f"no such file: {required}")
    return load_rows(
        path,
        text_col=options["text_col"],
        label_col=options["label_col"],
        label_map=load_label_map(map_path) if map_path else None,
        limit=options["limit"],
    )


def render_table(report: EvaluationReport) -> str:
    lines = [
        f"rows {report.total}   accuracy {report.accuracy:.4f}   macro-F1 {report.macro_f1:.4f}"
        f" (all predicted intents: {report.macro_f1_all:.4f})",
        f"other recall {report.other_recall:.4f}   ECE {report.ece:.4f}"
        f"   suggested low-confidence threshold {report.suggested_threshold:.2f}",
        f"latency per message p50 {report.latency_p50_ms:.3f} ms   p95 {report.latency_p95_ms:.3f} ms",
        f"tokens in {report.input_tokens} out {report.output_tokens}   cost ${report.cost_usd:.4f}",
        "",
        f"{'intent':<22}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}{'predicted':>11}",
    ]
    lines += [
        f"{s.intent:<22}{s.precision:>10.3f}{s.recall:>9.3f}{s.f1:>8.3f}{s.support:>9}{s.predicted:>11}"
        for s in report.per_intent
    ]
    if report.confusions:
        lines += ["", "most frequent confusions (gold -> predicted):"]
        lines += [f"  {g} -> {p}: {n}" for g, p, n in report.confusions]
    if report.skipped:
        lines += ["", "skipped rows (label not in the taxonomy or map):"]
        lines += [f"  {label or '<empty>'}: {n}" for label, n in report.skipped]
    return "\n".join(lines)
