"""How trace figures read on the admin and ops pages."""

from __future__ import annotations


def duration_text(ms: float | None) -> str:
    """Milliseconds as people read them: 784 ms, 4.2 ms, 1.35 s, 45.0 s; never 783.7087049999809."""
    if ms is None:
        return "-"
    if ms >= 10_000:
        return f"{ms / 1000:,.1f} s"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"
