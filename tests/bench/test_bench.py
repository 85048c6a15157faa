"""The bench command: registry, machine info, and a quick run of a section."""

from __future__ import annotations

import importlib.util
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from bench.registry import register, sections, unregister


@pytest.fixture
def toy_sections():
    @register("toy-sync", "a sync section")
    def toy_sync(context):
        return {"quick": context.quick, "rate": 42}

    @register("toy-async")
    async def toy_async(context):
        """an async section"""
        return {"p50_ms": 1.5}

    yield
    unregister("toy-sync")
    unregister("toy-async")


def test_sections_run_and_report_with_the_machine(toy_sections):
    out = StringIO()
    call_command(
        "bench", "--json", "--quick", "--section", "toy-sync", "--section", "toy-async", stdout=out
    )
    report = json.loads(out.getvalue())
    assert report["sections"]["toy-sync"]["rate"] == 42 and report["sections"]["toy-sync"]["quick"]
    assert report["sections"]["toy-async"]["p50_ms"] == 1.5
    assert report["machine"]["cores"] >= 1 and report["machine"]["packages"]["httpx"]
    assert report["machine"]["cpu_probe_ms"] > 0
    assert report["settings"]["llm_endpoint"] in {"configured", "offline engine"}


def test_the_list_shows_the_client_section_and_unknown_names_fail(toy_sections):
    out = StringIO()
    call_command("bench", "--list", stdout=out)
    assert "client:" in out.getvalue() and "toy-async: an async section" in out.getvalue()
    with pytest.raises(CommandError, match="unknown section"):
        call_command("bench", "--section", "nope")


def test_text_output_prints_each_figure(toy_sections):
    out = StringIO()
    call_command("bench", "--section", "toy-sync", stdout=out)
    assert "toy-sync:" in out.getvalue() and "rate: 42" in out.getvalue()


@pytest.mark.integration
def test_the_client_section_runs_quickly_against_a_fake_server_process():
    out = StringIO()
    call_command("bench", "--json", "--quick", "--section", "client", stdout=out)
    figures = json.loads(out.getvalue())["sections"]["client"]
    ours = figures["clients"]["gateway (httpx + aiohttp transport)"]
    assert set(ours) == {"1", "50", "200"}
    assert all(level["completed"] > 0 and not level["errors"] for level in ours.values())
    assert figures["at_200_streams"]["pool_timeouts"] == 0
    assert figures["fake_server"]["streams_per_cpu_s"] > 0
    assert figures["duration_s"] > 0


@pytest.fixture
def levelled_section():
    @register("toy-levels")
    def toy_levels(context):
        return {"levels": {str(n): {"p50_ms": n, "p95_ms": 2 * n, "p99_ms": 3 * n} for n in (1, 8)}}

    yield
    unregister("toy-levels")


def test_a_partial_run_writes_artifacts_only_where_told_and_publishes_the_chart(
    levelled_section, tmp_path
):
    out, docs = tmp_path / "out", tmp_path / "docs"
    call_command("bench", "--section", "toy-levels", "--out", str(out), "--publish", str(docs))
    report = json.loads((out / "bench.json").read_text())
    assert report["sections"]["toy-levels"]["levels"]["8"]["p99_ms"] == 24
    assert report["artifacts"]["published_chart"] == str(docs / "bench-latency.png")
    assert (docs / "bench-latency.png").read_bytes() == (out / "bench-latency.png").read_bytes()
    assert "| toy-levels | levels 8 | 8 / 16 / 24 ms | — | — |" in (out / "bench.md").read_text()
    with pytest.raises(CommandError, match="--publish needs"):
        call_command("bench", "--section", "toy-levels", "--publish", str(docs))


def test_a_failing_section_is_reported_and_the_others_still_run(toy_sections, tmp_path):
    @register("toy-broken")
    def toy_broken(context):
        raise RuntimeError("worker exited")

    out = StringIO()
    try:
        with pytest.raises(CommandError, match="toy-broken"):
            call_command(
                "bench",
                "--json",
                "--section",
                "toy-broken",
                "--section",
                "toy-sync",
                "--out",
                str(tmp_path),
                stdout=out,
                stderr=StringIO(),
            )
    finally:
        unregister("toy-broken")
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["sections"]["toy-broken"]["error"] == "RuntimeError: worker exited"
    assert report["sections"]["toy-sync"]["rate"] == 42


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(600)
def test_the_whole_suite_runs_quick_with_every_section_and_its_artifacts(tmp_path):
    """Every section an app registers (bench_sections.py), in quick mode, in one command."""
    out = StringIO()
    call_command("bench", "--json", "--quick", "--out", str(tmp_path), stdout=out)
    report = json.loads(out.getvalue())

    discovered = set(sections())
    assert {"client", "pipeline", "live", "celery"} <= discovered
    if importlib.util.find_spec("bench.sections.dashboard"):
        assert "dashboard" in discovered
    assert set(report["sections"]) == discovered and report["quick"] is True
    for name, figures in report["sections"].items():
        assert "error" not in figures, name
    celery = report["sections"]["celery"]
    assert celery.get("skipped") if not settings.REDIS_URL else celery["lost"] == 0

    assert json.loads((tmp_path / "bench.json").read_text())["sections"].keys() == discovered
    assert (tmp_path / "bench-latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (tmp_path / "bench.md").read_text()
    for name in discovered:
        assert f"| {name} |" in markdown


def test_every_section_gets_a_line_in_the_table_even_when_no_rule_reads_its_figures():
    from bench.report import section_rows

    rows = section_rows("odd", {"duration_s": 1.5, "count": 3, "shape": {"a": 1}})
    assert [(r.section, r.figure, r.value) for r in rows] == [
        ("odd", "ran", "1.5 s, see bench.json")
    ]
