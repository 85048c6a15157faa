"""A terminal chat through the same pipeline as the widget."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.reply import respond_to_message
from conversations.models import Conversation
from conversations.proposals import proposal_open_get
from conversations.services import conversation_create, message_create
from llm.gateway import get_gateway
from orders.selectors import customer_get_by_email
from pipeline.models import PipelineTrace


class Command(BaseCommand):
    help = "Chat with the bot in the terminal (same pipeline as the widget)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", metavar="EMAIL", help="chat as this customer (signed in)")
        parser.add_argument("--once", metavar="TEXT", help="answer one message and exit")
        parser.add_argument(
            "--json", action="store_true", help="print the reply with its trace as JSON"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customer = None
        if options["customer"]:
            customer = customer_get_by_email(email=options["customer"])
            if customer is None:
                raise CommandError(
                    f"No customer with e-mail {options['customer']!r} (run seed_demo?)."
                )
        conversation, _ = conversation_create(customer=customer)
        asyncio.run(self._session(conversation, options))

    async def _session(self, conversation: Conversation, options: dict[str, Any]) -> None:
        try:
            if options["once"] is not None:
                await self._turn(conversation, options["once"], as_json=options["json"])
                return
            self.stdout.write("Type a message (Ctrl-D to quit).")
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    return
                if line.strip():
                    await self._turn(conversation, line.strip(), as_json=options["json"])
        finally:
            await get_gateway().aclose()

    async def _turn(self, conversation: Conversation, text: str, *, as_json: bool) -> None:
        write = await sync_to_async(message_create)(
            conversation_id=conversation.pk, sender="customer", text=text, client_id=uuid.uuid4()
        )
        frames: list[dict[str, Any]] = []

        async def publish(frame: dict[str, Any]) -> None:
            frames.append(frame)
            if as_json:
                return
            if frame["type"] == "status":
                self.stderr.write(f"  ... {frame['text']}")
            elif frame["type"] == "handoff":
                self.stdout.write(
                    f"  [handed to a human: {frame['state']}, position {frame['position']}]"
                )

        await respond_to_message(message_id=str(write.message.pk), publish=publish)
        reply = next(f for f in frames if f["type"] == "message")
        # The widget shows it as a card; here it waits for a typed yes or no.
        waiting = await sync_to_async(proposal_open_get)(conversation_id=conversation.pk)
        proposal = waiting.frame() if waiting is not None else None
        if as_json:
            trace = await sync_to_async(_trace_json)(write.message.pk)
            self.stdout.write(
                json.dumps(
                    {
                        "reply": reply["text"],
                        "message": reply,
                        "frames": frames,
                        "proposal": proposal,
                        **trace,
                    },
                    indent=2,
                    default=str,
                )
            )
        else:
            self.stdout.write(f"bot> {reply['text']}")
            if proposal is not None:
                self.stdout.write(f"  [to confirm: {proposal['summary']} Reply yes or no.]")


def _trace_json(message_id: uuid.UUID) -> dict[str, Any]:
    trace = PipelineTrace.objects.prefetch_related("calls").get(message_id=message_id)
    return {
        "intent": {
            "primary": trace.intent,
            "secondary": trace.secondary_intents,
            "confidence": trace.confidence,
        },
        "lane": trace.lane,
        "outcome": trace.outcome,
        "handoff_reason": trace.handoff_reason or None,
        "degraded": trace.degraded,
        "latency_ms": round(trace.latency_ms, 2),
        "tokens": {
            "prompt": trace.prompt_tokens,
            "completion": trace.completion_tokens,
            "reasoning": trace.reasoning_tokens,
        },
        "cost_usd": float(trace.cost_usd),
        "retries": trace.retries,
        "repairs": trace.repairs,
        "verifier_rejections": trace.verifier_rejections,
        "stages": trace.stages,
        "calls": [
            {
                "stage": c.stage,
                "model": c.model,
                "attempt": c.attempt,
                "outcome": c.outcome,
                "latency_ms": round(c.latency_ms, 2),
                "tokens": c.prompt_tokens + c.completion_tokens,
                "cost_usd": float(c.cost_usd),
            }
            for c in trace.calls.all()
        ],
        "facts": trace.facts,
        "plan": trace.plan,
    }
