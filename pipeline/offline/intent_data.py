"""The project's own intent examples: template expansion and light augmentation.

Examples live in ``data/intents/<intent>.txt`` (full requests) and ``data/chat/<intent>.txt``
(the way shoppers type in a chat box: fragments, typos, many kinds of shop), one template per
line, where ``{a|b|}`` picks one option (an empty option drops the slot) and ``$product`` picks
a product word from ``data/slots.txt``. Each template expands to a capped, deterministic set of
variants; a share of them are then wrapped in greetings or sign-offs and given typos.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "intents"
CHAT_DIR = DATA_DIR.parent / "chat"
HELDOUT_PATH = DATA_DIR.parent / "heldout.tsv"

_GROUP_RE = re.compile(r"\{([^{}]*)\}")
_SLOT_RE = re.compile(r"\$([a-z]+)")
_PREFIXES = (
    "hi ",
    "hello, ",
    "hey ",
    "hi there! ",
    "good morning, ",
    "excuse me ",
    "ok so ",
    "quick question, ",
    "um ",
    "hey guys ",
    "yo ",
    "sorry to bother you but ",
)
_SUFFIXES = (
    " please",
    " pls",
    " thanks",
    " thx",
    "?",
    "??",
    " asap",
    " ty",
    "!!",
    " thank you",
    " help",
    " urgent",
    " :(",
    " right now",
)
_KEYS = "qwertyuiopasdfghjklzxcvbnm"
# Ways people wrap the thing they want ("@do" lines) or the topic they ask about
# ("@about" lines); shared by every intent so the wrapper itself carries no signal.
_DO_FRAMES = (
    "{}",
    "how do i {}",
    "how can i {}",
    "how to {}",
    "i need help to {}",
    "help me {}",
    "can you help me {}",
    "i want to {}",
    "i'd like to {}",
    "i'm trying to {}",
    "i dont know how to {}",
    "where can i {}",
    "is it possible to {}",
    "can i {}",
    "what do i need to do to {}",
    "i need to {}",
    "i cant {}",
    "could you help me {}",
    "what's the way to {}",
    "i have to {}",
    "i was trying to {} but it didnt work",
    "need assistance to {}",
    "tell me how to {}",
    "can u {}",
    "wanna {}",
)
_ABOUT_FRAMES = (
    "{}",
    "help with {}",
    "problem with {}",
    "i have a problem with {}",
    "question about {}",
    "information about {}",
    "i need help with {}",
    "info on {}",
    "where do i find {}",
    "i have an issue with {}",
    "what about {}",
    "i need {}",
    "can you help with {}",
    "{} help",
    "trouble with {}",
)


def _expand(template: str, *, cap: int, rng: random.Random) -> list[str]:
    parts = _GROUP_RE.split(template)
    fixed, groups = parts[0::2], [p.split("|") for p in parts[1::2]]
    total = 1
    for options in groups:
        total *= len(options)
    count = min(total, cap)
    # Cycling through shuffled options gives every option a turn before any repeats.
    orders = [rng.sample(options, len(options)) for options in groups]
    variants = []
    for i in range(count):
        picks = [
            order[(i * (k + 1) + i // len(order)) % len(order)] for k, order in enumerate(orders)
        ]
        text = fixed[0] + "".join(p + f for p, f in zip(picks, fixed[1:], strict=True))
        variants.append(" ".join(text.split()))
    return list(dict.fromkeys(v for v in variants if v))


def _typo(text: str, rng: random.Random) -> str:
    chars = list(text)
    positions = [i for i, c in enumerate(chars) if c.isalpha()]
    if len(positions) < 4:
        return text
    i = rng.choice(positions[1:-1])
    edit = rng.randrange(4)
    if edit == 0:
        del chars[i]
    elif edit == 1:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif edit == 2:
        chars.insert(i, chars[i])
    else:
        chars[i] = rng.choice(_KEYS)
    return "".join(chars)


def _augment(text: str, rng: random.Random) -> Iterator[str]:
    yield text
    roll = rng.random()
    if roll < 0.45:
        yield rng.choice(_PREFIXES) + text + rng.choice(_SUFFIXES)
    if roll > 0.35:
        yield _typo(_typo(text, rng), rng) if rng.random() < 0.3 else _typo(text, rng)


def _templates(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield stripped


def _framed(template: str, rng: random.Random, *, cap: int) -> list[str]:
    kind, _, body = template.partition(" ")
    if kind not in ("@do", "@about"):
        return _expand(template, cap=cap, rng=rng)
    frames = _DO_FRAMES if kind == "@do" else _ABOUT_FRAMES
    return [rng.choice(frames).format(v) for v in _expand(body, cap=cap, rng=rng)]


def slots() -> dict[str, tuple[str, ...]]:
    """Slot name -> its words."""
    words: dict[str, list[str]] = {}
    for line in _templates(DATA_DIR.parent / "slots.txt"):
        name, _, options = line.partition(":")
        words.setdefault(name.strip(), []).extend(o.strip() for o in options.split("|"))
    return {name: tuple(options) for name, options in words.items()}


def _fill_slots(text: str, words: dict[str, tuple[str, ...]], rng: random.Random) -> str:
    return _SLOT_RE.sub(lambda m: rng.choice(words[m[1]]) if m[1] in words else m[0], text)


def load_examples(*, cap: int = 30, seed: int = 7) -> list[tuple[str, str]]:
    """Every (text, intent) training pair, identical on every call."""
    return [(text, intent) for text, intent, _ in load_grouped(cap=cap, seed=seed)]


def load_grouped(*, cap: int = 30, seed: int = 7) -> list[tuple[str, str, int]]:
    """(text, intent, template number): variants of one template share a number, so
    cross-validation can keep them on one side of a split."""
    slot_words = slots()
    examples: list[tuple[str, str, int]] = []
    for group, (intent, template) in enumerate(_all_templates()):
        # Seeded per template, so editing one line leaves every other line's variants as they were.
        rng = random.Random(f"{seed}:{intent}:{template}")
        for variant in _framed(template, rng, cap=cap):
            filled = _fill_slots(variant, slot_words, rng)
            examples.extend((text, intent, group) for text in _augment(filled, rng))
    return examples


def _all_templates() -> Iterator[tuple[str, str]]:
    for path in [*sorted(DATA_DIR.glob("*.txt")), *sorted(CHAT_DIR.glob("*.txt"))]:
        for template in _templates(path):
            yield path.stem, template


def load_heldout(path: Path = HELDOUT_PATH) -> list[tuple[str, str]]:
    """(text, intent) rows of a tab-separated file; ``#`` lines and the header are skipped."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip() and not line.startswith("#"):
            text, _, intent = line.rpartition("\t")
            rows.append((text.strip(), intent.strip()))
    return rows
