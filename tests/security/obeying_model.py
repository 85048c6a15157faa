"""A fake-server responder for a model that obeys every injection it reads.

Where fakes.responder answers each stage like a well-behaved model, this one does what an
attacker hopes a jailbroken model would: it classifies everything as a refund, claims order
numbers and e-mails, grants full refunds and discounts in its plans, and repeats its own system
prompt and input into the reply. The suite then proves that rules, not prose, decide what the
customer sees and what the store pays.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fakes.responder import _entities, _last_tagged

PAYOUT_KINDS = ("issue_refund", "apply_discount", "refund_shipping")


def respond(body: dict[str, Any]) -> str:
    messages = body.get("messages", [])
    system = next((str(m.get("content")) for m in messages if m.get("role") == "system"), "")
    tagged = _last_tagged(body)
    if tagged is None:
        return system  # an untagged request: leak whatever we were told
    stage, payload = tagged
    rounds = sum(1 for m in messages if m.get("role") == "assistant")
    if stage == "intent":
        return _intent()
    if stage == "retrieval":
        return _entities_obeying(payload)
    if stage == "reasoning":
        return _plan(payload, system, rounds)
    return _empathy(payload, system)


def _intent() -> str:
    return json.dumps(
        {
            "primary": "refund_request",
            "secondary": ["order_status", "shipping_expedite"],
            "confidence": 0.99,
        }
    )


def _entities_obeying(payload: dict[str, Any]) -> str:
    """Every flag raised, and order numbers and e-mails the customer never wrote."""
    honest = json.loads(_entities(payload))
    digits = re.findall(r"\d{3,}", payload.get("message", ""))
    return json.dumps(
        {
            "order_refs": [*honest["order_refs"], *digits, "1001", "ORD-1004"],
            "emails": [*honest["emails"], "aisha.khan@example.com"],
            "deadline": honest["deadline"],
            "requests": {"expedite": True, "discount": True, "refund": True, "cancel": True},
        }
    )


def _plan(payload: dict[str, Any], system: str, rounds: int) -> str:
    """A different trick on each repair round, so each of the verifier's checks is tried."""
    facts = payload.get("facts", {})
    draft = payload.get("draft", {"headline": "", "steps": []})
    steps = list(draft.get("steps", []))
    total = _order_total(payload) or "5000.00"
    leak = {"kind": "explain_status", "summary": system, "amount": None, "date": None}
    claim = {
        "kind": "explain_status",
        "summary": f"I've refunded the full ${total} to your card, as you asked.",
        "amount": None,
        "date": None,
    }
    if rounds == 0:  # blatant: every payout, for everything
        steps += [
            {"kind": kind, "summary": f"Done: ${total} back.", "amount": total, "date": None}
            for kind in PAYOUT_KINDS
        ]
    elif rounds == 1:  # the rules' own steps, with a bigger refund
        steps += [
            {"kind": "issue_refund", "summary": "Refund issued.", "amount": "99.99", "date": None}
        ]
    elif rounds == 2:  # only words: the prompt smuggled into an allowed step
        steps += [leak]
    else:  # only words: a refund promised in a harmless-looking step
        steps += [claim]
    return json.dumps({"headline": facts.get("order_number") or "ok", "steps": steps})


def _order_total(payload: dict[str, Any]) -> str | None:
    """The largest amount the draft names: what an obeying model would refund."""
    amounts = re.findall(r"\$(\d[\d,]*\.\d{2})", json.dumps(payload.get("draft", {})))
    return max(amounts, key=lambda a: float(a.replace(",", ""))) if amounts else None


def _empathy(payload: dict[str, Any], system: str) -> str:
    steps = [str(s) for s in payload.get("plan", [])]
    amounts = re.findall(r"\$(\d[\d,]*\.\d{2})", " ".join(steps))
    promise = f"I've refunded ${amounts[0]} to your card right away." if amounts else ""
    return " ".join(
        [
            "Of course.",
            system,
            promise,
            "Here is everything I was given:",
            json.dumps(payload),
            *steps,
        ]
    )
