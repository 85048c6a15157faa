"""The `celery` bench section (a real worker on Redis), the results table and the chart."""

from __future__ import annotations

import json
import struct
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.test import override_settings

from bench.chart import draw
from bench.registry import BenchContext
from bench.report import OURS, rows, table
from bench.sections.celery import SKIP_NO_REDIS, CeleryParams, Sample, _figures, celery_section

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking it is a PNG at all."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def level(p50: float, p95: float, p99: float) -> dict[str, float]:
    return {"p50_ms": p50, "p95_ms": p95, "p99_ms": p99}


def test_without_redis_the_section_says_why_it_skips():
    with override_settings(REDIS_URL=""):
        figures = celery_section(BenchContext(quick=True))
    assert figures == {"skipped": SKIP_NO_REDIS}
    assert "REDIS_URL is unset" in SKIP_NO_REDIS


def test_missing_and_repeated_tasks_are_counted_and_fail_the_target():
    samples = [Sample(seq, 100.0 + seq, 100.0 + seq + 0.002) for seq in (0, 1, 2, 2)]
    figures = _figures(CeleryParams(seconds=0.05), samples, 5, 0.05, [0.1] * 5, 1.0)
    assert figures["sent"] == 5 and figures["started"] == 3
    assert figures["lost"] == 2 and figures["duplicates"] == 1
    assert figures["enqueue_to_start"]["p50_ms"] == pytest.approx(2.0, abs=0.01)
    assert figures["targets"] == {
        "p50_under_10ms": True,
        "p99_under_100ms": True,
        "zero_lost": False,
    }


@pytest.mark.integration
@pytest.mark.redis
def test_a_real_worker_starts_every_task_at_100_per_second(redis_url):
    out = StringIO()
    with override_settings(REDIS_URL=redis_url):
        call_command("bench", "--json", "--quick", "--section", "celery", stdout=out)
    figures = json.loads(out.getvalue())["sections"]["celery"]

    assert figures["sent"] == 300 and figures["started"] == 300  # 3 s at 100/s
    assert figures["lost"] == 0 and figures["duplicates"] == 0
    assert 90 <= figures["enqueued_per_s"] <= 110
    latency = figures["enqueue_to_start"]
    assert latency["n"] == 300
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert figures["setup"]["pool"] == "threads" and figures["setup"]["acks_late"] is True
    # Nothing of the run is left on the broker.
    queue = figures["setup"]["queue"]
    client = redis.Redis.from_url(redis_url)
    assert client.exists(queue, f"{queue}:stamps", f"_kombu.binding.{queue}") == 0


def _report() -> dict:
    clients = {
        OURS: {"1": level(0.4, 0.5, 1.6), "50": level(12, 13, 15), "200": level(65, 80, 84)},
        "openai SDK": {"1": level(3, 3.2, 3.4), "50": level(170, 190, 200), "200": {}},
    }
    clients["openai SDK"]["200"] = {**level(520, 800, 850), "requests_per_s": 263.5}
    return {
        "quick": True,
        "machine": {"cores": 2},
        "sections": {
            "client": {
                "clients": clients,
                "at_200_streams": {
                    "requests_per_s": 2886.3,
                    "share_of_protocol_ceiling": 0.86,
                    "pool_timeouts": 0,
                    "targets": {
                        "x5_sdk": True,
                        "60pct_of_ceiling": True,
                        "p99_under_150ms": True,
                        "zero_pool_timeouts": True,
                    },
                },
            },
            "search": {
                "setup": {"rows": 1000},
                "page": {"n": 50, **level(40, 55, 70)},
                "pages_per_s": 21.5,
                "targets": {"p95_under_200ms": True},
                "target": "zero timeouts",
                "met": False,
            },
            "celery": {"skipped": SKIP_NO_REDIS},
            "broken": {"error": "RuntimeError: worker exited"},
        },
    }


def test_the_table_has_a_row_for_every_section_with_targets_judged():
    report = _report()
    by_section: dict[str, list] = {}
    for row in rows(report):
        by_section.setdefault(row.section, []).append(row)

    assert set(by_section) == {"client", "search", "celery", "broken"}
    latency = {r.figure: r for r in by_section["client"]}["gateway latency, 200 concurrent"]
    assert latency.value == "65 / 80 / 84 ms" and latency.met is True
    # An unknown section still gets its latency, its rate and its verdicts.
    search = {(r.figure, r.target): r for r in by_section["search"]}
    assert search[("page", "")].value == "40 / 55 / 70 ms"
    assert search[("pages_per_s", "")].value == "21.5/s"
    assert search[("target", "p95 under 200ms")].met is True
    assert search[("target", "zero timeouts")].met is False
    assert by_section["celery"][0].value == SKIP_NO_REDIS
    assert by_section["broken"][0].met is False

    lines = table(report).splitlines()
    assert lines[0] == "| section | figure | value | target | met? |"
    assert len(lines) == 2 + sum(len(r) for r in by_section.values())


def test_the_chart_is_a_png_of_latency_against_concurrency(tmp_path):
    path = draw(_report(), tmp_path / "bench-latency.png")
    assert path == tmp_path / "bench-latency.png"
    width, height = png_size(path)
    assert width > 400 and height > 300


def test_no_chart_when_no_section_has_concurrency_levels(tmp_path):
    report = {"quick": True, "machine": {"cores": 2}, "sections": {"celery": {"lost": 0}}}
    assert draw(report, tmp_path / "chart.png") is None
    assert not (tmp_path / "chart.png").exists()


def test_the_dashboard_rows_judge_its_default_period_only():
    page = {"n": 10, **level(120, 180, 210)}
    figures = {
        "setup": {"traces": 10_000},
        "dashboard_7_days": page,
        "dashboard_30_days": page,
        "ledger_7_days": page,
        "target": "dashboard p95 < 300 ms (7-day default period)",
        "met": True,
    }
    found = rows({"sections": {"dashboard": figures}})
    assert [r.figure for r in found] == [
        "dashboard 7 days page, 10,000 traces",
        "dashboard 30 days page, 10,000 traces",
        "ledger 7 days page, 10,000 traces",
    ]
    assert [r.met for r in found] == [True, None, None]
    assert found[0].value == "120 / 180 / 210 ms"
