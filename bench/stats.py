"""Percentiles as every section reports them: nearest rank, milliseconds, rounded."""

from __future__ import annotations

from typing import Any


def percentile(ordered: list[float], q: float) -> float:
    """q in [0, 1] of an already sorted list; 0.0 for an empty one."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def percentiles_ms(values: list[float], digits: int = 2) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50), digits),
        "p95_ms": round(percentile(ordered, 0.95), digits),
        "p99_ms": round(percentile(ordered, 0.99), digits),
        "max_ms": round(ordered[-1], digits) if ordered else 0.0,
    }
