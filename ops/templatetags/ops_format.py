"""Number formats the ops pages share, as people read them: percentages with one decimal,
durations in ms or s with sensible precision, money with two decimals, waits in s, min or h."""

from __future__ import annotations

from decimal import Decimal

from django import template

from pipeline.display import duration_text

register = template.Library()
DASH = "-"


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


@register.filter
def ms(value: float | None) -> str:
    return duration_text(value)


@register.filter
def usd(value: float | Decimal | None) -> str:
    """Two decimals; an amount above zero that rounds to nothing says so rather than $0.00."""
    if value is None:
        return DASH
    amount = float(value)
    if 0 < amount < 0.005:
        return "under $0.01"
    return f"${amount:,.2f}"


@register.filter
def score(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} / 5"


@register.filter
def wait(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    minutes = seconds / 60
    if minutes < 1:
        return f"{seconds:.0f} s"
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


@register.filter
def cost_per_k(part: float, split: object) -> str:
    """A cost part over the period's requests, per thousand requests (split: CostSplit)."""
    each = split.per_request(part)
    return usd(None if each is None else each * 1000)


@register.filter
def per_k(row: object) -> str:
    """A ledger row's cost per thousand requests."""
    each = row.per_request
    return usd(None if each is None else each * 1000)


@register.filter
def thousands(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"
