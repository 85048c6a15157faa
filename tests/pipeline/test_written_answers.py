"""With a model endpoint the fast lane's answer is written by the model from the passages and
checked against them: a faithful answer is shown with the article's link; one stating a number
no passage does is replaced by the extract, which is what the offline engine answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache

from fakes.llm_server import running_fake_server
from fakes.responder import respond
from llm.gateway import Gateway
from pipeline.prompts import read_tagged
from pipeline.run import PipelineInput, run_pipeline
from pipeline.types import ReplyDone, StageTrace
from tests.llm.conftest import test_config

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Do gift cards expire?"
LINK = "/help/gift-cards/"


def answering(answer: str | None) -> Callable[[dict[str, Any]], str]:
    """The fake server's well-behaved model, except that it answers help-center questions with
    `answer` (None: the fake's own faithful answer)."""

    def responder(body: dict[str, Any]) -> str:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        tagged = read_tagged(user)
        if answer is not None and tagged and tagged[0] == "answer":
            return answer
        return respond(body)

    return responder


async def ask(base_url: str = "") -> ReplyDone:
    gateway = Gateway(test_config(base_url), cache=LocMemCache(f"written-{uuid.uuid4()}", {}))
    given = PipelineInput(
        text=QUESTION, conversation_id=str(uuid.uuid4()), customer_id=None, verified_in_chat=False
    )
    try:
        events = [event async for event in run_pipeline(given, gateway=gateway)]
    finally:
        await gateway.aclose()
    done = events[-1]
    assert isinstance(done, ReplyDone) and done.lane == "fast"
    return done


async def ask_model(answer: str | None) -> ReplyDone:
    async with running_fake_server(responder=answering(answer)) as server:
        return await ask(server.base_url)


def answer_stage(done: ReplyDone) -> StageTrace:
    return next(s for s in done.stages if s.stage == "answer")


async def test_without_an_endpoint_the_answer_is_the_extract(demo_store: object) -> None:
    done = await ask()
    assert LINK in done.text
    assert answer_stage(done).model == "rules"


async def test_a_faithful_written_answer_is_shown_with_the_articles_link(
    demo_store: object,
) -> None:
    done = await ask_model(None)
    stage = answer_stage(done)
    assert done.text.startswith("Here's what our help center says.")
    assert LINK in done.text
    assert not stage.offline and stage.detail.drift == ()
    assert stage.detail.fell_back_to_plan is False
    assert stage.detail.articles == ("gift-cards",)


async def test_a_written_answer_with_an_invented_number_is_replaced_by_the_extract(
    demo_store: object,
) -> None:
    extract = (await ask()).text
    done = await ask_model("Gift cards expire 24 months after they are sent.")
    stage = answer_stage(done)
    assert "24 months" not in done.text
    assert done.text == extract
    assert stage.detail.fell_back_to_plan is True
    assert any("number 24" in problem for problem in stage.detail.drift)


async def test_a_written_answer_naming_a_policy_no_passage_has_is_replaced(
    demo_store: object,
) -> None:
    extract = (await ask()).text
    done = await ask_model("Our lifetime balance guarantee keeps your card valid.")
    assert done.text == extract
    assert any("lifetime" in problem for problem in answer_stage(done).detail.drift)
