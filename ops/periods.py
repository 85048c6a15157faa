"""The reporting period the dashboard and the ledger read, and the small statistics they share.

Kept apart from the queries so both pages parse a period the same way and tests can build one
by hand.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone

DAY_CHOICES = (1, 7, 14, 30, 90)
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    days: int

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC"


def period_last(days: int, *, now: dt.datetime | None = None) -> Period:
    end = now or timezone.now()
    return Period(start=end - dt.timedelta(days=days), end=end, days=days)


def period_from_query(params: Mapping[str, str], *, now: dt.datetime | None = None) -> Period:
    """`?days=7` (one of DAY_CHOICES) ending now, or ending at `?until=YYYY-MM-DD` (that whole
    day included). Anything unparseable falls back to the default rather than erroring."""
    try:
        days = int(params.get("days", DEFAULT_DAYS))
    except ValueError:
        days = DEFAULT_DAYS
    days = days if days in DAY_CHOICES else DEFAULT_DAYS
    end = now or timezone.now()
    until = params.get("until", "")
    if until:
        try:
            day = dt.date.fromisoformat(until)
        except ValueError:
            day = None
        if day is not None:
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return period_last(days, now=end)


def percentile_cont(ordered: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont on an already sorted list: linear interpolation between the
    two values around position (n - 1) * fraction, so both databases report the same figure."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


_SIGNATURE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I), "<id>"),
    (re.compile(r"\bORD-?\d+\b", re.I), "ORD-<n>"),
    (re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?"), "$<amount>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.+Z-]+)?"), "<date>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def signature(text: str, *, limit: int = 120) -> str:
    """An error or reason with the parts that differ per occurrence (ids, amounts, dates,
    counts) replaced, so the same failure groups together."""
    normalised = text.strip().lower()
    for pattern, replacement in _SIGNATURE_RULES:
        normalised = pattern.sub(replacement, normalised)
    return normalised.strip()[:limit]
