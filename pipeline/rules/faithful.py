"""Whether a model-written help-center answer says only what its passages say.

Every number, amount, percent and date in it must be one a cited passage states (the verifier's
reading, so "$7.99" and "7,99 US$" are one amount, and number words count as the digits they
are); every policy or programme it names ("our price match guarantee", "the Gold tier") must be
named in one; every link must be one of theirs. A customer asking about returns must never be
told a return window the store did not write, and a faithful paraphrase needs nothing else.
"""

from __future__ import annotations

import datetime as dt
import re

from knowledge.search import terms
from pipeline.rules.verifier import check_text, text_sheet
from pipeline.types import ArticleView, Verdict

# The words a policy's or programme's name ends with: "return policy", "VIP program".
POLICY_NOUNS = (
    "policy|policies|guarantee|guarantees|warranty|warranties|program|programs|programme|"
    "plan|plans|protection|promise|club|membership|scheme|rewards|tier|tiers"
)
_GENERIC_NOUNS = frozenset({"policy", "policies"})  # "our returns policy": the returns article
_NAMED = re.compile(rf"((?:[A-Za-z0-9][\w'\u2019-]*\s+){{1,3}})({POLICY_NOUNS})\b", re.IGNORECASE)
QUALIFIERS = 2  # the words before the noun that name it
_URL = re.compile(r"https?://[^\s)\]>\"']+|(?<![\w/])/help/[^\s)\]>\"']+")
_TEENS = "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
_NUMBER_WORDS = {
    # "one" is left out: it is as often a pronoun ("one of our team") as a number.
    **{word: str(n) for n, word in enumerate(_TEENS.split(" "), start=2)},
    **{"sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20"},
    **{"zero": "0", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "ninety": "90"},
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def check_answer(text: str, passages: tuple[ArticleView, ...], *, today: dt.date) -> Verdict:
    sources = [f"{p.title}. {p.heading}. {p.body}" for p in passages]
    cited = {p.url.rstrip("/") for p in passages if p.url}
    problems = [
        f"links {url}, not a cited article"
        for url in _URL.findall(text)
        if not any(url.rstrip(".,;:/").endswith(c) for c in cited)
    ]
    bare = _URL.sub(" ", text)
    sheet = text_sheet([digits(s) for s in sources], today=today)
    problems += check_text(digits(bare), sheet, today=today).problems
    known = frozenset(terms(" ".join(sources)))
    problems += [
        f"names “{name}”, which no cited passage does"
        for name, needed in named_policies(bare)
        if not needed <= known
    ]
    return Verdict(ok=not problems, problems=tuple(problems))


def digits(text: str) -> str:
    """Number words written as digits, so "thirty days" is checked as "30 days"."""
    return _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m[1].lower()], text)


def named_policies(text: str) -> list[tuple[str, frozenset[str]]]:
    """Each policy or programme the text names, and the word stems a passage must have for it:
    the (at most QUALIFIERS) content words just before its noun, and the noun unless it is the
    generic "policy". A noun with no content word before it ("the plan") names nothing."""
    found = []
    for match in _NAMED.finditer(text):
        before = re.findall(r"[a-z]+", match[1].lower())
        qualifiers: list[str] = []
        for word in reversed(before):
            stems = terms(word)
            if not stems or len(qualifiers) == QUALIFIERS:
                break
            qualifiers.insert(0, stems[0])
        if not qualifiers:
            continue
        noun = match[2].lower()
        needed = set(qualifiers) | (set() if noun in _GENERIC_NOUNS else set(terms(noun)))
        found.append((f"{' '.join(before[-len(qualifiers) :])} {noun}", frozenset(needed)))
    return found
