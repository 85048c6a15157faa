"""A Wish read from a phrase against one product's option values: the values it wants, rules
out ('no backlight', 'instead of the glass one'), leaves free ('colour doesn't matter'), keeps
('same size'), moves along ('a shorter one', 'less bright') or pushes to an end ('maximum
zoom'); and which variants it accepts, judged against the current item."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.flows.catalogue.words import NEGATIONS, PUNCT, Matcher, Surface, words_of

_DELTA_WORDS = frozenset({"more", "fewer", "less", "extra", "bigger", "smaller"})
_PREFER_WORDS = frozenset({"prefer", "preferably", "ideally", "preferred"})
_FREE_WORDS = frozenset({"matter", "care", "whatever", "whichever", "preference"})
_EITHER_FREE = frozenset({"way", "is", "one", "work", "fine", "ok"})  # "either is fine"
_SAME_WORDS = frozenset({"same", "still", "keep", "keeping", "like"})
_CHEAP = re.compile(r"\b(cheapest|cheaper|least expensive|less expensive|lowest price)\b")
_DEAR = re.compile(
    r"\b(most expensive|priciest|pricier|costlier|more expensive|highest price|top of the line)\b"
)


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
    extreme: set[tuple[str, int]] = field(default_factory=set)  # ('zoom', 1): maximum zoom
    delta: set[tuple[str, float]] = field(default_factory=set)  # ('pieces', 500): 500 more
    preferred: set[tuple[str, str]] = field(default_factory=set)  # 'prefer animals over art'

    def preferred_in(self, options: dict[str, str]) -> bool:
        return any(options.get(o) == v for o, v in self.preferred)

    def says_something(self) -> bool:
        return bool(
            self.wanted or self.unwanted or self.either or self.same or self.relative
        ) or bool(self.cheapest or self.dearest or self.extreme or self.delta)

    def accepts(self, options: dict[str, str], current: dict[str, str]) -> bool:
        if any(options.get(o) not in values for o, values in self.wanted.items()):
            return False
        if any(options.get(o) in values for o, values in self.unwanted.items()):
            return False
        if any(not any(options.get(o) == v for o, v in alts) for alts in self.either):
            return False
        if not all(options.get(o) == current.get(o) for o in self.same - set(self.wanted)):
            return False
        if not all(_moved_by(options, current, o, amount) for o, amount in self.delta):
            return False
        return all(_compares(options, current, o, d) for o, d in self.relative)

    def kept(self, options: dict[str, str], current: dict[str, str]) -> int:
        """How many options keep the current value where the words leave a choice ('either
        glass or steel' keeps glass when the current one is glass)."""
        stated = {o for o, values in self.wanted.items() if len(values) == 1} | self.free
        stated |= {o for alts in self.either for o, _ in alts}
        stated |= {o for o, _ in self.relative | self.extreme} | {o for o, _ in self.delta}
        return sum(1 for o, v in current.items() if o not in stated and options.get(o) == v)


def _surfaces_at(words: Sequence[str], i: int, matcher: Matcher) -> list[Surface]:
    hits: list[Surface] = []
    for surface in matcher.by_first_word.get(words[i], ()):
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
    wish.delta, counted = _deltas(words, matcher)
    preferring, last = False, []
    while i < len(words):
        hits = [] if i in counted else _surfaces_at(words, i, matcher)
        if hits:
            hits = _near_option(hits, words, i, matcher)
            _wish_add(wish, hits, negated=i <= negated_until)
            if preferring and i > negated_until:
                wish.preferred |= {(s.option, s.value) for s in hits}
                preferring = False
            last = hits
            i += len(hits[0].words)
            continue
        preferring = preferring or words[i] in _PREFER_WORDS
        if last and not wish.preferred and _fallback_follows(words, i):
            wish.preferred |= {(s.option, s.value) for s in last}
        negated_until = _negation_reach(words, i, negated_until)
        i += 1
    _wish_settle(wish, words, matcher)
    return wish


def _fallback_follows(words: Sequence[str], i: int) -> bool:
    """'black, or if that's not available white', 'black, otherwise white': the value before
    is the first choice."""
    if words[i] == "otherwise":
        return True
    return words[i] == "if" and bool({"not", "unavailable", "out"} & set(words[i + 1 : i + 5]))


def _deltas(words: Sequence[str], matcher: Matcher) -> tuple[set[tuple[str, float]], set[int]]:
    """'1000 more pieces', '500 pieces less': the number is a step from the current value, not
    a value."""
    found, counted = set(), set()
    for k, word in enumerate(words):
        if not word[0].isdigit():
            continue
        window = words[k + 1 : k + 3]
        step = next((w for w in window if w in _DELTA_WORDS), None)
        named = _options_named(window, matcher)
        if step and named:
            sign = -1 if step in {"fewer", "less", "smaller"} else 1
            found.add((named[0], sign * float(word)))
            counted.add(k)
    return found, counted


def _options_named(window: Sequence[str], matcher: Matcher) -> list[str]:
    """Options one of the words names, whole or as the start of a word ('bright' names
    'brightness')."""
    after = [w for w in window if len(w) > 3 or w in _SHORT_OPTION_WORDS]
    return [
        o
        for o, ws in matcher.option_words.items()
        if any(w.startswith(a) for w in ws for a in after)
    ]


_SHORT_OPTION_WORDS = frozenset({"ram", "fit", "cut"})


def _either_free(clause: Sequence[str]) -> bool:
    """'either is fine' frees an option; 'either black or white' names two values."""
    return any(
        w == "either" and clause[k + 1 : k + 2] and clause[k + 1] in _EITHER_FREE
        for k, w in enumerate(clause)
    )


def _negation_reach(words: Sequence[str], i: int, current: int) -> int:
    word, following = words[i], words[i + 1] if i + 1 < len(words) else ""
    if word in PUNCT:
        return -1
    if word in NEGATIONS:
        return i + 3
    if (word, following) in {("instead", "of"), ("rather", "than"), ("other", "than")}:
        return i + 5
    if following == "but" and word in {"anything", "any", "everything"}:  # 'anything but red'
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
    wish.relative, wish.extreme = _relatives(words, matcher)
    for clause in _clauses(words):
        named = {o for o, ws in matcher.option_words.items() if ws & set(clause)}
        if _FREE_WORDS & set(clause) or _either_free(clause):
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
    "easier": (-1, ("difficulty",)),
    "harder": (1, ("difficulty",)),
    "less": (-1, ()),
    "more": (1, ()),
}
_SUPERLATIVES = {
    "shortest": "shorter", "longest": "longer", "tallest": "taller", "smallest": "smaller",
    "biggest": "bigger", "largest": "larger", "lowest": "lower", "highest": "higher",
    "fewest": "fewer", "least": "less", "most": "more", "maximum": "more", "max": "more",
    "minimum": "less", "min": "less", "easiest": "easier", "hardest": "harder",
}  # fmt: skip
_SCALES = (
    ("xs", "small", "medium", "large", "xl", "xxl"),
    ("low", "medium", "high"),
    ("beginner", "intermediate", "expert"),
)
_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)?")
Moves = set[tuple[str, int]]


def _relatives(words: Sequence[str], matcher: Matcher) -> tuple[Moves, Moves]:
    """'a shorter one', 'lower resolution', 'less bright', 'brighter' move an option's value
    away from the current item's; 'the maximum zoom', 'the fewest pieces' push it to an end. The
    option is the one named right after the word (or the one the word is made from), else the
    one the word usually speaks of."""
    moves: Moves = set()
    ends: Moves = set()
    for k, word in enumerate(words):
        if words[k + 1 : k + 2] == ["than"] and words[k + 2 : k + 3] and words[k + 2][0].isdigit():
            continue
        comparative = _SUPERLATIVES.get(word, word)
        if comparative not in _COMPARATIVES and not _comparative_form(comparative, matcher):
            continue
        found = _moved_option(words, k, comparative, matcher)
        if found:
            (ends if word in _SUPERLATIVES else moves).add(found)
    return moves, ends


def _moved_option(
    words: Sequence[str], k: int, comparative: str, matcher: Matcher
) -> tuple[str, int] | None:
    named = _options_named(words[k + 1 : k + 3], matcher)
    if comparative in _COMPARATIVES:
        direction, usual = _COMPARATIVES[comparative]
        usual_ones = [o for o in matcher.option_words if any(u in words_of(o) for u in usual)]
        next_named = _options_named(words[k + 1 : k + 2], matcher)
        chosen = (next_named or usual_ones or named)[:1]
        return (chosen[0], direction) if chosen else None
    if _comparative_form(comparative, matcher):  # 'brighter': made from 'bright'
        stem = comparative[:-2]
        made = [o for o, ws in matcher.option_words.items() if any(w.startswith(stem) for w in ws)]
        return (made[0], 1) if len(made) == 1 else None
    return None


def _comparative_form(word: str, matcher: Matcher) -> bool:
    """'brighter' is; 'filter' or 'zipper', words of the options themselves, are not."""
    return word.endswith("er") and len(word) > 5 and word not in matcher.own_words


def _ranks(new: str | None, old: str | None) -> tuple[float, float] | None:
    """Both values' places on one scale: their leading numbers, or their places in a scale of
    words holding both ('medium' below 'high', 'small' below 'large')."""
    if new is None or old is None:
        return None
    numbers = _LEADING_NUMBER.match(new), _LEADING_NUMBER.match(old)
    if numbers[0] and numbers[1]:
        return float(numbers[0].group()), float(numbers[1].group())
    a, b = " ".join(words_of(new)), " ".join(words_of(old))
    scale = next((s for s in _SCALES if a in s and b in s), None)
    return (float(scale.index(a)), float(scale.index(b))) if scale else None


def _moved_by(options: dict[str, str], current: dict[str, str], option: str, step: float) -> bool:
    ranks = _ranks(options.get(option), current.get(option))
    return ranks is None or ranks[0] == ranks[1] + step


def _compares(options: dict[str, str], current: dict[str, str], option: str, way: int) -> bool:
    ranks = _ranks(options.get(option), current.get(option))
    return ranks is None or (ranks[0] - ranks[1]) * way > 0


def extremes_keep(wish: Wish, options_of: Sequence[dict[str, str]]) -> list[int]:
    """The positions of the options that sit at the ends the wish pushes to ('maximum zoom')."""
    kept = list(range(len(options_of)))
    for option, way in wish.extreme:
        values = [v for k in kept if (v := options_of[k].get(option)) is not None]
        for value in values:
            if all(
                _compares({option: value}, {option: other}, option, way) or other == value
                for other in values
                if _ranks(value, other) is not None
            ):
                kept = [k for k in kept if options_of[k].get(option) == value]
                break
    return kept


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
