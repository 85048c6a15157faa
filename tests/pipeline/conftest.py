"""Fixtures for the pipeline scenarios: the offline engine, a chat helper that runs one customer
message through respond_to_message, and an independent reading of the facts in a reply."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache

from chat.reply import respond_to_message
from conversations.models import Conversation, Message, Proposal
from conversations.proposals import proposal_open_get
from conversations.services import conversation_create, message_create
from llm.gateway import reset_gateway
from orders.models import Customer, Order, Refund
from pipeline.models import PipelineTrace

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)")
_ORDER_ID = re.compile(r"\bORD-?\d+\b", re.IGNORECASE)
_DATE = re.compile(
    r"(?:\b(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?"
    r"\b(?P<month>" + "|".join(MONTHS) + r")\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)


@pytest.fixture(autouse=True)
def offline_engine(settings: Any) -> None:
    """Every scenario runs on the offline engine unless a test points LLM at a fake server."""
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": ""}
    reset_gateway()
    cache.clear()


@dataclass(frozen=True, repr=False)
class Answer:
    text: str
    frames: tuple[dict[str, Any], ...]
    trace: PipelineTrace
    conversation: Conversation

    def __repr__(self) -> str:
        return f"Answer(lane={self.trace.lane!r}, intent={self.trace.intent!r}, text={self.text!r})"

    @property
    def facts(self) -> dict[str, Any]:
        return self.trace.facts

    @property
    def intents(self) -> set[str]:
        return {self.trace.intent, *self.trace.secondary_intents}

    @property
    def step_kinds(self) -> list[str]:
        return [step["kind"] for step in self.trace.plan.get("steps", [])]

    @property
    def handoff_frames(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == "handoff"]


def _new_conversation(email: str | None) -> Conversation:
    customer = Customer.objects.get(email=email) if email else None
    conversation, _ = conversation_create(customer=customer)
    return conversation


def _say(conversation_id: uuid.UUID, text: str) -> str:
    write = message_create(
        conversation_id=conversation_id, sender="customer", text=text, client_id=uuid.uuid4()
    )
    return str(write.message.pk)


def _answer(message_id: str, frames: list[dict[str, Any]]) -> Answer:
    message = Message.objects.select_related("conversation").get(pk=message_id)
    trace = PipelineTrace.objects.get(message=message)
    reply = Message.objects.get(reply_to=message, sender=Message.Sender.BOT)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    return Answer(reply.text, tuple(frames), trace, conversation)


class Chat:
    """One conversation in the widget, driven through respond_to_message."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    async def say(self, text: str) -> Answer:
        message_id = await sync_to_async(_say)(self.conversation.pk, text)
        frames: list[dict[str, Any]] = []

        async def publish(frame: dict[str, Any]) -> None:
            frames.append(frame)

        await respond_to_message(message_id=message_id, publish=publish)
        answer = await sync_to_async(_answer)(message_id, frames)
        self.conversation = answer.conversation
        return answer


@pytest.fixture
def start_chat(demo_store: Any) -> Callable[..., Awaitable[Chat]]:
    """start_chat("sarah.mitchell@example.com") signs in; start_chat() is an anonymous visitor."""

    async def start(email: str | None = None) -> Chat:
        return Chat(await sync_to_async(_new_conversation)(email))

    return start


# -- reading a reply's facts independently of the pipeline --


@dataclass(frozen=True)
class StatedFacts:
    amounts: frozenset[Decimal]
    dates: frozenset[dt.date]
    order_ids: frozenset[str]
    wrong_weekdays: tuple[str, ...]


def stated_facts(text: str, *, today: dt.date) -> StatedFacts:
    """Every $ amount, month-and-day date and ORD- id a reply states. A date without a year takes
    the year nearest today; a weekday written next to a date must be that date's weekday."""
    amounts = frozenset(Decimal(raw.replace(",", "")) for raw in _MONEY.findall(text))
    dates, wrong = set(), []
    for match in _DATE.finditer(text):
        day = _nearest(MONTHS.index(match["month"].lower()) + 1, int(match["day"]), today)
        dates.add(day)
        weekday = match["weekday"]
        if weekday and weekday.lower() != f"{day:%A}".lower():
            wrong.append(match.group(0))
    order_ids = frozenset(
        m.upper().replace("ORD", "ORD-").replace("--", "-") for m in _ORDER_ID.findall(text)
    )
    return StatedFacts(amounts, frozenset(dates), order_ids, tuple(wrong))


def _nearest(month: int, day: int, today: dt.date) -> dt.date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda c: abs((c - today).days))


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def day(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value)[:10])


# -- picking seeded orders by what they are, not by number --


def order_numbers_of_others(email: str) -> list[str]:
    return list(
        Order.objects.exclude(customer__email=email)
        .order_by("number")
        .values_list("number", flat=True)
    )


def bot_refunds(number: str) -> list[Refund]:
    return list(Refund.objects.filter(order__number=number, decided_by="bot").order_by("id"))


def open_proposal(conversation_id: uuid.UUID) -> Proposal | None:
    """What the bot asked the customer to confirm, still waiting (conversations.proposals)."""
    return proposal_open_get(conversation_id=conversation_id)
