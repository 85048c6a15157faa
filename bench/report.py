"""The results table: one row per headline figure (section, figure, value, target, met?).

Each known section has an extractor that picks its headline figures out of its report. A section
may instead carry its own rows under "headline" (a list of {"figure", "value", "target", "met"});
any other section gets generic rows: every p50/p95/p99 group, every rate, every target verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

OURS = "gateway (httpx + aiohttp transport)"  # as bench.sections.client names it
GENERIC_ROWS_MAX = 12


@dataclass(frozen=True)
class Row:
    section: str
    figure: str
    value: str
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else ("yes" if self.met else "no")


def triple(figures: dict[str, Any]) -> str:
    """p50 / p95 / p99 in ms, as every latency cell reads."""
    return f"{_num(figures['p50_ms'])} / {_num(figures['p95_ms'])} / {_num(figures['p99_ms'])} ms"


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def is_triple(value: Any) -> bool:
    return isinstance(value, dict) and {"p50_ms", "p95_ms", "p99_ms"} <= set(value)


# One extractor per known section.


def _client(figures: dict[str, Any]) -> Iterator[Row]:
    verdict, targets = figures["at_200_streams"], figures["at_200_streams"]["targets"]
    ours = figures["clients"][OURS]
    sdk = figures["clients"]["openai SDK"]["200"]["requests_per_s"]
    yield Row(
        "client",
        "gateway streams/s, 200 concurrent",
        f"{_num(verdict['requests_per_s'])}/s",
        f">= 5x openai SDK ({_num(sdk)}/s)",
        targets["x5_sdk"],
    )
    yield Row(
        "client",
        "share of the protocol ceiling (raw aiohttp + JSON)",
        _num(verdict["share_of_protocol_ceiling"]),
        ">= 0.6",
        targets["60pct_of_ceiling"],
    )
    for level in ours:
        target, met = ("p99 < 150 ms", targets["p99_under_150ms"]) if level == "200" else ("", None)
        yield Row(
            "client", f"gateway latency, {level} concurrent", triple(ours[level]), target, met
        )
    yield Row(
        "client",
        "pool timeouts, 200 concurrent",
        _num(verdict["pool_timeouts"]),
        "0",
        targets["zero_pool_timeouts"],
    )


def _pipeline(figures: dict[str, Any]) -> Iterator[Row]:
    remote = figures["fake_server_zero_latency"]
    overhead = remote["overhead"]
    yield Row(
        "pipeline",
        "overhead per message (fake server, zero latency)",
        triple(overhead),
        "p50 < 10 ms",
        overhead["p50_ms"] < 10,
    )
    yield Row(
        "pipeline",
        "overhead per message (offline engine)",
        triple(figures["offline_engine"]["overhead"]),
    )
    for name, lane in remote.items():
        if name.startswith("lane:"):
            yield Row("pipeline", f"whole run, {name[5:]} lane (n={lane['n']})", triple(lane))


def _live(figures: dict[str, Any]) -> Iterator[Row]:
    held, loop = figures["connections"], figures["sustained"]
    paced, saturated = figures["ttft_paced"], figures["ttft_saturated"]
    targets = figures["targets"]
    yield Row(
        "live",
        "widget sockets held by one Daphne",
        f"{_num(held['held'])} of {_num(held['attempted'])}, {_num(held['kib_per_connection'])} KiB each",
        "10,000 at < 60 KiB each",
        targets["10k_connections_under_60kib"],
    )
    yield Row(
        "live",
        f"replies/s, {loop['chats']} chats in a closed loop",
        f"{_num(loop['replies_per_s'])}/s, {loop['lost']} lost",
        ">= 200/s, 0 lost",
        targets["200_replies_per_s_zero_lost"],
    )
    yield Row("live", f"reply end to end, {loop['chats']} chats", triple(loop["end_to_end"]))
    yield Row(
        "live",
        f"time to first token added by the app, {paced['loop']['chats']} chats paced like people",
        triple(paced["app_added"]),
        "p50 < 30 ms, p99 < 100 ms",
        targets["ttft_paced_p50_under_30ms"] and targets["ttft_paced_p99_under_100ms"],
    )
    yield Row(
        "live",
        f"time to first token added by the app, {saturated['loop']['chats']} chats saturating",
        triple(saturated["app_added"]),
    )


def _celery(figures: dict[str, Any]) -> Iterator[Row]:
    latency, targets, setup = figures["enqueue_to_start"], figures["targets"], figures["setup"]
    rate = setup["rate_per_s"]
    yield Row(
        "celery",
        f"enqueue-to-start at {_num(rate)} tasks/s ({setup['pool']} pool, "
        f"--concurrency {setup['concurrency']})",
        triple(latency),
        "p50 < 10 ms, p99 < 100 ms",
        targets["p50_under_10ms"] and targets["p99_under_100ms"],
    )
    yield Row(
        "celery",
        "tasks enqueued / lost",
        f"{_num(figures['enqueued_per_s'])}/s, {figures['lost']} lost of {_num(figures['sent'])}",
        f"{_num(rate)}/s, 0 lost",
        targets["zero_lost"],
    )


def _dashboard(figures: dict[str, Any]) -> Iterator[Row]:
    traces = figures["setup"]["traces"]
    for key in ("dashboard_7_days", "dashboard_30_days", "ledger_7_days"):
        judged = key == "dashboard_7_days"  # the section's target is on the default period
        yield Row(
            "dashboard",
            f"{key.replace('_', ' ')} page, {_num(traces)} traces",
            triple(figures[key]),
            figures["target"] if judged else "",
            figures["met"] if judged else None,
        )


EXTRACTORS: dict[str, Callable[[dict[str, Any]], Iterator[Row]]] = {
    "client": _client,
    "pipeline": _pipeline,
    "live": _live,
    "dashboard": _dashboard,
    "celery": _celery,
}


# Any other section.


def _walk(figures: dict[str, Any], path: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in figures.items():
        if key in {"setup", "duration_s"}:
            continue
        name = f"{path} {key}".strip()
        yield name, value
        if isinstance(value, dict) and not is_triple(value) and key != "targets":
            yield from _walk(value, name)


def _generic(section: str, figures: dict[str, Any]) -> Iterator[Row]:
    if isinstance(figures.get("met"), bool):  # one verdict for the whole section
        yield Row(section, "target", "", str(figures.get("target", "")), figures["met"])
    count = 0
    for name, value in _walk(figures):
        if count >= GENERIC_ROWS_MAX:
            return
        if is_triple(value):
            yield Row(section, name, triple(value))
        elif name.endswith("_per_s") and isinstance(value, int | float):
            yield Row(section, name, f"{_num(value)}/s")
        elif name.split()[-1] == "targets" and isinstance(value, dict):
            for target, met in value.items():
                if isinstance(met, bool):
                    yield Row(section, "target", "", target.replace("_", " "), met)
        else:
            continue
        count += 1


def _own(section: str, rows: list[dict[str, Any]]) -> Iterator[Row]:
    for row in rows:
        met = row.get("met")
        yield Row(
            section,
            str(row["figure"]),
            str(row.get("value", "")),
            str(row.get("target", "")),
            met if isinstance(met, bool) else None,
        )


def section_rows(section: str, figures: dict[str, Any]) -> list[Row]:
    if "error" in figures:
        return [Row(section, "failed", str(figures["error"]), "", False)]
    if "skipped" in figures:
        return [Row(section, "skipped", str(figures["skipped"]))]
    if isinstance(figures.get("headline"), list):
        return list(_own(section, figures["headline"]))
    extractor = EXTRACTORS.get(section)
    if extractor is not None:
        try:
            return list(extractor(figures))
        except (KeyError, TypeError):
            pass  # the section changed shape: the generic rows still say something true
    found = list(_generic(section, figures))
    # A section whose figures none of the rules read still gets its line in the table.
    return found or [Row(section, "ran", f"{figures.get('duration_s', '?')} s, see bench.json")]


def rows(report: dict[str, Any]) -> list[Row]:
    return [
        row for name, figures in report["sections"].items() for row in section_rows(name, figures)
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(report: dict[str, Any]) -> str:
    lines = ["| section | figure | value | target | met? |", "| --- | --- | --- | --- | --- |"]
    for row in rows(report):
        cells = (row.section, row.figure, row.value, row.target or "—", row.verdict)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def markdown(report: dict[str, Any], chart_name: str | None) -> str:
    """bench.md: what ran, on what, with which settings, and the table."""
    machine = report["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    parts = [
        "# Benchmark results",
        "",
        f"Run at {report['started_at']} ({'quick' if report['quick'] else 'full'} run, "
        f"{report['duration_s']} s): `{report['command']}`.",
        "",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GiB, "
        f"{machine['os']}, Python {machine['python']}; load average at start "
        f"{machine['load_average_at_start']}; one-core probe {machine.get('cpu_probe_ms')} ms "
        "(`bench.machine.cpu_probe_ms`: a fixed workload, lower is faster; compare runs from "
        "different days by it).",
        "",
        f"Packages: {packages}.",
        "",
        "Settings: `" + json.dumps(report["settings"], default=str) + "`",
        "",
        "p50 / p95 / p99 in milliseconds; rates per second.",
        "",
        table(report),
        "",
        "## What each section ran with",
        "",
    ]
    for name, figures in report["sections"].items():
        setup = figures.get("setup", {})
        parts.append(
            f"- **{name}** ({figures.get('duration_s', '?')} s): `"
            + json.dumps(setup, default=str)
            + "`"
        )
    if chart_name:
        parts += ["", f"![latency against concurrency]({chart_name})"]
    return "\n".join(parts) + "\n"
