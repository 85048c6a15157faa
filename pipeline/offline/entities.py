"""Entities the retrieval and reasoning stages need, read offline from customer text.

Order references, e-mails, dates with their role (deadline or order date), elapsed
durations, money amounts and the requests a message makes (expedite, discount,
refund, cancel, a human, ...). Regular expressions only: deterministic and fast, and
the database stays the judge of whether an order number is real.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pipeline.offline.entity_dates import DateMention, Duration, find_dates, find_durations


@dataclass(frozen=True)
class OrderRef:
    text: str  # as written: "ORD-4521", "#4521", "order 4521"
    number: str  # the digits, which is what customers mix up between products and orders
    explicit: bool  # written as an order ("ORD-", "order #"), not a bare or product number


@dataclass(frozen=True)
class Money:
    text: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Entities:
    order_refs: tuple[OrderRef, ...]
    emails: tuple[str, ...]
    dates: tuple[DateMention, ...]
    durations: tuple[Duration, ...]
    amounts: tuple[Money, ...]
    wants_expedite: bool
    wants_discount: bool
    wants_refund: bool
    wants_cancel: bool
    wants_human: bool
    legal_threat: bool
    account_deletion: bool
    urgency: bool

    @property
    def order_numbers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref.number for ref in self.order_refs))

    @property
    def deadline(self) -> date | None:
        return next((d.value for d in self.dates if d.role == "deadline"), None)

    @property
    def order_date(self) -> date | None:
        return next((d.value for d in self.dates if d.role == "order_date"), None)

    @property
    def elapsed_days(self) -> int | None:
        return max((d.days for d in self.durations), default=None)


# A count of things is not an order number: "order 500 units", "ord 200 pcs".
_NOT_A_QUANTITY = (
    r"(?!\s*(?:units?|pcs|pieces?|items?|boxes|packs?|bottles?|pairs?|sets?|kg|grams?|g|ml|"
    r"litres?|liters?|rs|rupees|dollars?|bucks|usd|eur|euros?)\b)"
)
# The store numbers its orders ORD-1001, ORD-4521...; customers write "ord4521", "ORD 4521",
# "0RD-4521", "ordr 4521", "oder#4521", and "order no. 4521".
_ORDER_PREFIX = r"(?:ord(?:er)?|ordr|oder|odr|0rd)"
_ORDER_PATTERNS = (
    (
        True,
        re.compile(
            rf"\b{_ORDER_PREFIX}[-_ ]?#?\s?(?P<num>\d{{3,}})\b{_NOT_A_QUANTITY}", re.IGNORECASE
        ),
    ),
    (
        True,
        re.compile(
            rf"\b(?:{_ORDER_PREFIX}|purchase)\s+(?:number|no\.?|num|id|#)?\s*(?:is\s+)?:?\s*#?\s*"
            rf"(?P<num>\d{{3,}})\b{_NOT_A_QUANTITY}",
            re.IGNORECASE,
        ),
    ),
    (False, re.compile(r"#\s?(?P<num>\d{3,})\b")),
    # A marketplace-style id, a letter and seven digits ("#W2378156"): the letter is part of it.
    (True, re.compile(r"(?<![\w#])#?(?P<num>[Ww]\d{7})\b")),
    # Long bare numbers are order ids unless a phone number is being given.
    (
        False,
        re.compile(
            r"(?<!phone )(?<!call )(?<!mobile )(?<!cell )(?<!phone number is )(?<![\w$€£.,/+-])"
            r"(?P<num>\d{6,})(?![\d.,/-])",
            re.IGNORECASE,
        ),
    ),
)
# Numbers that are something else: a phone number, a zip or pin code, a price.
_NOT_ORDER_BEFORE = re.compile(
    r"(phone|mobile|cell|call|text|whatsapp|contact|reach me|zip|pin|pincode|postal|post|"
    r"postcode|rs\.?|inr|usd|price|cost|paid|pay|amount|total|qty|quantity)"
    r"(\s+(code|number|no\.?|num|me|at|on|of|is|was|:))*\s*[:#]?\s*$",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MONEY_RE = re.compile(
    r"(?P<sym>[$€£])\s?(?P<a>\d+(?:,\d{3})*(?:\.\d{1,2})?)"
    r"|(?P<b>\d+(?:,\d{3})*(?:\.\d{1,2})?)\s?(?P<word>dollars?|bucks|usd|eur|euros?|gbp|pounds?)\b",
    re.IGNORECASE,
)
_CURRENCIES = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "dollar": "USD",
    "buck": "USD",
    "usd": "USD",
    "eur": "EUR",
    "euro": "EUR",
    "gbp": "GBP",
    "pound": "GBP",
}

# Negation just before a request word turns it off: "I don't want a refund".
_NEGATION = re.compile(r"\b(don'?t|do not|no need to|not|never|without|no)\s+(\w+\s+){0,2}$")
_FLAGS: dict[str, re.Pattern[str]] = {
    "wants_expedite": re.compile(
        r"\b(expedit\w*|rush\w*|speed\s+(it|this|that|things)?\s*up|hurry|faster|quicker|sooner|"
        r"overnight|next[- ]day|upgrade\s+(the\s+|my\s+)?shipping|priority\s+shipping)\b"
    ),
    "wants_discount": re.compile(
        r"\b(discounts?|vip|loyalty|coupons?|promo(tion)?(\s+code)?s?|voucher|price\s+match|"
        r"member\s+price|rewards?\s+points?)\b"
    ),
    "wants_refund": re.compile(r"\b(refund\w*|money\s+back|reimburse\w*|chargeback)\b"),
    "wants_cancel": re.compile(
        r"\b(cancel\w*|call\s+off)\b(?!\s+(my\s+|the\s+)?(account|subscription|membership|newsletter))"
    ),
    "wants_human": re.compile(
        r"\b(human|real\s+person|live\s+(agent|person|chat)|representative|rep|operator|"
        r"(speak|talk|chat)\s+(to|with)\s+(someone|somebody|a\s+person|an?\s+agent|a\s+manager)|"
        r"supervisor|manager)\b"
    ),
    "legal_threat": re.compile(
        r"\b(lawyers?|attorneys?|sue|suing|lawsuit|court|legal\s+action|small\s+claims|"
        r"chargeback|dispute\s+the\s+charge|bbb|consumer\s+protection|trading\s+standards)\b"
    ),
    "account_deletion": re.compile(
        r"\b(delete|close|cancel|remove|deactivate|terminate|erase)\s+(my\s+|the\s+)?(\w+\s+)?"
        r"(account|profile|data)\b|\bright\s+to\s+be\s+forgotten\b|\bgdpr\b"
    ),
    "urgency": re.compile(
        r"\b(urgent\w*|asap|emergency|immediately|right\s+away|birthday|gift|wedding|"
        r"anniversary|christmas|deadline|need\s+(it|this)\s+by|as\s+soon\s+as\s+possible|"
        r"time[- ]sensitive)\b"
    ),
}

_INJECTION_RE = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+|my\s+)*"
    r"(previous|prior|above|earlier|system|original)?\s*(instructions|rules|prompts?|guidelines|policies)"
    r"|system\s+prompt|you\s+are\s+now\b|developer\s+mode|\bjailbreak|\bdan\s+mode|do\s+anything\s+now"
    r"|pretend\s+(to\s+be|you\s+are)|act\s+as\s+(an?\s+)?(admin|administrator|developer|system|root)"
    r"|reveal\s+(your|the)\s+(prompt|instructions|system)|new\s+instructions\s*:"
    r"|<\|?(im_start|system)\|?>|\[/?(inst|system)\]|^\s*(system|assistant)\s*:"
    r"|as\s+(an?\s+)?(admin|administrator|developer),?\s+i\s+(authorize|order|instruct)",
    re.IGNORECASE | re.MULTILINE,
)


def extract_entities(text: str, *, today: date) -> Entities:
    lowered = text.lower()
    flags = {name: _flag(pattern, lowered) for name, pattern in _FLAGS.items()}
    return Entities(
        order_refs=_order_refs(text),
        emails=tuple(dict.fromkeys(m.lower() for m in _EMAIL_RE.findall(text))),
        dates=find_dates(text, today=today),
        durations=find_durations(text),
        amounts=_amounts(text),
        **flags,
    )


def looks_like_injection(text: str) -> bool:
    """Heuristic: the message tries to rewrite the bot's instructions. For logging and refusal."""
    return _INJECTION_RE.search(text) is not None


def _flag(pattern: re.Pattern[str], lowered: str) -> bool:
    return any(not _NEGATION.search(lowered[: m.start()]) for m in pattern.finditer(lowered))


def _order_refs(text: str) -> tuple[OrderRef, ...]:
    without_emails = _EMAIL_RE.sub(" ", text)
    found: dict[str, tuple[int, OrderRef]] = {}
    for explicit, pattern in _ORDER_PATTERNS:
        for match in pattern.finditer(without_emails):
            number = match["num"]
            if not explicit and _is_other_number(without_emails, match):
                continue
            if number not in found or (explicit and not found[number][1].explicit):
                ref = OrderRef(match.group(0).strip(), number, explicit)
                found[number] = (min(match.start(), found.get(number, (match.start(),))[0]), ref)
    return tuple(ref for _, ref in sorted(found.values(), key=lambda pair: pair[0]))


def _is_other_number(text: str, match: re.Match[str]) -> bool:
    """A bare number given as a phone, zip or price, or exactly ten digits (a phone number:
    the store's order numbers are four digits and marketplace ids are longer)."""
    if _NOT_ORDER_BEFORE.search(text[max(0, match.start() - 30) : match.start()]):
        return True
    return len(match["num"]) in (10, 11) and not text[: match.start()].rstrip().endswith("#")


def _amounts(text: str) -> tuple[Money, ...]:
    amounts = []
    for match in _MONEY_RE.finditer(text):
        raw = match["a"] or match["b"]
        unit = (match["sym"] or match["word"]).lower().rstrip("s")
        amounts.append(Money(match.group(0), Decimal(raw.replace(",", "")), _CURRENCIES[unit]))
    return tuple(amounts)
