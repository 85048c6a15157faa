"""Number formats the ops pages share: percentages, milliseconds, dollars, waits."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()
DASH = "-"


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


@register.filter
def ms(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value / 1000:,.2f} s" if value >= 1000 else f"{value:,.0f} ms"


@register.filter
def usd(value: float | Decimal | None, digits: int = 4) -> str:
    return DASH if value is None else f"${float(value):,.{digits}f}"


@register.filter
def wait(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    minutes = seconds / 60
    if minutes < 1:
        return f"{seconds:.0f} s"
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


@register.filter
def cost_per(part: float, split: object) -> str:
    """A cost part divided over the period's requests (split: ops.dashboard.CostSplit)."""
    return usd(split.per_request(part), 6)


@register.filter
def cost_per_k(part: float, split: object) -> str:
    each = split.per_request(part)
    return usd(None if each is None else each * 1000, 2)
