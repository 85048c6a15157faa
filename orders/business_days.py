"""Business-day arithmetic shared by the demo data and the policy engine (Monday to Friday)."""

from __future__ import annotations

import datetime as dt


def add_business_days(start: dt.date, days: int) -> dt.date:
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def next_business_day(day: dt.date) -> dt.date:
    return day if day.weekday() < 5 else add_business_days(day, 1)
