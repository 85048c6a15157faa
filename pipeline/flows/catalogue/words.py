"""Words to option values: tokens made uniform (units, letter sizes, plurals, hyphens), and each
product's option values as the word sequences that name them ('no backlight' names the value
'none', 'stainless' names 'stainless steel' when no other value has that word)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# --- tokens -------------------------------------------------------------------------------

_LETTER_SIZE = re.compile(r"(?<!\d )\b(XXXL|XXL|XL|XS|S|M|L)\b")  # "2 L" is litres
_SIZE_WORD = {"XS": "xs", "S": "small", "M": "medium", "L": "large", "XL": "xl", "XXL": "xxl"}
_SIZE_AFTER_WORD = re.compile(r"\bsize\s+(xxl|xl|xs|s|m|l)\b")
_REWRITES = [
    (re.compile("[\u2019`]"), "'"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"\b(t[- ]?shirt|tee[- ]?shirt)"), "tshirt"),
    (re.compile(r"\be[- ]reader"), "ereader"),
    (re.compile(r"\bwi[- ]fi\b"), "wifi"),
    (re.compile(r"\bextra[- ]large\b|\bx[- ]large\b"), "xl"),
    (re.compile(r"\bextra[- ]small\b"), "xs"),
    (re.compile(r"\b(2xl|double xl)\b"), "xxl"),
    (re.compile(r"(?<=\d),(?=\d{3})"), ""),
    (re.compile(r'(?<=\d)\s*(?:"|”|″)'), " inch"),
    (re.compile(r"(?<=\d)(?=[a-z%])"), " "),
    (re.compile(r"[-/_+]"), " "),
]
_TOKEN = re.compile(r"[a-z]+\d*[a-z]*|\d+(?:\.\d+)?|%|[.,;:!?()]")
_UNITS = {
    "inches": "inch", "foot": "ft", "feet": "ft", "l": "liter", "litre": "liter",
    "liters": "liter", "litres": "liter", "lt": "liter", "milliliter": "ml", "hours": "hour",
    "hrs": "hour", "hr": "hour", "h": "hour", "pieces": "piece", "pc": "piece", "pcs": "piece",
    "lbs": "lb", "pounds": "lb", "pound": "lb", "degrees": "degree", "megapixel": "mp",
    "megapixels": "mp", "gig": "gb", "gigs": "gb", "gigabyte": "gb", "gigabytes": "gb",
    "terabyte": "tb", "terabytes": "tb", "grey": "gray", "colour": "color", "colored": "color", "backlit": "backlight",
    "backlighting": "backlight", "resistant": "resistance", "ventilated": "ventilation",
    "sized": "size", "zip": "zipper", "bike": "bicycle", "shirt": "tshirt", "tee": "tshirt",
    "phone": "smartphone", "suitcase": "luggage", "earphone": "earbud",
}  # fmt: skip
PUNCT = frozenset(".,;:!?()")
NEGATIONS = frozenset({"no", "not", "non", "without", "never"})


@dataclass(frozen=True)
class Tok:
    raw: str
    word: str


def _stem(word: str) -> str:
    if len(word) <= 3 or word.endswith(("ss", "us", "is")) or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("lves"):
        return word[:-3] + "f"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def _canon(raw: str) -> str:
    unit = _UNITS.get(raw)
    return unit if unit else _UNITS.get(_stem(raw), _stem(raw))


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Tok, ...]:
    text = _LETTER_SIZE.sub(lambda m: f" {_SIZE_WORD.get(m.group(1), m.group(1).lower())} ", text)
    text = text.lower()
    text = _SIZE_AFTER_WORD.sub(
        lambda m: f"size {_SIZE_WORD.get(m.group(1).upper(), m.group(1))}", text
    )
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return tuple(Tok(raw, _canon(raw)) for raw in _TOKEN.findall(text))


def words_of(text: str) -> tuple[str, ...]:
    return tuple(t.word for t in tokens(text))


# --- option values --------------------------------------------------------------------------

_GENERIC = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "with",
        "of",
        "for",
        "in",
        "on",
        "size",
        "color",
        "type",
        "card",
        "inch",
        "ft",
        "liter",
        "ml",
        "gb",
        "tb",
        "hour",
        "piece",
        "lb",
        "cup",
        "degree",
        "mp",
        "x",
        "k",
        "p",
        "mah",
        "bar",
        "w",
        "equivalent",
        "set",
        "kit",
        "brand",
        "room",
        "mode",
        "one",
        "%",
    ]
)
_NEGATIVE_VALUES = frozenset({"none", "no"})


@dataclass(frozen=True)
class Surface:
    words: tuple[str, ...]
    option: str
    value: str
    strength: int  # 2: the whole value, 1: a distinctive part of it


@dataclass(frozen=True)
class Matcher:
    """How the values of one product's options show up in text, longest surfaces first."""

    surfaces: tuple[Surface, ...]
    option_words: dict[str, frozenset[str]]
    by_first_word: dict[str, tuple[Surface, ...]]  # the surfaces a word can start
    own_words: frozenset[str]  # every word of the options' names and values


def _option_name_surfaces(option: str) -> list[tuple[str, ...]]:
    words = words_of(option)
    found = [words]
    if len(words) > 1 and words[-1] not in _GENERIC:
        found.append(words[-1:])
    if words == ("waterproof",) or words == ("water", "resistance"):
        found += [("waterproof",), ("water", "resistance")]
    return found


def _value_surfaces(option: str, value: str, all_values: list[tuple[str, ...]]) -> list[Surface]:
    words = words_of(value)
    found = [Surface(words, option, value, 2)]
    negative = value.lower() in _NEGATIVE_VALUES or words[:1] in (("not",), ("non",))
    if negative:
        rest = words[1:] if words[:1] in (("not",), ("non",)) else ()
        for name in [*_option_name_surfaces(option), *([rest] if rest else [])]:
            found += [Surface((neg, *name), option, value, 2) for neg in ("no", "not", "non")]
            found.append(Surface(("without", *name), option, value, 2))
        return found
    if value.lower() == "yes":
        return [Surface(name, option, value, 2) for name in _option_name_surfaces(option)]
    for size in range(1, len(words)):
        for start in range(len(words) - size + 1):
            part = words[start : start + size]
            if all(w in _GENERIC or w.replace(".", "").isdigit() for w in part):
                continue
            if size == 1 and part[0][0].isdigit():
                continue
            owners = sum(1 for other in all_values if _contains(other, part))
            if owners == 1:
                found.append(Surface(part, option, value, 1))
    return found


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


@lru_cache(maxsize=512)
def _matcher(pairs: frozenset[tuple[str, str]]) -> Matcher:
    all_values = [words_of(value) for _, value in pairs]
    surfaces = [s for option, value in pairs for s in _value_surfaces(option, value, all_values)]
    surfaces.sort(key=lambda s: (-len(s.words), -s.strength))
    names = {option for option, _ in pairs}
    option_words = {
        o: frozenset(w for w in words_of(o) if w not in _GENERIC) | {words_of(o)[-1]} for o in names
    }
    by_first_word: dict[str, list[Surface]] = {}
    for surface in surfaces:
        by_first_word.setdefault(surface.words[0], []).append(surface)
    own = {w for ws in option_words.values() for w in ws} | {w for s in surfaces for w in s.words}
    return Matcher(
        tuple(surfaces),
        option_words,
        {w: tuple(found) for w, found in by_first_word.items()},
        frozenset(own),
    )


def matcher_for(option_dicts: Sequence[dict[str, str]]) -> Matcher:
    return _matcher(frozenset((k, v) for options in option_dicts for k, v in options.items()))
