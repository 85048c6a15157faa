"""Server-rendered inline SVG charts for the dashboard: no JavaScript, no CDN, nothing to build.

Every label is escaped here (labels can hold intents or reasons that came from model output);
numbers are formatted by us. Each chart carries a <title> and role="img" for screen readers,
and the page shows the same figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

BAR_COLOURS = ("#417690", "#79aec8", "#c0504d", "#9bbb59", "#8064a2")


def bar_chart(
    items: Sequence[tuple[str, float, str]], *, title: str, width: int = 460
) -> SafeString:
    """Horizontal bars: (label, value, caption) each; bars scale to the largest value."""
    row_h, label_w, pad = 30, 90, 6
    height = max(1, len(items)) * row_h + pad
    peak = max((value for _, value, _ in items), default=0) or 1
    bar_room = width - label_w - 150
    parts = []
    for index, (label, value, caption) in enumerate(items):
        y = pad + index * row_h
        bar_w = max(0.0, value / peak * bar_room)
        colour = BAR_COLOURS[index % len(BAR_COLOURS)]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 10}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(caption)}</title></rect>'
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 17}">{escape(caption)}</text>'
        )
    return _svg(title, width, height, "".join(parts))


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: str = "${:,.2f}",
    width: int = 460,
    height: int = 160,
) -> SafeString:
    """A line over (label, value) points in order, with the first, last and peak labelled."""
    if not points:
        return format_html('<p class="ops-empty">{}</p>', "No data in this period.")
    left, right, top, bottom = 56, 12, 14, 26
    peak = max(value for _, value in points) or 1
    step = (width - left - right) / max(1, len(points) - 1)
    coords = [
        (left + i * step, top + (1 - value / peak) * (height - top - bottom))
        for i, (_, value) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#417690"><title>'
        f"{escape(label)}: {escape(value_format.format(value))}</title></circle>"
        for (x, y), (label, value) in zip(coords, points, strict=True)
    )
    base = height - bottom
    axis = (
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#999"/>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">'
        f"{escape(value_format.format(peak))}</text>"
        f'<text x="{left - 6}" y="{base}" text-anchor="end">{escape(value_format.format(0))}</text>'
        f'<text x="{left}" y="{height - 8}">{escape(points[0][0])}</text>'
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end">'
        f"{escape(points[-1][0])}</text>"
    )
    body = f'{axis}<polyline points="{line}" fill="none" stroke="#417690" stroke-width="2"/>{dots}'
    return _svg(title, width, height, body)


def _svg(title: str, width: int, height: int, body: str) -> SafeString:
    # Every interpolated string above went through escape(); numbers are ours.
    return mark_safe(
        f'<svg class="ops-chart" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="sans-serif" font-size="12"><title>{escape(title)}</title>{body}</svg>'
    )
