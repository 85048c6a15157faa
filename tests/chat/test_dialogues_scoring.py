"""eval_dialogues' reading and scoring rules, as ../shared/dialogues.md states them: strings
trimmed and case-insensitive, exchanged items compared as (old, new) pairs, returned items as a
multiset, and `say` read without `$` and `,`."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chat.dialogues import Case, CaseInvalid, cases_read, normalised_action, said


def _key(name: str, **args: object) -> str:
    return normalised_action({"name": name, "args": args})


def test_strings_compare_trimmed_and_case_insensitive():
    assert _key("cancel_pending_order", order_id=" #w123 ", reason="No Longer Needed") == _key(
        "cancel_pending_order", order_id="#W123", reason="no longer needed"
    )
    assert _key("cancel_pending_order", order_id="#W123", reason="ordered by mistake") != _key(
        "cancel_pending_order", order_id="#W123", reason="no longer needed"
    )


def test_exchanged_items_compare_as_pairs_in_any_order():
    one = _key("exchange", order_id="#W1", item_ids=["a", "b"], new_item_ids=["x", "y"])
    same_pairs = _key("exchange", order_id="#W1", item_ids=["b", "a"], new_item_ids=["y", "x"])
    crossed = _key("exchange", order_id="#W1", item_ids=["a", "b"], new_item_ids=["y", "x"])
    assert one == same_pairs
    assert one != crossed


def test_returned_items_compare_as_a_multiset():
    twice = _key("return", order_id="#W1", item_ids=["a", "a", "b"])
    assert twice == _key("return", order_id="#W1", item_ids=["b", "a", "a"])
    assert twice != _key("return", order_id="#W1", item_ids=["a", "b"])
    assert Counter([twice, twice]) != Counter([twice])


def test_say_ignores_dollar_signs_commas_and_case():
    assert said("1,093.34", ["You get $1093.34 back."])
    assert said("Polyester", ["It is polyester."])
    assert not said("44.08", ["Your balance is $44.80."])


def test_cases_are_read_and_bad_lines_are_named(tmp_path):
    good = {
        "id": "c1",
        "store": "demo",
        "visitor": {"signed_in": None},
        "turns": ["hello"],
        "expect": {"actions": [], "say": ["hi"], "handoff": False},
        "now": "2026-01-05T10:00:00",
    }
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(good) + "\n\n")
    [case] = cases_read(path)
    assert case == Case(
        id="c1",
        store="demo",
        signed_in=None,
        turns=("hello",),
        actions=(),
        say=("hi",),
        handoff=False,
        now=case.now,
    )
    assert case.now is not None and case.now.tzinfo is not None

    path.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(CaseInvalid, match="line 2"):
        cases_read(path)
    path.write_text(json.dumps({"id": "c2", "store": "demo"}) + "\n")
    with pytest.raises(CaseInvalid, match="c2"):
        cases_read(path)


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_store_and_a_missing_file(tmp_path):
    path = tmp_path / "cases.jsonl"
    case = {"id": "c", "store": "nowhere", "turns": ["hi"], "expect": {}}
    path.write_text(json.dumps(case) + "\n")
    with pytest.raises(CommandError, match="unknown store 'nowhere'"):
        call_command("eval_dialogues", str(path))
    with pytest.raises(CommandError):
        call_command("eval_dialogues", str(tmp_path / "missing.jsonl"))


@pytest.mark.django_db
def test_a_replayed_case_is_scored_and_leaves_nothing_behind(demo_store, tmp_path):
    from conversations.models import Conversation

    cases = [
        {
            "id": "asks-for-a-person",
            "store": "demo",
            "visitor": {"signed_in": None},
            "turns": ["I would like to speak with a human agent please"],
            "expect": {"actions": [], "say": [], "handoff": True},
        },
        {
            "id": "expects-what-never-happens",
            "store": "demo",
            "visitor": {"signed_in": None},
            "turns": ["I would like to speak with a human agent please"],
            "expect": {
                "actions": [{"name": "cancel_pending_order", "args": {"order_id": "ORD-1"}}],
                "say": ["a sentence nobody writes"],
                "handoff": False,
            },
        },
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases))
    before = Conversation.objects.count()
    out = StringIO()
    call_command("eval_dialogues", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["cases"], report["passed"]) == (2, 1)
    [failed] = report["failed"]
    assert failed["id"] == "expects-what-never-happens"
    assert failed["failed"] == ["actions", "say", "handoff"]
    assert failed["missing_say"] == ["a sentence nobody writes"]
    assert Conversation.objects.count() == before
