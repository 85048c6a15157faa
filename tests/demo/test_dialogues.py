"""The demo store's scripted dialogues (demo/dialogues.jsonl, shared/dialogues.md's format):
the late parcel, refunds the policy allows (carried out only once the scripted customer confirms
the proposal), refunds it refuses, cancellations confirmed or declined, order status for signed-in
and verifying visitors, help-center questions, and conversations that go to a person. Every case
must pass."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from llm.gateway import reset_gateway

pytestmark = pytest.mark.django_db(transaction=True)

DIALOGUES = Path(__file__).resolve().parents[2] / "demo" / "dialogues.jsonl"


def test_the_demo_dialogues_cover_each_kind_of_case() -> None:
    cases = [json.loads(line) for line in DIALOGUES.read_text().splitlines() if line.strip()]
    assert len(cases) >= 40 and len({c["id"] for c in cases}) == len(cases)
    assert {c["store"] for c in cases} == {"demo"}
    acted = {a["name"] for c in cases for a in c["expect"]["actions"]}
    assert acted == {"issue_refund", "cancel_pending_order"}
    assert any(c["visitor"]["signed_in"] is None for c in cases)
    assert any(len(c["turns"]) > 1 for c in cases)
    assert any(not c["expect"]["actions"] and not c["expect"]["handoff"] for c in cases)
    assert any(c["expect"]["handoff"] for c in cases)


def test_every_demo_dialogue_passes(demo_store: Any, settings: Any) -> None:
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": ""}  # the offline engine
    reset_gateway()
    out = StringIO()
    call_command("eval_dialogues", str(DIALOGUES), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["failed"] == [] and report["passed"] == report["cases"] >= 40, report
