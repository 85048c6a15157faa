"""The flagship message run through the real pipeline (offline engine), for the privacy and
golden-case tests: a trace with real facts, a plan, a reply and the bot's refunds (the customer
confirms the refund the reply proposed, as the widget's Confirm button would)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.utils import timezone

from chat.decisions import decision_apply
from chat.reply import respond_to_message
from conversations.proposals import proposal_open_get
from conversations.services import conversation_create, message_create
from llm.gateway import reset_gateway
from orders.demo import FLAGSHIP_EMAIL, flagship_message
from orders.models import Customer
from pipeline.models import PipelineTrace


@pytest.fixture
def offline_engine(settings: Any) -> None:
    settings.LLM = {**settings.LLM, "BASE_URL": "", "API_KEY": ""}
    reset_gateway()
    cache.clear()


def run_turn(text: str | None = None, *, email: str | None = FLAGSHIP_EMAIL) -> PipelineTrace:
    """One customer message through respond_to_message. async_to_sync sends the pipeline's ORM
    calls back to this thread, so they run inside the test's transaction."""
    customer = Customer.objects.get(email=email) if email else None
    conversation, _ = conversation_create(customer=customer)
    write = message_create(
        conversation_id=conversation.pk,
        sender="customer",
        text=text or flagship_message(timezone.now()),
        client_id=uuid.uuid4(),
    )

    async def publish(frame: dict[str, Any]) -> None:
        return None

    async_to_sync(respond_to_message)(message_id=str(write.message.pk), publish=publish)
    proposal = proposal_open_get(conversation_id=conversation.pk)
    if proposal is not None:
        decision_apply(conversation_id=conversation.pk, proposal_id=str(proposal.pk), accept=True)
    return PipelineTrace.objects.select_related("reply", "message").get(message=write.message)
