"""The empathy stage on a mocked model stream: an invented fact never reaches the customer; the
plain plan finishes the reply instead. Words stream before their sentence is whole only while the
sentence holds no fact."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from django.core.cache.backends.locmem import LocMemCache

from llm.gateway import Gateway, word_chunks
from llm.types import Completion, Delta, Done, Reset, StreamEvent, Usage
from pipeline.rules.plan import deterministic_plan, render_plan
from pipeline.rules.policy import compute_facts
from pipeline.rules.verifier import check_text, fact_sheet
from pipeline.stages.empathy import EmpathyStage
from tests.llm.conftest import test_config
from tests.pipeline.builders import INTENT, NOW, TODAY, flagship

URL = "http://models.test/v1"
FIRST = "I'm so sorry your telescope is stuck in Chicago, Sarah."
INVENTED = "As a thank-you, I've taken $5.00 off your order."
TRUE = "I've applied your VIP discount: $28.35 goes back to your card."


def sse_reply(text: str) -> bytes:
    def frame(delta: dict, finish: str | None = None) -> str:
        body = {"model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body)}\n\n"

    frames = [frame({"content": piece}) for piece in word_chunks(text)]
    frames.append(frame({}, "stop"))
    frames.append("data: [DONE]\n\n")
    return "".join(frames).encode()


def gateway_replying(text: str) -> Gateway:
    async def body() -> AsyncIterator[bytes]:
        yield sse_reply(text)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers={"content-type": "text/event-stream"})

    return Gateway(
        test_config(URL),
        transport=httpx.MockTransport(handler),
        cache=LocMemCache(f"empathy-{uuid.uuid4()}", {}),
    )


@pytest.fixture
def make_stage() -> Callable[[Gateway], EmpathyStage]:
    data = flagship()
    facts = compute_facts(data, now=NOW)
    plan = deterministic_plan(facts=facts, retrieved=data, intent=INTENT)
    sheet = fact_sheet(facts=facts, retrieved=data, plan=plan, customer_text="")

    def make(gateway: Gateway) -> EmpathyStage:
        return EmpathyStage(
            plan=plan,
            sheet=sheet,
            first_name="Sarah",
            today=TODAY,
            gateway=gateway,
            budget=None,
            customer_key="customer:7",
        )

    return make


async def run(stage: EmpathyStage) -> list[str]:
    try:
        return [piece async for piece in stage.stream()]
    finally:
        await stage.gateway.aclose()


async def test_an_invented_amount_never_reaches_the_customer(make_stage) -> None:
    stage = make_stage(gateway_replying(f"{FIRST} {INVENTED} Enjoy the stars!"))
    pieces = await run(stage)
    assert "".join(pieces) == stage.text
    assert stage.text.startswith(FIRST)
    assert "$5.00" not in stage.text and "Enjoy the stars" not in stage.text
    for step in stage.plan.steps:  # the plain plan completes the reply
        assert step.summary in stage.text
    assert stage.trace.detail.fell_back_to_plan is True
    assert any("$5.00" in problem for problem in stage.trace.detail.drift)


async def test_a_drifting_model_call_is_still_traced(make_stage) -> None:
    stage = make_stage(gateway_replying(f"{FIRST} {INVENTED} Enjoy the stars!"))
    await run(stage)
    assert stage.trace.detail.fell_back_to_plan is True
    assert stage.trace.model == "claude-sonnet-4.5" and not stage.trace.offline
    assert stage.trace.detail.calls


async def test_a_faithful_reply_is_released_as_written(make_stage) -> None:
    reply = f"{FIRST} {TRUE}"
    stage = make_stage(gateway_replying(reply))
    pieces = await run(stage)
    assert "".join(pieces) == stage.text == reply
    assert stage.trace.detail.drift == ()


async def test_an_invented_first_sentence_shows_its_fact_free_words_then_the_plain_plan(
    make_stage,
) -> None:
    stage = make_stage(gateway_replying(f"{INVENTED} {FIRST}"))
    pieces = await run(stage)
    assert "".join(pieces) == stage.text
    assert stage.text.startswith("As a thank-you, I've taken... To be precise: ")
    assert "$5.00" not in stage.text and FIRST not in stage.text
    for step in stage.plan.steps:
        assert step.summary in stage.text


async def test_words_stream_before_their_sentence_ends(make_stage) -> None:
    """The first piece is out after a word or two, not after the whole first sentence; the
    sentence with an amount comes out only whole, once checked."""
    stage = make_stage(gateway_replying(f"{FIRST} {TRUE}"))
    pieces = await run(stage)
    assert pieces[0] == "I'm"
    first_whole = next(i for i in range(len(pieces)) if "".join(pieces[: i + 1]) == FIRST)
    assert first_whole >= 5  # the first sentence came out in word-sized pieces
    amount_at = next(i for i, piece in enumerate(pieces) if "$" in piece)
    assert pieces[amount_at].endswith("$28.35 goes back to your card.")
    assert "".join(pieces) == f"{FIRST} {TRUE}"


async def test_a_sentence_echoing_the_prompt_is_stopped_before_the_echo_shows(make_stage) -> None:
    from pipeline import prompts

    echo = " ".join(prompts.EMPATHY_SYSTEM.split()[:12])
    stage = make_stage(gateway_replying(f"{FIRST} Sure: {echo} and so on."))
    await run(stage)
    assert echo not in stage.text
    assert " ".join(prompts.EMPATHY_SYSTEM.split()[:6]) not in stage.text
    assert stage.trace.detail.drift


async def test_offline_the_reply_is_the_plain_plan(make_stage) -> None:
    stage = make_stage(Gateway(test_config("")))
    pieces = await run(stage)
    assert "".join(pieces) == stage.text == render_plan(stage.plan, first_name="Sarah")
    assert stage.trace.offline


@pytest.mark.parametrize(
    "words",
    [
        "I've refunded the shipping fee and applied your discount",
        "Your parcel arrives tomorrow, on Monday the fifth of May",
        "We have credited your card for order ORD- as promised",
    ],
)
def test_the_verifier_checks_nothing_in_digit_free_words_but_prompt_echoes(
    make_stage, words: str
) -> None:
    """The early release rests on this: if the verifier ever checks a fact written without a
    digit, `$` or `%`, EmpathyStage._release must hold such words back too."""
    stage = make_stage(Gateway(test_config("")))
    assert check_text(words, stage.sheet, today=TODAY).ok


class RetryingGateway:
    """A stream broken after `first`, then a retry (a Reset) that says `again`."""

    def __init__(self, first: str, again: str) -> None:
        self.first, self.again = first, again

    async def stream(self, request, *, offline, budget=None) -> AsyncIterator[StreamEvent]:
        for piece in word_chunks(self.first):
            yield Delta(piece)
        yield Reset("stream cut")
        for piece in word_chunks(self.again):
            yield Delta(piece)
        usage = Usage(prompt_tokens=10, completion_tokens=20)
        yield Done(
            Completion(
                self.again, "claude-sonnet-4.5", "stop", usage, 0.0, 1.0, 1.0, (), False, False
            )
        )

    async def aclose(self) -> None:
        return None


async def test_a_retry_that_repeats_the_words_out_goes_on_from_where_the_stream_broke(
    make_stage,
) -> None:
    reply = f"{FIRST} {TRUE}"
    stage = make_stage(RetryingGateway(reply[:40], reply))
    pieces = await run(stage)
    assert "".join(pieces) == stage.text == reply
    assert not stage.trace.detail.fell_back_to_plan


async def test_a_retry_that_says_something_else_leaves_the_rest_to_the_plain_plan(
    make_stage,
) -> None:
    stage = make_stage(RetryingGateway(FIRST[:20], f"Hello Sarah, {TRUE}"))
    pieces = await run(stage)
    assert "".join(pieces) == stage.text
    assert stage.text.startswith(FIRST[:20].rsplit(" ", 1)[0]) and "To be precise: " in stage.text
    assert "Hello Sarah" not in stage.text
    assert stage.trace.detail.fell_back_to_plan
