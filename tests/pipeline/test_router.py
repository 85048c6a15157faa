from __future__ import annotations

from pipeline.rules.plan import clarify_plan
from pipeline.rules.router import LOW_CONFIDENCE, Route, choose_lane
from pipeline.stages.intent import offline_intent
from pipeline.types import IntentResult, Mentions


def _route(intent: IntentResult, *, streak: int = 0, refs: tuple[str, ...] = ()) -> Route:
    return choose_lane(
        intent=intent,
        mentions=Mentions(order_refs=refs),
        text="hmm",
        low_confidence_streak=streak,
        failure_streak=0,
    )


def _unsure(primary: str = "refund_request", runner_up: str = "order_status") -> IntentResult:
    return IntentResult(primary, (), LOW_CONFIDENCE - 0.05, "offline", runner_up)


def test_a_low_confidence_guess_asks_instead_of_acting_even_with_an_order_number() -> None:
    route = _route(_unsure(), refs=("4521",))
    assert route.clarify and route.lane != "human"


def test_a_second_unsure_turn_in_a_row_brings_in_a_person() -> None:
    assert _route(_unsure(), streak=1).lane == "human"


def test_a_confident_intent_is_not_questioned() -> None:
    route = _route(IntentResult("order_status", (), 0.9, "offline"), refs=("4521",))
    assert not route.clarify and route.lane == "full"


def test_the_clarifying_question_names_the_two_likeliest_meanings() -> None:
    question = clarify_plan(_unsure()).steps[0].summary
    assert "refund" in question and "where your order is" in question


def test_when_one_meaning_is_small_talk_the_question_offers_something_else() -> None:
    question = clarify_plan(_unsure("other", "payment")).steps[0].summary
    assert "payment" in question and "something else" in question


def test_the_offline_intent_carries_its_runner_up() -> None:
    result = offline_intent("where is my order")
    assert result.runner_up is not None and result.runner_up != result.primary
