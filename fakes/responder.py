"""The fake server's stand-in for real models: answers each stage's tagged prompt the way a good
model would, so the whole pipeline runs through HTTP deterministically (tests, benchmarks, demos).

Untagged requests fall back to the echo responder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pipeline.offline.entities import extract_entities
from pipeline.offline.intent import classify
from pipeline.prompts import read_tagged
from pipeline.rules.phrases import fmt_date, fmt_money

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
        "answer": _answer,
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


def _answer(payload: dict[str, Any]) -> str:
    """A faithful model: each passage's first two sentences, after a friendly lead-in."""
    said = []
    for passage in payload.get("passages", []):
        sentences = re.split(r"(?<=[.!?])\s+", passage["text"].strip())
        said.append(" ".join(sentences[:2]))
    return " ".join(["Here's what our help center says.", *said])


_AMOUNT = re.compile(r"\$(\d[\d,]*\.\d{2})")
_DAY = re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, ([A-Z][a-z]+) (\d{1,2})\b")
_MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]  # as fmt_date writes them


def localized_responder(*, shift_days: int = 0) -> Callable[[dict[str, Any]], str]:
    """`respond`, with the empathy stage answering in the language it is given, as a model would:
    every amount and date of the plan written that language's way (one sentence per step). With
    `shift_days`, each date is moved by that many days: a model that got a fact wrong."""

    def responder(body: dict[str, Any]) -> str:
        tagged = _last_tagged(body)
        if tagged is None or tagged[0] != "empathy" or tagged[1].get("language", "en") == "en":
            return respond(body)
        return _localized_empathy(tagged[1], shift_days)

    return responder


def _localized_empathy(payload: dict[str, Any], shift_days: int) -> str:
    language = payload["language"]
    opener, facts_line, closer = _LOCALIZED[language]
    sentences = [opener.format(name=payload.get("first_name") or "")]
    for step in payload.get("plan", []):
        stated = [fmt_money(Decimal(a.replace(",", "")), language) for a in _AMOUNT.findall(step)]
        stated += [
            fmt_date(_day(m, d) + dt.timedelta(days=shift_days), language)
            for m, d in _DAY.findall(step)
        ]
        if stated:
            sentences.append(facts_line.format(facts=", ".join(stated)))
    return " ".join([*sentences, closer])


def _day(month: str, day: str) -> dt.date:
    today = dt.date.today()
    candidates = [dt.date(today.year + k, _MONTHS.index(month) + 1, int(day)) for k in (-1, 0, 1)]
    return min(candidates, key=lambda c: abs((c - today).days))


_LOCALIZED = {
    "es": (
        "Siento mucho las molestias, {name}.",
        "Te confirmo estos datos: {facts}.",
        "¿Puedo ayudarte en algo más?",
    ),
    "fr": (
        "Je suis vraiment désolé, {name}.",
        "Je vous confirme ces éléments : {facts}.",
        "Puis-je faire autre chose pour vous ?",
    ),
    "de": (
        "Das tut mir sehr leid, {name}.",
        "Ich bestätige Ihnen: {facts}.",
        "Kann ich sonst noch etwas für Sie tun?",
    ),
}
