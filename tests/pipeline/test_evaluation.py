from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pipeline.evaluation import (
    ClassifiedText,
    LabelledText,
    evaluate,
    evaluate_sync,
    load_label_map,
    load_rows,
    per_intent_scores,
    percentile,
)

FIXTURES = Path(__file__).parent / "fixtures"
CSV = FIXTURES / "intents_small.csv"
MAP = FIXTURES / "intent_map_small.csv"


def _run(*args: str) -> str:
    out = StringIO()
    call_command(
        "eval_intents", str(CSV), "--text-col", "text", "--label-col", "label", *args, stdout=out
    )
    return out.getvalue()


def test_rows_with_unmapped_labels_are_skipped_and_counted() -> None:
    loaded = load_rows(CSV, text_col="text", label_col="label", label_map=load_label_map(MAP))
    assert len(loaded.rows) == 9
    assert loaded.skipped == (("unknown_label", 1),)
    assert LabelledText("hello there", "other") in loaded.rows


def test_json_report_scores_the_offline_classifier() -> None:
    report = json.loads(_run("--map", str(MAP), "--json"))
    assert report["total"] == 9
    assert report["accuracy"] >= 8 / 9
    assert 0.0 < report["macro_f1"] <= 1.0
    assert report["input_tokens"] == report["output_tokens"] == 0
    assert report["cost_usd"] == 0.0
    assert report["latency_p95_ms"] >= report["latency_p50_ms"] > 0
    assert report["skipped"] == [["unknown_label", 1]]
    assert {row["intent"] for row in report["per_intent"]} >= {"order_status", "other"}


def test_table_output_and_limit() -> None:
    table = _run("--map", str(MAP), "--limit", "3")
    assert "rows 3" in table
    assert "accuracy" in table and "p95" in table
    assert "order_status" in table


def test_labels_outside_the_taxonomy_without_a_map_is_an_error() -> None:
    with pytest.raises(CommandError, match="no rows"):
        _run()


def test_metrics_and_confusions_from_a_fixed_classifier() -> None:
    answers = {"a": "order_status", "b": "order_status", "c": "refund_request"}
    rows = [
        LabelledText("a", "order_status"),
        LabelledText("b", "refund_request"),
        LabelledText("c", "refund_request"),
    ]

    def fixed(text: str) -> ClassifiedText:
        return ClassifiedText(intent=answers[text], input_tokens=10, output_tokens=2, cost_usd=0.01)

    report = evaluate_sync(rows, fixed)
    assert report.accuracy == pytest.approx(2 / 3)
    scores = {s.intent: s for s in report.per_intent}
    assert scores["order_status"].precision == pytest.approx(0.5)
    assert scores["refund_request"].recall == pytest.approx(0.5)
    assert report.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert report.confusions == (("refund_request", "order_status", 1),)
    assert (report.input_tokens, report.output_tokens) == (30, 6)
    assert report.cost_usd == pytest.approx(0.03)


async def test_async_classifiers_are_awaited() -> None:
    async def stage(text: str) -> ClassifiedText:
        return ClassifiedText(intent="other")

    report = await evaluate([LabelledText("hi", "other")], stage)
    assert report.accuracy == 1.0


def test_predicted_only_intents_lower_the_all_labels_macro_f1() -> None:
    scores = per_intent_scores(["order_status", "order_status"], ["order_status", "other"])
    assert [s.intent for s in scores] == ["order_status", "other"]
    assert scores[1].support == 0 and scores[1].f1 == 0.0


def test_percentile_uses_nearest_rank() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
