"""Each 'swap X for Y' / 'change X to Y' in a message, Y resolved against X's variants: stated
values must hold, unstated ones keep the current item's, only available variants are chosen, a
tie is never guessed and the current variant is never offered back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.flows.catalogue.lines import (
    CONNECTORS,
    GLUE,
    TO_VERBS,
    Mention,
    excluded,
    lines_meant,
    mentions_find,
)
from pipeline.flows.catalogue.views import ItemChange, ItemView, VariantView
from pipeline.flows.catalogue.wish import Wish, extremes_keep, wish_read
from pipeline.flows.catalogue.words import PUNCT, Matcher, matcher_for, tokens

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
    available = [available[k] for k in extremes_keep(wish, [v.options for v in available])]
    if wish.cheapest or wish.dearest:
        price = (min if wish.cheapest else max)(v.price for v in available)
        available = [v for v in available if v.price == price]
    available = [v for v in available if wish.preferred_in(v.options)] or available
    top = max(wish.kept(v.options, item.options) for v in available)
    return [v for v in available if wish.kept(v.options, item.options) == top]


def _nothing_available(
    item: ItemView, wish: Wish, fitting: list[VariantView], others: list[VariantView]
) -> ItemChange:
    available = [v for v in others if v.available]
    closest = sorted(available, key=lambda v: -_agreement(wish, v.options))
    name = item.product_name.lower()
    if fitting:
        problem = f"That {name} option is out of stock."
    elif _is_current(item, wish):
        problem = f"That is the {name} option you already have."
    else:
        problem = f"No {name} option has all of those."
    return ItemChange(item, None, tuple(closest), problem)


def _is_current(item: ItemView, wish: Wish) -> bool:
    return wish.accepts(item.options, item.options)


def _agreement(wish: Wish, options: dict[str, str]) -> int:
    return sum(1 for o, values in wish.wanted.items() if options.get(o) in values)


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
        unnamed = request.mention.end == 0
        lines = (
            list(range(len(items)))
            if unnamed
            else lines_meant(words, request.mention, mentions, items)
        )
        if _each_its_own(request, lines, items, variants_of, best):
            continue
        wishes = {}
        for pid in {items[line].product_id for line in lines}:
            if pid not in variants:
                variants[pid] = variants_of(pid)
            wishes[pid] = _first_wish(request, matcher_for([v.options for v in variants[pid]]))
        if unnamed:
            lines = _fitting_product(lines, items, wishes)
        asks = _asks_for_change(words)
        for line in _still_to_change(lines, items, wishes):
            item, wish = items[line], wishes[items[line].product_id]
            if wish is None or (not asks and _describes(wish, item)):
                continue  # "there's a t-shirt, the blue small v-neck": the line as it is
            if _weight(wish) > best.get(line, (-1, None))[0]:
                best[line] = (_weight(wish), change_resolve(item, wish, variants[item.product_id]))
    return [best[line][1] for line in sorted(best)]


_CHANGE_WORDS = frozenset(
    {"instead", "swap", "exchange", "change", "switch", "replace", "trade", "become", "make"}
    | {"swapped", "exchanged", "changed", "switched", "replaced", "traded", "made"}
)


def _describes(wish: Wish, item: ItemView) -> bool:
    """The words fit the line as it is and ask for no end ('the cheapest', 'the maximum')."""
    ends = wish.extreme or wish.cheapest or wish.dearest
    return not ends and wish.accepts(item.options, item.options)


def _asks_for_change(words: Sequence[str]) -> bool:
    return bool(CONNECTORS & set(words) or _CHANGE_WORDS & set(words))


def _fitting_product(
    lines: list[int], items: Sequence[ItemView], wishes: dict[int, Wish | None]
) -> list[int]:
    """With no product named, the one product whose options the words name most; none when
    two products fit equally, or when a single word ('black') is all that picks one of several."""
    weights = {pid: _weight(w) for pid, w in wishes.items() if w is not None}
    if not weights:
        return []
    top = max(weights.values())
    winners = [pid for pid, weight in weights.items() if weight == top]
    if len(winners) != 1 or (top < 2 and len(wishes) > 1):
        return []
    return [line for line in lines if items[line].product_id == winners[0]]


def _each_its_own(
    request: _Request,
    lines: list[int],
    items: Sequence[ItemView],
    variants_of: Callable[[int], Sequence[VariantView]],
    best: dict[int, tuple[int, ItemChange]],
) -> bool:
    """'two kettles: one for a ceramic one, the other for a 1 liter one': with two lines of a
    product, each part of such a sentence goes to its own line."""
    parts = _one_and_other(request.readings[min(1, len(request.readings) - 1)])
    if parts is None or len(lines) < 2 or len({items[k].product_id for k in lines}) != 1:
        return False
    matcher = matcher_for([v.options for v in variants_of(items[lines[0]].product_id)])
    for line, part in zip(lines[:2], parts, strict=False):
        wish = wish_read(part, matcher)
        if wish.says_something():
            variants = variants_of(items[line].product_id)
            best[line] = (_weight(wish), change_resolve(items[line], wish, variants))
    return True


def _one_and_other(words: Sequence[str]) -> tuple[Sequence[str], Sequence[str]] | None:
    first = next(
        (k + 2 for k in range(len(words) - 1) if words[k] == "one" and words[k + 1] in CONNECTORS),
        None,
    )
    if first is None:
        return None
    for j in range(first, len(words)):
        if words[j] in {"other", "another"}:
            after = j + 2 if words[j + 1 : j + 2] == ["one"] else j + 1
            if words[after : after + 1] and words[after] in CONNECTORS:
                return words[first:j], words[after + 1 :]
    return None


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
    if not mentions:  # 'change it to a red one in XXL': the product its values fit
        whole = Mention(0, 0, frozenset(i.product_id for i in items), plural=True)
        return [_Request(whole, (_target(tuple(words)), tuple(words)))]
    groups = _groups(mentions)
    ends = [g[0].start for g in groups[1:]] + [len(words)]
    segments = [tuple(words[g[0].end : end]) for g, end in zip(groups, ends, strict=True)]
    requests = []
    for n, group in enumerate(groups):
        if excluded(words, group[0], mentions):
            continue
        segment = next((s for s in segments[n:] if not set(s) <= GLUE), ())
        lead = _lead(words, group[0], groups[n - 1][-1].end if n else 0)
        readings = [lead + _target(segment), lead + segment]
        if n == 0:
            readings.append(_target(tuple(words[: group[0].start])))
        requests.append(_Request(group[0], tuple(readings)))
    return requests


def _lead(words: Sequence[str], mention: Mention, floor: int) -> tuple[str, ...]:
    """'swap them for size 7 suede sandals', 'I want a lighter kettle': the words
    between 'for' (or 'a') and the product name describe what the line should become, while
    'the blue t-shirt' describes the line as it is."""
    for k in range(mention.start - 1, max(floor, mention.start - 6) - 1, -1):
        word = words[k]
        if word in PUNCT:
            return ()
        if word in {"the", "my", "this", "that"}:
            return tuple(words[k + 1 : mention.start]) if _connects(words, k - 1) else ()
        if word in {"a", "an", "another"} or _connects(words, k):
            return tuple(words[k + 1 : mention.start])
    return ()


def _connects(words: Sequence[str], k: int) -> bool:
    """'for', 'into' or a 'to' that is not 'want to' / 'like to'."""
    if k < 0:
        return False
    return words[k] in {"for", "into"} or (
        words[k] == "to" and k > 0 and words[k - 1] not in TO_VERBS
    )


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
        if word in CONNECTORS and (word != "to" or k == 0 or segment[k - 1] not in TO_VERBS):
            return segment[k + 1 :]
    return segment
