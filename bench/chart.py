"""bench-latency.png: p50/p95/p99 latency against concurrency, one panel per section that has
concurrency levels. matplotlib is imported here only, when a chart is drawn, so nothing else in
the app pays for it.

A section has levels when some dict in its report is keyed by concurrency ("1", "50", "200")
with a p50/p95/p99 group under each level (directly, or one key down: one series per key). The
live section runs two closed loops at different numbers of chats: its reply end to end at each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import is_triple

Levels = dict[int, dict[str, float]]  # concurrency -> {"p50_ms": ..., "p95_ms": ..., "p99_ms": ...}
PERCENTILES = (("p50_ms", "-", "p50"), ("p95_ms", "--", "p95"), ("p99_ms", ":", "p99"))


@dataclass
class Panel:
    title: str
    xlabel: str
    series: dict[str, Levels] = field(default_factory=dict)


def _levelled(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.isdigit() for k in value)


def _series_in(levels: dict[str, Any], name: str) -> Iterator[tuple[str, Levels]]:
    if all(is_triple(v) for v in levels.values()):
        yield name, {int(k): v for k, v in levels.items()}
        return
    first = next(iter(levels.values()))
    for key in first if isinstance(first, dict) else ():
        found = {int(k): v[key] for k, v in levels.items() if is_triple(v.get(key))}
        if found:
            yield f"{name} {key}".strip(), found


def _find(figures: dict[str, Any], name: str = "") -> Iterator[tuple[str, Levels]]:
    for key, value in figures.items():
        if _levelled(value):
            yield from _series_in(value, key if key != "levels" else name)
        elif isinstance(value, dict) and not is_triple(value):
            yield from _find(value, key)


def _live(figures: dict[str, Any]) -> Panel | None:
    loops = [figures.get("sustained"), figures.get("ttft_saturated", {}).get("loop")]
    levels = {
        loop["chats"]: loop["end_to_end"]
        for loop in loops
        if isinstance(loop, dict) and loop.get("end_to_end", {}).get("n")
    }
    if not levels:
        return None
    return Panel("live: one Daphne, reply end to end", "chats in a closed loop", {"reply": levels})


def panels(report: dict[str, Any]) -> list[Panel]:
    found = []
    for section, figures in report["sections"].items():
        if not isinstance(figures, dict) or "error" in figures or "skipped" in figures:
            continue
        series = dict(_find(figures))
        if series:
            found.append(Panel(section, "concurrency", series))
        elif section == "live" and (panel := _live(figures)):
            found.append(panel)
    return found


def draw(report: dict[str, Any], path: Path) -> Path | None:
    """Write the chart; None (and no file) when no section has concurrency levels."""
    chosen = panels(report)
    if not chosen:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(
        1, len(chosen), figsize=(6.5 * len(chosen), 5), squeeze=False, layout="constrained"
    )
    for axis, panel in zip(axes[0], chosen, strict=True):
        _plot(axis, panel)
    mode = "quick run" if report.get("quick") else "full run"
    figure.suptitle(f"Latency against concurrency ({mode}, {report['machine']['cores']} cores)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def _plot(axis: Any, panel: Panel) -> None:
    """Colour tells the series, line style the percentile: 3 legend entries + one per series."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator

    handles = []
    for index, (name, levels) in enumerate(panel.series.items()):
        colour, xs = f"C{index % 10}", sorted(levels)
        for key, style, _ in PERCENTILES:
            ys = [max(levels[x][key], 0.01) for x in xs]  # a log axis cannot show 0
            axis.plot(xs, ys, style, marker="o", markersize=4, color=colour)
        handles.append(Line2D([], [], color=colour, marker="o", label=name))
    handles += [Line2D([], [], color="black", linestyle=s, label=t) for _, s, t in PERCENTILES]
    levels_seen = sorted({x for levels in panel.series.values() for x in levels})
    axis.set_title(panel.title)
    axis.set_xlabel(panel.xlabel)
    values = [v[k] for ls in panel.series.values() for v in ls.values() for k, _, _ in PERCENTILES]
    if max(values) < 10 * max(min(values), 0.01):
        # Within one decade a log axis has no tick to label: a linear one from 0 reads better.
        axis.set_ylabel("latency, ms")
        axis.set_ylim(bottom=0, top=max(values) * 1.1)
    else:
        axis.set_ylabel("latency, ms (log scale)")
        axis.set_yscale("log")
        axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.yaxis.set_minor_formatter(NullFormatter())
    if len(levels_seen) > 1:
        axis.set_xscale("log")
    axis.set_xticks(levels_seen, [str(x) for x in levels_seen])
    axis.xaxis.set_minor_locator(NullLocator())
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(handles=handles, fontsize=7, loc="upper left")
