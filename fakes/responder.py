"""The fake server's stand-in for real models: answers each stage's tagged prompt the way a good
model would, so the whole pipeline runs through HTTP deterministically (tests, benchmarks, demos).

Untagged requests fall back to the echo responder.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pipeline.offline.entities import extract_entities
from pipeline.offline.intent import classify
from pipeline.prompts import read_tagged

OPENERS = {
    True: "I'm so sorry about the worry this has caused, and thank you for your patience.",
    False: "Thanks for getting in touch, I'm happy to help.",
}


def echo_responder(body: dict[str, Any]) -> str:
    """Deterministic and request-dependent: the model's name and the last user message."""
    model = body.get("model", "")
    last_user = next(
        (
            str(m.get("content", ""))
            for m in reversed(body.get("messages", []))
            if m.get("role") == "user"
        ),
        "",
    )
    fmt = body.get("response_format") or {}
    if fmt.get("type") in {"json_object", "json_schema"}:
        return json.dumps({"model": model, "echo": last_user}, sort_keys=True)
    return f"[{model}] You said: {last_user}"


def respond(body: dict[str, Any]) -> str:
    tagged = _last_tagged(body)
    if tagged is None:
        return echo_responder(body)
    stage, payload = tagged
    handler = {
        "intent": _intent,
        "retrieval": _entities,
        "reasoning": _plan,
        "empathy": _empathy,
    }.get(stage)
    return handler(payload) if handler else echo_responder(body)


def _last_tagged(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for message in body.get("messages", []):
        if message.get("role") == "user":
            found = read_tagged(str(message.get("content", "")))
            if found:
                return found
    return None


def _intent(payload: dict[str, Any]) -> str:
    prediction = classify(payload["message"])
    return json.dumps(
        {
            "primary": prediction.primary,
            "secondary": list(prediction.secondary),
            "confidence": round(prediction.confidence, 3),
        }
    )


def _entities(payload: dict[str, Any]) -> str:
    today = dt.date.fromisoformat(payload["today"])
    found = extract_entities(payload["message"], today=today)
    deadlines = [d.value for d in found.dates if d.role == "deadline"]
    return json.dumps(
        {
            "order_refs": [ref.number for ref in found.order_refs],
            "emails": list(found.emails),
            "deadline": min(deadlines).isoformat() if deadlines else None,
            "requests": {
                "expedite": found.wants_expedite,
                "discount": found.wants_discount,
                "refund": found.wants_refund,
                "cancel": found.wants_cancel,
            },
        }
    )


def _plan(payload: dict[str, Any]) -> str:
    return json.dumps(payload["draft"])


def _empathy(payload: dict[str, Any]) -> str:
    steps = payload.get("plan", [])
    troubled = any(
        word in " ".join(steps).lower() for word in ("can't", "missed", "may not", "sorry")
    )
    name = payload.get("first_name")
    opener = (f"Hi {name}! " if name else "") + OPENERS[troubled]
    return " ".join([opener, *steps, "Is there anything else I can do for you?"])
