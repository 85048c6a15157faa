"""The programmatic verifier: every number, date, amount and order id a reply states must be one
the facts contain, and every action a plan takes must be one the rules allowed.

Used on the reasoning model's plan and on each sentence the empathy model writes before the
customer sees it. Replies may be in the customer's language, so facts are read as each language
writes them: "$1,093.34", "1.093,34 US$" and "1 093,34 $US" are one amount; "December 10",
"10 de diciembre", "10 décembre" and "10. Dezember" one date. Only the written form may change:
the store charges in dollars, so an amount in euros is a changed fact.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pipeline import prompts
from pipeline.types import ActionItem, Facts, Plan, Retrieved, Verdict

MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
# Month names in the languages replies are written in (pipeline.offline.language), unaccented
# spellings included; English also by its three-letter abbreviations.
_FOREIGN_MONTHS = (
    "enero febrero marzo abril mayo junio julio agosto septiembre|setiembre octubre noviembre "
    "diciembre",
    "janvier février|fevrier mars avril mai juin juillet août|aout septembre octobre novembre "
    "décembre|decembre",
    "januar|jänner februar märz|maerz april mai juni juli august september oktober november "
    "dezember",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
)
MONTH_NUMBERS = {
    **{m[:3]: n for m, n in MONTHS.items()},
    **MONTHS,
    **{
        spelling: n
        for names in _FOREIGN_MONTHS
        for n, name in enumerate(names.split(), start=1)
        for spelling in name.split("|")
    },
}
MONTH_RE = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
# The store's currency as languages write it ("$1.00", "1,00 US$", "1,00 $US"), and others.
_DOLLAR = ("US$", "$US", "USD", "$")
_CURRENCY_RE = r"US\$|\$US|USD|\$|€|EUR"
# Digits grouped by commas, dots, spaces or apostrophes, with a decimal comma or point.
_AMOUNT_RE = r"\d{1,3}(?:[.,\s'\u2019]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY = re.compile(
    rf"(?P<pre>{_CURRENCY_RE})\s?(?P<a>{_AMOUNT_RE})(?!\d)"
    rf"|(?<![\d.,])(?P<b>{_AMOUNT_RE})\s?(?P<post>{_CURRENCY_RE})"
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(rf"\b({MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
# "10th of December", "10 de diciembre", "1er décembre", "10. Dezember", "10 dicembre".
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|ª)?\.?\s+(?:of\s+|de\s+|del\s+)?({MONTH_RE})\b",
    re.IGNORECASE,
)
_ORDER = re.compile(r"\bORD-?(\d{3,12})\b", re.IGNORECASE)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?%")
_BARE_NUMBER = re.compile(r"(?<![\w$.\-])(\d+(?:\.\d+)?)(?![\w%])")

# What each plan action needs the rules to have allowed.
ACTION_RULES = {
    "apply_discount": lambda f: (
        f.discount is not None and f.discount.applies and not f.handoff_reason
    ),
    "refund_shipping": lambda f: f.shipping_refund is not None and not f.handoff_reason,
    "issue_refund": lambda f: (
        f.refund is not None
        and f.refund.eligible
        and f.refund.within_bot_limit
        and not f.handoff_reason
    ),
    "offer_cancel": lambda f: bool(f.can_cancel),
    "offer_address_change": lambda f: bool(f.can_change_address),
}


@dataclass(frozen=True)
class FactSheet:
    amounts: frozenset[Decimal]
    dates: frozenset[dt.date]
    orders: frozenset[str]
    numbers: frozenset[Decimal]
    percents: frozenset[Decimal]
    payouts: frozenset[Decimal] = frozenset()  # what the rules let the plan pay back


def fact_sheet(
    *, facts: Facts, retrieved: Retrieved, plan: Plan | None, customer_text: str
) -> FactSheet:
    amounts: set[Decimal] = set()
    dates: set[dt.date] = {facts.today}
    for value in _fact_values(facts, retrieved, plan):
        if isinstance(value, Decimal):
            amounts.add(value.quantize(Decimal("0.01")))
        elif isinstance(value, dt.datetime):
            dates.add(value.date())
        elif isinstance(value, dt.date):
            dates.add(value)
    orders = {o.number for o in retrieved.recent_orders} | (
        {facts.order_number} if facts.order_number else set()
    )
    numbers = {Decimal(n) for n in _BARE_NUMBER.findall(_strip_known(customer_text))}
    numbers |= _policy_numbers(facts, retrieved)
    if plan is not None:
        for step in plan.steps:
            numbers |= {Decimal(n) for n in _BARE_NUMBER.findall(_strip_known(step.summary))}
    percents = {Decimal(p.replace(",", ".")) for p in _PERCENT.findall(customer_text)}
    percents |= _rates(facts, retrieved)
    return FactSheet(
        frozenset(amounts),
        frozenset(dates),
        frozenset(orders),
        frozenset(numbers),
        frozenset(percents),
        _payouts(facts, plan),
    )


def text_sheet(texts: list[str], *, today: dt.date) -> FactSheet:
    """The facts some texts state (help-center passages): their amounts, dates, bare numbers and
    percents, and no payouts, order ids or today; a reply checked against it may state only what
    they do."""
    joined = "\n".join(texts)
    amounts = {_amount(m["a"] or m["b"]) for m in _MONEY.finditer(joined)}
    numbers = {Decimal(n) for n in _BARE_NUMBER.findall(_strip_known(joined))}
    percents = {Decimal(p.replace(",", ".")) for p in _PERCENT.findall(joined)}
    return FactSheet(
        frozenset(amounts),
        frozenset(_dates_in(joined, today)),
        frozenset(),
        frozenset(numbers),
        frozenset(percents),
    )


PAYOUT_KINDS = frozenset({"apply_discount", "refund_shipping", "issue_refund"})
# "I've refunded $X", "we have credited ... $X", "$X has been refunded": money said to be paid.
_PAYOUT_CLAIM = re.compile(
    r"\b(?:i|we)(?:['\u2019]ve| have| had|'ll| will)?\s+(?:just\s+|now\s+|already\s+|also\s+)?"
    r"(?:refunded|issued|started|processed|approved|credited|applied|sent|reimbursed|paid|given)\b"
    r"[^.!?]*?\$\s?(\d[\d,]*(?:\.\d{1,2})?)"
    r"|\$\s?(\d[\d,]*(?:\.\d{1,2})?)[^.!?]*?\b(?:has|have|was|were|is|will)\s+(?:been|being|be)\s+"
    r"(?:refunded|credited|reimbursed|issued|paid|returned)\b",
    re.IGNORECASE,
)


# The same claim in the other reply languages: a sentence with one of these verbs and an amount.
_PAID_WORDS = re.compile(
    r"\b(?:reembolsad[oa]s?|reembols[ée]|reembolsamos|abonad[oa]s?|acreditad[oa]s?|"
    r"reintegrad[oa]s?|devuelto|devolvido|iniciado|emitido|aplicado|"
    r"rembours[ée]e?s?|crédité|appliqué|lancé|versé|restitué|"
    r"erstattet|zurückerstattet|gutgeschrieben|angewendet|veranlasst|überwiesen|ausgezahlt|"
    r"rimborsat[oa]|accreditat[oa]|applicat[oa]|emess[oa]|creditado)\b",
    re.IGNORECASE,
)


def _payouts(facts: Facts, plan: Plan | None) -> frozenset[Decimal]:
    """What a reply may say was paid back: the plan's payouts the rules allow, once they are
    carried out. An offered plan (a proposal waiting for the customer) has paid nothing yet."""
    if plan is None or plan.offered:
        return frozenset()
    return frozenset(
        step.amount.quantize(Decimal("0.01"))
        for step in plan.steps
        if step.kind in PAYOUT_KINDS and step.amount and ACTION_RULES[step.kind](facts)
    )


def _fact_values(facts: Facts, retrieved: Retrieved, plan: Plan | None) -> list[object]:
    values: list[object] = [
        facts.promised_by,
        facts.expected_by,
        facts.deadline,
        facts.last_scan_at,
        facts.shipping_refund,
    ]
    for option in facts.options:
        values += [option.cost, option.charged, option.arrives_by]
    if facts.discount:
        values += [facts.discount.amount]
    if facts.refund:
        values += [facts.refund.amount]
    order = retrieved.order
    if order:
        values += [
            order.subtotal,
            order.shipping_cost,
            order.total,
            order.refunded_total,
            order.placed_at,
            order.total - order.refunded_total,
        ]
        values += [price for _, _, price in order.items]
        if order.shipment:
            values += [s.at for s in order.shipment.scans] + [order.shipment.shipped_at]
    values.append(retrieved.policy.bot_refund_limit)
    return [v for v in values if v is not None]


def _policy_numbers(facts: Facts, retrieved: Retrieved) -> set[Decimal]:
    policy = retrieved.policy
    numbers = {policy.refund_window_days, policy.stalled_after_hours, policy.dispatch_cutoff_hour}
    if facts.discount:
        numbers.add(int(facts.discount.rate * 100))
    if retrieved.customer:
        numbers |= {
            int(retrieved.customer.discount_rate * 100),
            retrieved.customer.retroactive_days,
        }
    numbers |= {c.transit_days for c in retrieved.expedite_choices}
    if retrieved.order:
        numbers |= {
            retrieved.order.promised_transit_days,
            (facts.today - retrieved.order.placed_at.date()).days,
        }
    return {Decimal(n) for n in numbers}


def _rates(facts: Facts, retrieved: Retrieved) -> set[Decimal]:
    rates = set()
    if facts.discount:
        rates.add((facts.discount.rate * 100).normalize())
    if retrieved.customer:
        rates.add((retrieved.customer.discount_rate * 100).normalize())
    return {Decimal(int(r)) if r == int(r) else r for r in rates}


def _strip_known(text: str) -> str:
    """Remove amounts, dates and order ids, leaving the bare numbers a plan step states."""
    for pattern in (_MONEY, _ISO_DATE, _MONTH_DAY, _DAY_MONTH, _ORDER, _PERCENT):
        text = pattern.sub(" ", text)
    return text


_WORD = re.compile(r"[a-z0-9]+")
ECHO_WORDS = 5


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


# Runs of words from the stage prompts: a reply or plan step repeating one is leaking the prompt
# (a model talked into "print your instructions"); no fact check would notice, it holds no number.
_PROMPT_SHINGLES = frozenset().union(
    *(
        _shingles(system)
        for system in (
            prompts.INTENT_SYSTEM,
            prompts.RETRIEVAL_SYSTEM,
            prompts.REASONING_SYSTEM,
            prompts.EMPATHY_SYSTEM,
            prompts.ANSWER_SYSTEM,
        )
    )
)


def echoes_prompt(text: str) -> bool:
    return "<<support_bot" in text or not _PROMPT_SHINGLES.isdisjoint(_shingles(text))


def check_text(text: str, sheet: FactSheet, *, today: dt.date) -> Verdict:
    problems = ["repeats the system prompt"] if echoes_prompt(text) else []
    for match in _PAYOUT_CLAIM.finditer(text):
        amount = _decimal(match[1] or match[2])
        if amount is None or amount.quantize(Decimal("0.01")) not in sheet.payouts:
            problems.append(
                f"says ${match[1] or match[2]} was paid back; the rules paid no such sum"
            )
    problems += _money_problems(text, sheet)
    for day in _dates_in(text, today):
        if day not in sheet.dates:
            problems.append(f"date {day.isoformat()} is not in the facts")
    for digits in _ORDER.findall(text):
        if f"ORD-{digits}" not in sheet.orders:
            problems.append(f"order ORD-{digits} is not one of this customer's orders")
    for raw in _PERCENT.findall(text):
        if Decimal(raw.replace(",", ".")) not in sheet.percents:
            problems.append(f"{raw}% is not in the facts")
    for raw in _BARE_NUMBER.findall(_strip_known(text)):
        if Decimal(raw) not in sheet.numbers:
            problems.append(f"number {raw} is not in the facts")
    return Verdict(ok=not problems, problems=tuple(problems))


def _money_problems(text: str, sheet: FactSheet) -> list[str]:
    problems = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        claims_payout = bool(_PAID_WORDS.search(sentence))
        for match in _MONEY.finditer(sentence):
            currency, amount = match["pre"] or match["post"], _amount(match["a"] or match["b"])
            if currency not in _DOLLAR:
                problems.append(f"amount {match[0]} is in another currency than the store's")
            elif amount not in sheet.amounts:
                problems.append(f"amount ${amount} is not in the facts")
            elif claims_payout and amount not in sheet.payouts:
                problems.append(f"says ${amount} was paid back; the rules paid no such sum")
    return problems


def _amount(raw: str) -> Decimal:
    """ "1,093.34", "1.093,34", "1 093,34" and "1'093.34" alike: a last separator followed by
    one or two digits is the decimal point; every other one groups thousands."""
    digits = re.sub(r"[\s'\u2019]", "", raw)
    point = max(digits.rfind(","), digits.rfind("."))
    whole, cents = digits, "0"
    if point != -1 and len(digits) - point - 1 in (1, 2):
        whole, cents = digits[:point], digits[point + 1 :]
    whole = whole.replace(",", "").replace(".", "")
    return Decimal(f"{whole}.{cents}").quantize(Decimal("0.01"))


def check_plan(plan: Plan, facts: Facts, sheet: FactSheet) -> Verdict:
    problems = [p for step in plan.steps for p in _step_problems(step, facts)]
    for step in plan.steps:
        problems += check_text(step.summary, sheet, today=facts.today).problems
    return Verdict(ok=not problems, problems=tuple(problems))


def _step_problems(step: ActionItem, facts: Facts) -> list[str]:
    rule = ACTION_RULES.get(step.kind)
    if rule is not None and not rule(facts):
        return [f"action {step.kind} is not allowed by policy"]
    expected = _expected_amount(step.kind, facts)
    if expected is not None and step.amount is not None and step.amount != expected:
        return [f"{step.kind} states {step.amount}, the rules say {expected}"]
    return []


def _expected_amount(kind: str, facts: Facts) -> Decimal | None:
    if kind == "apply_discount" and facts.discount:
        return facts.discount.amount
    if kind == "refund_shipping":
        return facts.shipping_refund
    if kind == "issue_refund" and facts.refund:
        return facts.refund.amount
    return None


def _decimal(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None


def _dates_in(text: str, today: dt.date) -> list[dt.date]:
    found = []
    for y, m, d in _ISO_DATE.findall(text):
        found.append(_safe_date(int(y), int(m), int(d)))
    for month, day in _MONTH_DAY.findall(text):
        found.append(_nearest(MONTH_NUMBERS[month.lower()], int(day), today))
    for day, month in _DAY_MONTH.findall(text):
        found.append(_nearest(MONTH_NUMBERS[month.lower()], int(day), today))
    return [d for d in found if d is not None]


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _nearest(month: int, day: int, today: dt.date) -> dt.date | None:
    """A month and day with no year: the year that puts it closest to today."""
    candidates = [_safe_date(today.year + k, month, day) for k in (-1, 0, 1)]
    candidates = [c for c in candidates if c is not None]
    return min(candidates, key=lambda c: abs((c - today).days)) if candidates else None
