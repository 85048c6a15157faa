"""The project's own intent examples: template expansion and light augmentation.

Examples live in ``data/intents/<intent>.txt``, one template per line, where
``{a|b|}`` picks one option (an empty option drops the slot). Each template expands
to a capped, deterministic set of variants; a share of them are then wrapped in
greetings or sign-offs and given typos, the way people really type in a chat box.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "intents"

_GROUP_RE = re.compile(r"\{([^{}]*)\}")
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


def generic_words() -> frozenset[str]:
    """Filler words that carry no intent, including every word of the shared frames."""
    path = DATA_DIR.parent / "generic_words.txt"
    words = {w for line in _templates(path) for w in line.split()}
    for phrase in (*_DO_FRAMES, *_ABOUT_FRAMES, *_PREFIXES, *_SUFFIXES):
        words.update(re.findall(r"[a-z]+", phrase.replace("'", "")))
    return frozenset(words)


def load_examples(*, cap: int = 30, seed: int = 7) -> list[tuple[str, str]]:
    """Every (text, intent) training pair, identical on every call."""
    examples: list[tuple[str, str]] = []
    for path in sorted(DATA_DIR.glob("*.txt")):
        intent = path.stem
        for template in _templates(path):
            # Seeded per template, so editing one line leaves every other line's variants as they were.
            rng = random.Random(f"{seed}:{intent}:{template}")
            for variant in _framed(template, rng, cap=cap):
                examples.extend((text, intent) for text in _augment(variant, rng))
    return examples
