"""Words to option values: tokens made uniform (units, letter sizes, plurals, hyphens), each
product's option values as the word sequences that name them, and a Wish read from a phrase:
the values it wants, rules out ('no backlight', 'instead of Apple HomeKit'), leaves free ('colour
doesn't matter') or keeps ('same size')."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

# --- tokens -------------------------------------------------------------------------------

_LETTER_SIZE = re.compile(r"\b(XXXL|XXL|XL|XS|S|M|L)\b")
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
    "megapixels": "mp", "grey": "gray", "colour": "color", "colored": "color", "backlit": "backlight",
    "backlighting": "backlight", "resistant": "resistance", "ventilated": "ventilation",
    "sized": "size", "zip": "zipper", "bike": "bicycle", "shirt": "tshirt", "tee": "tshirt",
    "phone": "smartphone", "suitcase": "luggage", "earphone": "earbud",
}  # fmt: skip
PUNCT = frozenset(".,;:!?()")
_NEGATIONS = frozenset({"no", "not", "non", "without", "never"})


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
    return Matcher(tuple(surfaces), option_words)


def matcher_for(option_dicts: Sequence[dict[str, str]]) -> Matcher:
    return _matcher(frozenset((k, v) for options in option_dicts for k, v in options.items()))


# --- what the words ask of a variant --------------------------------------------------------

_DELTA_WORDS = frozenset({"more", "fewer", "less", "extra", "bigger", "smaller"})
_FREE_WORDS = frozenset({"matter", "care", "whatever", "whichever", "either"})
_SAME_WORDS = frozenset({"same", "still", "keep", "keeping", "like"})
_CHEAP = re.compile(r"\b(cheapest|cheaper|least expensive|less expensive|lowest price)\b")
_DEAR = re.compile(r"\b(most expensive|priciest|more expensive|highest price|top of the line)\b")


@dataclass
class Wish:
    """The option values the words want, rule out, leave free or keep from the current item."""

    wanted: dict[str, set[str]] = field(default_factory=dict)
    unwanted: dict[str, set[str]] = field(default_factory=dict)
    either: list[frozenset[tuple[str, str]]] = field(default_factory=list)
    free: set[str] = field(default_factory=set)
    same: set[str] = field(default_factory=set)
    cheapest: bool = False
    dearest: bool = False
    relative: set[tuple[str, int]] = field(default_factory=set)  # ('length', -1): shorter

    def says_something(self) -> bool:
        return bool(self.wanted or self.unwanted or self.either or self.same or self.relative) or (
            self.cheapest or self.dearest
        )

    def accepts(self, options: dict[str, str], current: dict[str, str]) -> bool:
        if any(options.get(o) not in values for o, values in self.wanted.items()):
            return False
        if any(options.get(o) in values for o, values in self.unwanted.items()):
            return False
        if any(not any(options.get(o) == v for o, v in alts) for alts in self.either):
            return False
        if not all(options.get(o) == current.get(o) for o in self.same - set(self.wanted)):
            return False
        return all(_compares(options, current, o, d) for o, d in self.relative)

    def kept(self, options: dict[str, str], current: dict[str, str]) -> int:
        stated = set(self.wanted) | self.free | {o for alts in self.either for o, _ in alts}
        stated |= {o for o, _ in self.relative}
        return sum(1 for o, v in current.items() if o not in stated and options.get(o) == v)


def _surfaces_at(words: Sequence[str], i: int, matcher: Matcher) -> list[Surface]:
    hits: list[Surface] = []
    for surface in matcher.surfaces:
        if hits and len(surface.words) < len(hits[0].words):
            break
        if tuple(words[i : i + len(surface.words)]) == surface.words:
            hits.append(surface)
    best = max((s.strength for s in hits), default=0)
    return [s for s in hits if s.strength == best]


def _near_option(
    hits: list[Surface], words: Sequence[str], i: int, matcher: Matcher
) -> list[Surface]:
    """'black dial' or 'dial colour black': an option's own name beside an ambiguous value."""
    if len({s.option for s in hits}) < 2:
        return hits
    window = set(words[max(0, i - 2) : i + len(hits[0].words) + 2])
    named = [s for s in hits if matcher.option_words[s.option] & window]
    return named or hits


def wish_read(text_words: Sequence[str], matcher: Matcher) -> Wish:
    wish, words, i, negated_until = Wish(), list(text_words), 0, -1
    while i < len(words):
        hits = _surfaces_at(words, i, matcher)
        end = i + len(hits[0].words) if hits else i
        if hits and not (
            words[i][0].isdigit() and words[end : end + 1] and words[end] in _DELTA_WORDS
        ):
            _wish_add(wish, _near_option(hits, words, i, matcher), negated=i <= negated_until)
            i = end
            continue
        negated_until = _negation_reach(words, i, negated_until)
        i += 1
    _wish_settle(wish, words, matcher)
    return wish


def _negation_reach(words: Sequence[str], i: int, current: int) -> int:
    word, following = words[i], words[i + 1] if i + 1 < len(words) else ""
    if word in PUNCT:
        return -1
    if word in _NEGATIONS:
        return i + 3
    if (word, following) in {("instead", "of"), ("rather", "than"), ("other", "than")}:
        return i + 5
    if word in {"except", "excluding", "besides"}:
        return i + 4
    return current


def _wish_add(wish: Wish, hits: list[Surface], *, negated: bool) -> None:
    pairs = {(s.option, s.value) for s in hits}
    if negated:
        for option, value in pairs:
            wish.unwanted.setdefault(option, set()).add(value)
    elif len({o for o, _ in pairs}) == 1:
        option = next(iter(pairs))[0]
        wish.wanted.setdefault(option, set()).update(v for _, v in pairs)
    else:
        wish.either.append(frozenset(pairs))


def _wish_settle(wish: Wish, words: Sequence[str], matcher: Matcher) -> None:
    """Options a clause calls unimportant are freed; 'same X' keeps X; an ambiguous value whose
    other reading is already settled takes the reading left."""
    text = " ".join(words)
    wish.cheapest, wish.dearest = bool(_CHEAP.search(text)), bool(_DEAR.search(text))
    wish.relative = _relatives(words, matcher)
    for clause in _clauses(words):
        named = {o for o, ws in matcher.option_words.items() if ws & set(clause)}
        if _FREE_WORDS & set(clause):
            wish.free |= named | _options_valued_in(clause, matcher)
        for k, word in enumerate(clause):
            if word in _SAME_WORDS:
                window = set(clause[k + 1 : k + 4])
                wish.same |= {o for o, ws in matcher.option_words.items() if ws & window}
    for option in wish.free:
        wish.wanted.pop(option, None)
    settled = set(wish.wanted)
    for alts in list(wish.either):
        left = frozenset((o, v) for o, v in alts if o not in settled)
        if len({o for o, _ in left}) == 1:
            wish.either.remove(alts)
            wish.wanted.setdefault(next(iter(left))[0], set()).update(v for _, v in left)


_COMPARATIVES = {
    "shorter": (-1, ("length", "height")),
    "longer": (1, ("length",)),
    "taller": (1, ("height",)),
    "smaller": (-1, ("size", "capacity", "diameter")),
    "bigger": (1, ("size", "capacity", "diameter")),
    "larger": (1, ("size", "capacity", "diameter")),
    "lower": (-1, ()),
    "higher": (1, ()),
    "fewer": (-1, ("piece",)),
}
_SCALES = (("xs", "small", "medium", "large", "xl", "xxl"), ("low", "medium", "high"))
_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _relatives(words: Sequence[str], matcher: Matcher) -> set[tuple[str, int]]:
    """'a shorter one', 'lower resolution', 'a larger frame size': an option the value must
    move along, compared with the current item's. The option is the one named right after the
    word, else the one the word usually speaks of."""
    found = set()
    for k, word in enumerate(words):
        if word not in _COMPARATIVES or (k + 1 < len(words) and words[k + 1] == "than"):
            continue
        direction, usual = _COMPARATIVES[word]
        after = set(words[k + 1 : k + 4])
        named = [o for o, ws in matcher.option_words.items() if ws & after]
        usual_ones = [o for o in matcher.option_words if any(u in words_of(o) for u in usual)]
        for option in (named or usual_ones)[:1]:
            found.add((option, direction))
    return found


def _rank(value: str | None) -> float | None:
    if value is None:
        return None
    number = _LEADING_NUMBER.match(value)
    if number:
        return float(number.group())
    word = " ".join(words_of(value))
    return next((float(s.index(word)) for s in _SCALES if word in s), None)


def _compares(options: dict[str, str], current: dict[str, str], option: str, way: int) -> bool:
    new, old = _rank(options.get(option)), _rank(current.get(option))
    if new is None or old is None:
        return True
    return (new - old) * way > 0


def _options_valued_in(clause: Sequence[str], matcher: Matcher) -> set[str]:
    return {hit.option for i in range(len(clause)) for hit in _surfaces_at(clause, i, matcher)}


def _clauses(words: Sequence[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for word in words:
        if word in PUNCT or word == "but":
            clauses.append([])
        else:
            clauses[-1].append(word)
    return [c for c in clauses if c]
