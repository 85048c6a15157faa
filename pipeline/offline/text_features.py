"""Text normalisation and features shared by the offline intent classifier.

Customers type "wheres my pkg pls" as often as "Where is my package?", so text is
lower-cased, common chat abbreviations are expanded, and every word also yields
character n-grams, which keep a typo like "refnud" close to "refund". Order ids, phone
numbers, e-mails, links, prices and other numbers become placeholders ("zref", "zphone",
...): their shape says something about the intent, their digits never do.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

# Chat shorthand seen in real support logs; mapped to the plain word so the model
# sees one spelling. Kept short on purpose: the character n-grams handle the rest.
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "pleas": "please",
    "thx": "thanks",
    "ty": "thanks",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "have to",
    "pkg": "package",
    "pckg": "package",
    "addr": "address",
    "acct": "account",
    "acc": "account",
    "pwd": "password",
    "pw": "password",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "dont": "do not",
    "didnt": "did not",
    "doesnt": "does not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "isnt": "is not",
    "hasnt": "has not",
    "havent": "have not",
    "wheres": "where is",
    "whats": "what is",
    "hows": "how is",
    "its": "it is",
    "thats": "that is",
    "b4": "before",
    "asap": "as soon as possible",
    "rn": "right now",
    "msg": "message",
    "info": "information",
}

_TOKEN_RE = re.compile(r"[a-z]+|\d+")
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL_RE = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
# A phone number (a country code, grouped digits, or exactly ten digits), which customers
# paste alone or with "call me"; longer bare numbers are left to be order ids.
_PHONE_RE = re.compile(
    r"\+\d[\d -]{7,}\d\b|(?<![\w#-])(?:\d{3}[ -]\d{3}[ -]\d{4}|\d{5} \d{5}|\d{10})\b"
)
_ORDER_REF_RE = re.compile(r"(?:#|\bord-?)\s?\d+|\b\d{4,}\b", re.IGNORECASE)
_MONEY_RE = re.compile(
    r"[$€£]\s?\d+(?:[.,]\d+)?|\b\d+(?:[.,]\d+)?\s?(?:dollars|usd|eur|euros|bucks)\b"
)
_CONTRACTION_RE = re.compile(r"(\w)['\u2019](\w)")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with shorthand expanded and ids/amounts collapsed."""
    lowered = _CONTRACTION_RE.sub(r"\1\2", text.lower())
    lowered = _URL_RE.sub(" zurl ", _EMAIL_RE.sub(" zemail ", lowered))
    lowered = _PHONE_RE.sub(" zphone ", lowered)
    lowered = _MONEY_RE.sub(" zmoney ", lowered)
    lowered = _ORDER_REF_RE.sub(" zref ", lowered)
    words: list[str] = []
    for word in _TOKEN_RE.findall(lowered):
        if word.isdigit():
            word = "znum"
        words.extend(_SHORTHAND.get(word, word).split())
    return words


def analyze(text: str) -> list[str]:
    """The classifier's features: words, word pairs, and character 3-5-grams of each word."""
    words = tokens(text)
    feats = [f"w:{w}" for w in words]
    feats.extend(f"b:{a}_{b}" for a, b in pairwise(words))
    for word in words:
        feats.extend(_char_grams(word))
    return feats


@cache
def _char_grams(word: str) -> tuple[str, ...]:
    # Cached per word: chat vocabulary is small, and this is most of the training time.
    padded = f" {word} "
    return tuple(
        f"c:{padded[i : i + size]}" for size in (3, 4, 5) for i in range(len(padded) - size + 1)
    )
