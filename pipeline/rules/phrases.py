"""The offline engine's fixed sentences, per language, keyed by phrase id.

The rules build each plan step from a phrase id and its facts (``ActionItem.phrase`` and
``args``), never from finished text, so one function puts the same dates, amounts and order ids
into every language: a translation can word a sentence its own way but cannot change a fact.
English is the step's own ``summary``; Spanish, French and German have their own sentences for
the common flows. A plan with a step some language lacks (a policy reason only written in
English, a help-centre article) is answered in English, honestly: the reply says so and offers a
person. So is every other language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pipeline.rules.phrase_tables import PHRASES, TERMS

# The languages with their own sentences; every other one is answered in English.
TRANSLATED = frozenset({"en", "es", "fr", "de"})


@dataclass(frozen=True)
class Said:
    """A phrase inside another one, e.g. a price in an offer or a meaning in a question."""

    phrase: str
    args: tuple[tuple[str, object], ...] = ()


def fmt_date(day: dt.date, language: str = "en") -> str:
    if language == "en":
        return f"{day:%A}, {day:%B} {day.day}"
    weekday = WEEKDAYS[language][day.weekday()]
    month = MONTHS[language][day.month - 1]
    if language == "de":
        return f"{weekday}, {day.day}. {month}"
    if language == "fr":
        return f"{weekday} {'1er' if day.day == 1 else day.day} {month}"
    return f"{weekday} {day.day} de {month}"


def fmt_money(amount: Decimal, language: str = "en") -> str:
    if language == "en":
        return f"${amount:,.2f}"
    group = "\u00a0" if language == "fr" else "."
    digits = f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", group)
    return digits + "\u00a0" + CURRENCY[language]


def say(phrase: str, language: str = "en", **args: object) -> str:
    """The phrase in `language` with its facts filled in; KeyError when it has no such sentence."""
    return PHRASES[language][phrase].format(**{k: _shown(v, language) for k, v in args.items()})


def said(item: Said, language: str) -> str:
    return say(item.phrase, language, **dict(item.args))


def _shown(value: object, language: str) -> str:
    if isinstance(value, Term):
        return str(value) if language == "en" else TERMS[language][value]
    if isinstance(value, Said):
        return said(value, language)
    if isinstance(value, dt.date):
        return fmt_date(value, language)
    if isinstance(value, Decimal):
        return fmt_money(value, language)
    return str(value)


# The store charges in US dollars; each language writes the currency its own way (CLDR).
CURRENCY = {"es": "US$", "fr": "$US", "de": "$"}
WEEKDAYS = {
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
MONTHS = {
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
}


class Term(str):
    """A word from the database (an order's status) that other languages translate via TERMS."""
