"""The bench command: registry, machine info, and a quick run of a section."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bench.registry import register, unregister


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
    assert figures["duration_s"] < 30
