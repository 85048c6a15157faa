"""Which order lines the words name: product mentions ('the vacuum', 'both t-shirts', 'the
gold 128GB tablet'), the ones left out ('keep the kettle', 'everything except the keyboard') and
the ones that only say which order is meant ('the backpack I got with the vacuum cleaner')."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pipeline.flows.catalogue.views import ItemView
from pipeline.flows.catalogue.wish import wish_read
from pipeline.flows.catalogue.words import PUNCT, Tok, matcher_for, tokens, words_of

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
_ALIASES = {  # everyday words for a product, by a word of its name
    "watch": "wristwatch", "shelf": "bookshelf", "bookcase": "bookshelf", "bag": "backpack",
    "headset": "headphone", "kindle": "ereader", "computer": "laptop", "ipad": "tablet",
    "bbq": "grill", "barbecue": "grill", "fragrance": "perfume", "cologne": "perfume",
}  # fmt: skip
_COUNT_WORDS = frozenset({"both", "two", "all", "three", "four", "each", "2", "3"})
_KEEP_CUES = frozenset({"keep", "keeping", "leave", "leaving", "not", "except", "excluding"})
_KEEP_CUES |= {"besides", "without", "than", "apart"}
CONNECTORS = frozenset({"for", "to", "into"})
TO_VERBS = frozenset({"want", "like", "need", "going", "have", "able", "love", "wish", "how"})
GLUE = frozenset({"and", "the", "my", "both", "also", "or", "a", "an", "as", "well", ","})
_QUALIFIED = re.compile(r"\w+( \w+){0,3} (that|which) ")
_EVERYTHING = re.compile(
    r"(?<!is )(?<!s )(?<!are )\b(everything|every item|all (the |of the |my )?(item|thing|product)"
    r"|all of (it|them)|whole order|entire order)\b"
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    product_ids: frozenset[int]
    plural: bool


@lru_cache(maxsize=1024)
def _product_words(name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    words = words_of(name)
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


def excluded(words: Sequence[str], mention: Mention, mentions: Sequence[Mention]) -> bool:
    """'keep the kettle', 'not the backpack', 'except the pet bed', '... but I'll keep it'."""
    start = mention.start
    while start > 0 and words[start - 1] not in PUNCT and words[start - 1] != "but":
        start -= 1
    if _KEEP_CUES & set(words[start : mention.start]):
        return True
    if (
        start > 1
        and words[start - 1] == "but"
        and {"everything", "all"} & set(words[start - 4 : start])
    ):
        return True
    after = _clause_after(words, mention.end)
    nxt = next((m.start for m in mentions if m.start >= mention.end), len(words))
    return (
        after < nxt
        and words[after : after + 4].count("keep") > 0
        and any(w in {"it", "them", "that", "those", "this"} for w in words[after : after + 5])
    )


def _context_only(words: Sequence[str], mention: Mention) -> bool:
    """'the case that came with the lamp', 'my order with the blender': the line only
    says which order is meant."""
    before = [w for w in words[max(0, mention.start - 3) : mention.start] if w not in GLUE]
    return bool(before) and before[-1] == "with"


def _clause_after(words: Sequence[str], i: int) -> int:
    while i < len(words) and words[i] not in PUNCT and words[i] != "but":
        i += 1
    return i + 1 if i < len(words) else i


def _described(words: Sequence[str], mention: Mention, mentions: Sequence[Mention]) -> list[str]:
    """The words around a mention that describe the line meant: 'the gold 128GB tablet', 'the
    robotic vacuum, not the canister one', 'the earbuds (blue, IPX4) for ...' (up to 'for')."""
    before = max([m.end for m in mentions if m.end <= mention.start], default=0)
    pre = []
    for word in reversed(words[max(before, mention.start - 4) : mention.start]):
        if word in PUNCT:
            break
        pre.insert(0, word)
    nxt = min([m.start for m in mentions if m.start >= mention.end], default=len(words))
    post = []
    for word in words[mention.end : nxt]:
        if word in CONNECTORS or word in {".", ";", ":", "!", "?"} or len(post) > 12:
            break
        post.append(word)
    return pre + post


def lines_meant(
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
    if not mentions and "one" in words:
        named = _described_only(words, items)
    return [item for k, item in enumerate(items) if k in named]


def _described_only(words: Sequence[str], items: Sequence[ItemView]) -> set[int]:
    """'the gold one', 'the 64GB one': lines named by their option values alone."""
    wish = wish_read(words, matcher_for([i.options for i in items]))
    if not wish.wanted:
        return set()
    return {k for k, item in enumerate(items) if wish.accepts(item.options, {})}


def _named_lines(
    words: Sequence[str], mentions: Sequence[Mention], items: Sequence[ItemView]
) -> tuple[set[int], set[int]]:
    named: set[int] = set()
    left_out: set[int] = set()
    described: dict[frozenset[int], set[int]] = {}
    for mention in mentions:
        lines = lines_meant(words, mention, mentions, items)
        if excluded(words, mention, mentions):
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
