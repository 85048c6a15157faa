"""Dates and durations in customer text, resolved against a given ``today``.

A date's role comes from the words just before it: "need it by", "for", "birthday on"
make it a deadline (resolved into the future); "ordered", "placed", "bought on" make
it an order date (resolved into the past). A month and day without a year takes the
year that fits the role, or the nearest one when there is no role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple of": 2,
    "few": 3,
}
UNIT_DAYS = {"day": 1, "week": 7, "month": 30}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>20\d\d))?"
_COUNT = r"(?P<count>\d+|" + "|".join(NUMBER_WORDS) + r")"
_UNIT = r"(?P<unit>day|week|month)s?"

_DATE_PATTERNS = (
    ("month_day", re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}")),
    ("day_month", re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}")),
    ("iso", re.compile(r"\b(?P<year>20\d\d)-(?P<month>\d\d?)-(?P<day>\d\d?)\b")),
    (
        "numeric",
        re.compile(
            r"(?<![\d/#])(?!24/7\b)(?P<a>\d\d?)/(?P<b>\d\d?)(?:/(?P<year>(?:20)?\d\d))?(?![\d/])"
        ),
    ),
    (
        "relative_word",
        re.compile(r"\b(?P<word>day after tomorrow|tomorrow|today|tonight|yesterday)\b"),
    ),
    (
        "weekday",
        re.compile(
            r"\b(?:(?P<which>next|this|last|on|coming)\s+)?(?P<weekday>"
            + "|".join(WEEKDAYS)
            + r")\b"
        ),
    ),
    ("in_offset", re.compile(rf"\b(?:in|within)\s+(?:the\s+next\s+)?{_COUNT}\s+{_UNIT}\b")),
    ("ago", re.compile(rf"\b{_COUNT}\s+{_UNIT}\s+ago\b")),
    ("next_week", re.compile(r"\bnext\s+(?P<span>week|month)\b")),
    ("last_week", re.compile(r"\blast\s+(?P<span>week|month)\b")),
)
_DURATION_RE = re.compile(rf"\b{_COUNT}\s+{_UNIT}\b(?!\s+ago)")
_DURATION_CONTEXT = re.compile(
    r"(been|waiting|waited|over|for|almost|nearly|already|it took|past)\s+$"
)

_DEADLINE_CUES = re.compile(
    r"\b(by|before|for|until|till|need(?:ed)? it|due|deadline|birthday|wedding|anniversary|"
    r"party|event|arrive|arrives|deliver(?:ed)?|no later than|latest)\b"
)
_ORDER_CUES = re.compile(
    r"\b(ordered|order(?:ed)? it|placed|bought|purchased|paid|order was|checkout)\b"
)
# Words that put a date in the past even when it was a deadline: "was supposed to arrive
# friday", "hasn't moved since monday", "it came on tuesday".
_PAST_CUES = re.compile(
    r"\b(was|were|should have|supposed to|since|did|had|got|came|arrived|received|shipped|"
    r"dispatched|returned|sent|happened|ordered|placed|bought|paid)\b"
)


@dataclass(frozen=True)
class DateMention:
    text: str
    value: date
    role: str  # "deadline", "order_date" or "mentioned"


@dataclass(frozen=True)
class Duration:
    text: str
    days: int


def find_dates(text: str, *, today: date) -> tuple[DateMention, ...]:
    lowered = text.lower()
    taken: list[range] = []
    found: list[tuple[int, DateMention]] = []
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(lowered):
            span = range(match.start(), match.end())
            if any(_overlaps(span, other) for other in taken):
                continue
            role = _role(lowered[: match.start()], kind)
            past = _in_past(lowered[: match.start()], role)
            value = _resolve(kind, match, role=role, past=past, today=today)
            if value is not None:
                taken.append(span)
                found.append(
                    (match.start(), DateMention(text[span.start : span.stop], value, role))
                )
    return tuple(mention for _, mention in sorted(found, key=lambda pair: pair[0]))


def find_durations(text: str) -> tuple[Duration, ...]:
    """Elapsed spans such as "it's been 12 days" or "waiting for two weeks"."""
    lowered = text.lower()
    durations = []
    for match in _DURATION_RE.finditer(lowered):
        before = lowered[max(0, match.start() - 20) : match.start()]
        if _DURATION_CONTEXT.search(before):
            days = _count(match["count"]) * UNIT_DAYS[match["unit"]]
            durations.append(Duration(text[match.start() : match.end()], days))
    return tuple(durations)


def _overlaps(a: range, b: range) -> bool:
    return a.start < b.stop and b.start < a.stop


def _role(before: str, kind: str) -> str:
    if kind == "ago":
        return "order_date" if _ORDER_CUES.search(before[-40:]) else "mentioned"
    clause = re.split(r"[.!?;]\s", before)[-1][-45:]
    deadline = [m.end() for m in _DEADLINE_CUES.finditer(clause)]
    ordered = [m.end() for m in _ORDER_CUES.finditer(clause)]
    if not deadline and not ordered:
        return "mentioned"
    # The cue nearest the date decides: "ordered on Nov 28 ... for the 10th".
    return "deadline" if max(deadline, default=-1) > max(ordered, default=-1) else "order_date"


def _in_past(before: str, role: str) -> bool:
    """Whether an undated weekday points back in time: an order date always does, a
    deadline only when the clause says it was missed, a bare mention when its verb is past."""
    if role == "order_date":
        return True
    clause = re.split(r"[.!?;]\s|\bbut\b|\band\b", before)[-1][-45:]
    return _PAST_CUES.search(clause) is not None


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else NUMBER_WORDS[raw]


def _resolve(kind: str, match: re.Match[str], *, role: str, past: bool, today: date) -> date | None:
    groups = match.groupdict()
    if kind in ("month_day", "day_month"):
        return _calendar(MONTHS[groups["month"]], int(groups["day"]), groups["year"], role, today)
    if kind == "iso":
        return _calendar(int(groups["month"]), int(groups["day"]), groups["year"], role, today)
    if kind == "numeric":
        month, day = int(groups["a"]), int(groups["b"])
        if month > 12:  # "28/11" can only be day/month
            month, day = day, month
        return _calendar(month, day, groups["year"], role, today)
    return _resolve_relative(kind, groups, today, past=past)


def _resolve_relative(
    kind: str, groups: dict[str, str | None], today: date, *, past: bool
) -> date | None:
    if kind == "relative_word":
        offsets = {
            "today": 0,
            "tonight": 0,
            "tomorrow": 1,
            "yesterday": -1,
            "day after tomorrow": 2,
        }
        return today + timedelta(days=offsets[str(groups["word"])])
    if kind == "weekday":
        which = groups["which"]
        if past and which in (None, "on"):
            which = "last"
        return _weekday(WEEKDAYS.index(str(groups["weekday"])), which, today)
    if kind in ("in_offset", "ago"):
        days = _count(str(groups["count"])) * UNIT_DAYS[str(groups["unit"])]
        return today + timedelta(days=days if kind == "in_offset" else -days)
    if kind in ("next_week", "last_week"):
        days = 7 if groups["span"] == "week" else 30
        return today + timedelta(days=days if kind == "next_week" else -days)
    return None


def _weekday(target: int, which: str | None, today: date) -> date:
    """ "friday"/"next friday": the first Friday after today; "last friday": the latest before."""
    if which == "last":
        return today - timedelta(days=(today.weekday() - target - 1) % 7 + 1)
    if which == "this" and today.weekday() == target:
        return today
    return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)


def _calendar(month: int, day: int, year: str | None, role: str, today: date) -> date | None:
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(full, month, day)
    candidates = [
        d
        for y in (today.year - 1, today.year, today.year + 1)
        if (d := _safe_date(y, month, day)) is not None
    ]
    if role == "deadline":
        future = [d for d in candidates if d >= today]
        return min(future) if future else None
    if role == "order_date":
        past = [d for d in candidates if d <= today]
        return max(past) if past else None
    return min(candidates, key=lambda d: abs((d - today).days)) if candidates else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
