"""The customer's words about products, read against the catalogue: which order lines they name,
which variant each "swap X for Y" asks for, and product questions answered from the store.

Everything is matched on normalised tokens (units, sizes, plurals and hyphens made uniform), so
"28-inch", "28 inch" and '28"' are one value, "no backlight" is the option value "none" and
"instead of Apple HomeKit" rules a value out. Unstated options keep the current item's values;
the resolver never guesses between equally good variants and never picks the current one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache


@dataclass(frozen=True)
class ItemView:
    item_id: str  # the variant's external id (τ²'s item id)
    product_name: str
    product_id: int
    options: dict[str, str]
    price: Decimal


@dataclass(frozen=True)
class VariantView:
    item_id: str
    options: dict[str, str]
    price: Decimal
    available: bool


@dataclass(frozen=True)
class ItemChange:
    item: ItemView
    chosen: VariantView | None
    candidates: tuple[VariantView, ...]
    problem: str = ""


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
_PUNCT = frozenset(".,;:!?()")
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


def _words(text: str) -> tuple[str, ...]:
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
    words = _words(option)
    found = [words]
    if len(words) > 1 and words[-1] not in _GENERIC:
        found.append(words[-1:])
    if words == ("waterproof",) or words == ("water", "resistance"):
        found += [("waterproof",), ("water", "resistance")]
    return found


def _value_surfaces(option: str, value: str, all_values: list[tuple[str, ...]]) -> list[Surface]:
    words = _words(value)
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
    all_values = [_words(value) for _, value in pairs]
    surfaces = [s for option, value in pairs for s in _value_surfaces(option, value, all_values)]
    surfaces.sort(key=lambda s: (-len(s.words), -s.strength))
    names = {option for option, _ in pairs}
    option_words = {
        o: frozenset(w for w in _words(o) if w not in _GENERIC) | {_words(o)[-1]} for o in names
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

    def says_something(self) -> bool:
        return bool(self.wanted or self.unwanted or self.either or self.same) or (
            self.cheapest or self.dearest
        )

    def accepts(self, options: dict[str, str], current: dict[str, str]) -> bool:
        if any(options.get(o) not in values for o, values in self.wanted.items()):
            return False
        if any(options.get(o) in values for o, values in self.unwanted.items()):
            return False
        if any(not any(options.get(o) == v for o, v in alts) for alts in self.either):
            return False
        return all(options.get(o) == current.get(o) for o in self.same - set(self.wanted))

    def kept(self, options: dict[str, str], current: dict[str, str]) -> int:
        stated = set(self.wanted) | self.free | {o for alts in self.either for o, _ in alts}
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
    if word in _PUNCT:
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


def _options_valued_in(clause: Sequence[str], matcher: Matcher) -> set[str]:
    return {hit.option for i in range(len(clause)) for hit in _surfaces_at(clause, i, matcher)}


def _clauses(words: Sequence[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for word in words:
        if word in _PUNCT or word == "but":
            clauses.append([])
        else:
            clauses[-1].append(word)
    return [c for c in clauses if c]


# --- a change resolved against the variants -------------------------------------------------


def change_resolve(item: ItemView, wish: Wish, variants: Sequence[VariantView]) -> ItemChange:
    others = [v for v in variants if v.item_id != item.item_id]
    fitting = [v for v in others if wish.accepts(v.options, item.options)]
    available = [v for v in fitting if v.available]
    if not available:
        return _nothing_available(item, wish, fitting, others)
    best = _best(item, wish, available)
    if len(best) == 1:
        return ItemChange(item, best[0], tuple(best))
    return ItemChange(item, None, tuple(best))


def _best(item: ItemView, wish: Wish, available: list[VariantView]) -> list[VariantView]:
    if wish.cheapest or wish.dearest:
        price = (min if wish.cheapest else max)(v.price for v in available)
        available = [v for v in available if v.price == price]
    top = max(wish.kept(v.options, item.options) for v in available)
    return [v for v in available if wish.kept(v.options, item.options) == top]


def _nothing_available(
    item: ItemView, wish: Wish, fitting: list[VariantView], others: list[VariantView]
) -> ItemChange:
    available = [v for v in others if v.available]
    closest = sorted(available, key=lambda v: -_agreement(wish, v.options))
    name = item.product_name.lower()
    if fitting:
        problem = f"The {name} you asked for is out of stock."
    elif _is_current(item, wish):
        problem = f"That is the {name} you already have."
    else:
        problem = f"There is no {name} with those options."
    return ItemChange(item, None, tuple(closest), problem)


def _is_current(item: ItemView, wish: Wish) -> bool:
    return wish.accepts(item.options, item.options)


def _agreement(wish: Wish, options: dict[str, str]) -> int:
    return sum(1 for o, values in wish.wanted.items() if options.get(o) in values)


# --- which order lines the words name -------------------------------------------------------

_PLAIN_MODIFIERS = frozenset(
    [
        "smart",
        "electric",
        "digital",
        "portable",
        "wireless",
        "mechanical",
        "running",
        "hiking",
        "action",
        "indoor",
        "security",
        "desk",
        "water",
        "office",
        "pet",
        "patio",
        "garden",
        "wall",
        "yoga",
        "cycling",
        "air",
        "gaming",
        "led",
        "light",
        "tea",
        "bluetooth",
    ]
)
_GENERIC_HEADS = frozenset({"set", "kit"})
_ALIASES = {"watch": "wristwatch", "shelf": "bookshelf", "bookcase": "bookshelf", "bag": "backpack"}
_COUNT_WORDS = frozenset({"both", "two", "all", "three", "four", "each", "2", "3"})
_KEEP_CUES = frozenset({"keep", "keeping", "leave", "leaving", "not", "except", "excluding"})
_KEEP_CUES |= {"besides", "without", "than"}
_CONNECTORS = frozenset({"for", "to", "into"})
_TO_VERBS = frozenset({"want", "like", "need", "going", "have", "able", "love", "wish", "how"})
_GLUE = frozenset({"and", "the", "my", "both", "also", "or", "a", "an", "as", "well", ","})
_QUALIFIED = re.compile(r"\w+( \w+){0,3} (that|which) ")
_EVERYTHING = re.compile(
    r"(?<!is )(?<!s )(?<!are )\b(everything|every item|all (the |of the |my )?items|all of it|all of them|whole order|entire order)\b"
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    product_ids: frozenset[int]
    plural: bool


@lru_cache(maxsize=1024)
def _product_words(name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    words = _words(name)
    keys = {words[-1]} - _GENERIC_HEADS
    if len(words) > 1 and words[0] not in _PLAIN_MODIFIERS:
        keys.add(words[0])
    keys |= {alias for alias, target in _ALIASES.items() if target in words}
    return words, frozenset(keys)


def mentions_find(toks: Sequence[Tok], products: dict[int, str]) -> list[Mention]:
    words = [t.word for t in toks]
    found: list[Mention] = []
    i = 0
    while i < len(words):
        spans = {
            pid: _span(words, i, _product_words(name)[0])
            for pid, name in products.items()
            if words[i] in _product_words(name)[1]
        }
        if not spans:
            i += 1
            continue
        longest = max(end - start for start, end in spans.values())
        chosen = {pid for pid, (start, end) in spans.items() if end - start == longest}
        start = min(spans[pid][0] for pid in chosen)
        end = max(spans[pid][1] for pid in chosen)
        found.append(
            Mention(start, end, frozenset(chosen), _plural(toks, start, end, products, chosen))
        )
        i = end
    return found


def _span(words: Sequence[str], i: int, name: tuple[str, ...]) -> tuple[int, int]:
    start, end = i, i + 1
    while start > 0 and words[start - 1] in name and words[start - 1] not in words[start:end]:
        start -= 1
    while end < len(words) and words[end] in name and words[end] not in words[start:end]:
        end += 1
    return start, end


def _plural(
    toks: Sequence[Tok], start: int, end: int, products: dict[int, str], chosen: set[int]
) -> bool:
    if any(t.word in _COUNT_WORDS for t in toks[max(0, start - 3) : start]):
        return True
    head = toks[end - 1]
    named_plural = any(products[pid].lower().endswith("s") for pid in chosen)
    return head.raw != head.word and head.raw.endswith("s") and not named_plural


def _excluded(words: Sequence[str], mention: Mention, mentions: Sequence[Mention]) -> bool:
    """'keep the kettle', 'not the backpack', 'except the pet bed', '... but I'll keep it'."""
    start = mention.start
    while start > 0 and words[start - 1] not in _PUNCT and words[start - 1] != "but":
        start -= 1
    if _KEEP_CUES & set(words[start : mention.start]):
        return True
    after = _clause_after(words, mention.end)
    nxt = next((m.start for m in mentions if m.start >= mention.end), len(words))
    return (
        after < nxt
        and words[after : after + 4].count("keep") > 0
        and any(w in {"it", "them", "that", "those", "this"} for w in words[after : after + 5])
    )


def _context_only(words: Sequence[str], mention: Mention) -> bool:
    """'the backpack I got with the vacuum cleaner', 'my order with the keyboard': the line only
    says which order is meant."""
    before = [w for w in words[max(0, mention.start - 3) : mention.start] if w not in _GLUE]
    return bool(before) and before[-1] == "with"


def _clause_after(words: Sequence[str], i: int) -> int:
    while i < len(words) and words[i] not in _PUNCT and words[i] != "but":
        i += 1
    return i + 1 if i < len(words) else i


def _described(words: Sequence[str], mention: Mention, mentions: Sequence[Mention]) -> list[str]:
    """The words around a mention that describe the line meant: 'the gold 128GB tablet', 'the
    robotic vacuum, not the canister one', 'the earbuds (blue, IPX4) for ...' (up to 'for')."""
    before = max([m.end for m in mentions if m.end <= mention.start], default=0)
    pre = []
    for word in reversed(words[max(before, mention.start - 4) : mention.start]):
        if word in _PUNCT:
            break
        pre.insert(0, word)
    nxt = min([m.start for m in mentions if m.start >= mention.end], default=len(words))
    post = []
    for word in words[mention.end : nxt]:
        if word in _CONNECTORS or word in {".", ";", ":", "!", "?"} or len(post) > 12:
            break
        post.append(word)
    return pre + post


def _lines_meant(
    words: Sequence[str], mention: Mention, mentions: Sequence[Mention], items: Sequence[ItemView]
) -> list[int]:
    lines = [k for k, item in enumerate(items) if item.product_id in mention.product_ids]
    if len(lines) < 2:
        return lines
    description = _described(words, mention, mentions)
    wish = wish_read(description, matcher_for([items[k].options for k in lines]))
    fitting = [k for k in lines if wish.accepts(items[k].options, {})] or lines
    if wish.cheapest or wish.dearest:
        price = (min if wish.cheapest else max)(items[k].price for k in fitting)
        fitting = [k for k in fitting if items[k].price == price]
    if mention.plural or len({items[k].item_id for k in fitting}) > 1:
        return fitting
    return fitting[:1]


def items_named(text: str, items: Sequence[ItemView]) -> list[ItemView]:
    """The order lines the words name, in the order's order: 'the vacuum cleaner and the
    headphones', 'both t-shirts', 'everything except the keyboard'."""
    toks = tokens(text)
    words = [t.word for t in toks]
    mentions = mentions_find(toks, {i.product_id: i.product_name for i in items})
    named, left_out = _named_lines(words, mentions, items)
    joined = " ".join(words)
    everything = _EVERYTHING.search(joined)
    if everything and not (named and _QUALIFIED.match(joined, everything.start())):
        return [item for k, item in enumerate(items) if k not in left_out]
    return [item for k, item in enumerate(items) if k in named]


def _named_lines(
    words: Sequence[str], mentions: Sequence[Mention], items: Sequence[ItemView]
) -> tuple[set[int], set[int]]:
    named: set[int] = set()
    left_out: set[int] = set()
    described: dict[frozenset[int], set[int]] = {}
    for mention in mentions:
        lines = _lines_meant(words, mention, mentions, items)
        if _excluded(words, mention, mentions):
            left_out.update(lines)
            continue
        if _context_only(words, mention):
            continue
        described.setdefault(mention.product_ids, set())
        everyone = {k for k, i in enumerate(items) if i.product_id in mention.product_ids}
        if set(lines) != everyone or not described[mention.product_ids]:
            described[mention.product_ids] = _narrower(
                described[mention.product_ids], set(lines), everyone
            )
    for lines in described.values():
        named |= lines
    return named - left_out, left_out


def _narrower(before: set[int], now: set[int], everyone: set[int]) -> set[int]:
    """A specific mention ('the gold one') beats a general one ('my two tablets')."""
    if not before or before == everyone:
        return now
    if now == everyone:
        return before
    return before | now


# --- "swap X for Y", several in one message -------------------------------------------------


@dataclass(frozen=True)
class _Request:
    mention: Mention
    readings: tuple[tuple[str, ...], ...]  # what the line should become, best reading first


def item_changes(
    text: str, items: Sequence[ItemView], variants_of: Callable[[int], Sequence[VariantView]]
) -> list[ItemChange]:
    """Each 'swap X for Y' / 'change X to Y' in the words, Y resolved against X's variants."""
    toks = tokens(text)
    words = [t.word for t in toks]
    mentions = mentions_find(toks, {i.product_id: i.product_name for i in items})
    variants: dict[int, Sequence[VariantView]] = {}
    best: dict[int, tuple[int, ItemChange]] = {}
    for request in _requests(words, mentions, items):
        lines = _lines_meant(words, request.mention, mentions, items)
        wishes = {}
        for pid in {items[line].product_id for line in lines}:
            if pid not in variants:
                variants[pid] = variants_of(pid)
            wishes[pid] = _first_wish(request, matcher_for([v.options for v in variants[pid]]))
        for line in _still_to_change(lines, items, wishes):
            item, wish = items[line], wishes[items[line].product_id]
            if wish is not None and _weight(wish) > best.get(line, (-1, None))[0]:
                best[line] = (_weight(wish), change_resolve(item, wish, variants[item.product_id]))
    return [best[line][1] for line in sorted(best)]


def _still_to_change(
    lines: list[int], items: Sequence[ItemView], wishes: dict[int, Wish | None]
) -> list[int]:
    """Of several lines the words could mean, one that is already what they ask for is not it."""
    if len({items[line].item_id for line in lines}) < 2:
        return lines
    unlike = [
        line
        for line in lines
        if (wish := wishes[items[line].product_id]) is None
        or not wish.accepts(items[line].options, items[line].options)
    ]
    return unlike or lines


def _first_wish(request: _Request, matcher: Matcher) -> Wish | None:
    for reading in request.readings:
        wish = wish_read(reading, matcher)
        if wish.says_something():
            return wish
    return None


def _weight(wish: Wish) -> int:
    counts = [len(v) for v in (*wish.wanted.values(), *wish.unwanted.values())]
    return sum(counts) + len(wish.either) + len(wish.same) + wish.cheapest + wish.dearest


def _requests(
    words: list[str], mentions: list[Mention], items: Sequence[ItemView]
) -> list[_Request]:
    if not mentions:
        if len({i.product_id for i in items}) != 1:
            return []
        whole = Mention(0, 0, frozenset({items[0].product_id}), plural=False)
        return [_Request(whole, (tuple(words),))]
    groups = _groups(mentions)
    ends = [g[0].start for g in groups[1:]] + [len(words)]
    segments = [tuple(words[g[0].end : end]) for g, end in zip(groups, ends, strict=True)]
    requests = []
    for n, group in enumerate(groups):
        if _excluded(words, group[0], mentions):
            continue
        segment = next((s for s in segments[n:] if not set(s) <= _GLUE), ())
        lead = _lead(words, group[0], groups[n - 1][-1].end if n else 0)
        readings = [lead + _target(segment), lead + segment]
        if n == 0:
            readings.append(_target(tuple(words[: group[0].start])))
        requests.append(_Request(group[0], tuple(readings)))
    return requests


def _lead(words: Sequence[str], mention: Mention, floor: int) -> tuple[str, ...]:
    """'exchange them for size 9 leather boots': the words between 'for' and the product name
    describe what the line should become."""
    for k in range(mention.start - 1, max(floor, mention.start - 6) - 1, -1):
        word = words[k]
        if word in _PUNCT:
            return ()
        if word in {"for", "into"} or (
            word == "to"
            and words[k - 1 : k] != ["want"]
            and k > 0
            and words[k - 1] not in _TO_VERBS
        ):
            return tuple(words[k + 1 : mention.start])
    return ()


def _groups(mentions: list[Mention]) -> list[list[Mention]]:
    """Mentions of one product in a row are one request ('the bicycle for ... the red bike')."""
    groups: list[list[Mention]] = []
    for mention in mentions:
        if groups and groups[-1][0].product_ids == mention.product_ids:
            groups[-1].append(mention)
        else:
            groups.append([mention])
    return groups


def _target(segment: tuple[str, ...]) -> tuple[str, ...]:
    for k, word in enumerate(segment):
        if word in _CONNECTORS:
            return segment[k + 1 :]
    return segment
