"""The classifier's figures on the project's own held-out messages (data/heldout.tsv).

Floors are the figures measured when the classifier was built (accuracy 0.926, macro-F1 0.926,
other-recall 0.95, ECE 0.045), less a margin, so a change that makes it worse on phrasing it
never trained on fails here. `manage.py eval_intents --heldout` prints the current figures."""

from __future__ import annotations

import pytest

from pipeline.evaluation import EvaluationReport, LabelledText, evaluate_sync
from pipeline.offline.intent_data import load_heldout
from pipeline.rules.router import LOW_CONFIDENCE


@pytest.fixture(scope="module")
def report() -> EvaluationReport:
    rows = [LabelledText(text, label) for text, label in load_heldout()]
    return evaluate_sync(rows)


def test_heldout_accuracy_and_macro_f1(report: EvaluationReport) -> None:
    assert report.total >= 200
    assert report.accuracy >= 0.88
    assert report.macro_f1 >= 0.88


def test_out_of_scope_messages_are_recognised(report: EvaluationReport) -> None:
    assert report.other_recall >= 0.85


def test_confidence_is_calibrated(report: EvaluationReport) -> None:
    assert report.ece <= 0.08


def test_the_router_threshold_is_the_one_the_heldout_set_suggests(report: EvaluationReport) -> None:
    assert report.suggested_threshold == pytest.approx(LOW_CONFIDENCE, abs=0.1)
