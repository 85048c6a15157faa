"""The `live` bench section end to end, shrunk: a real Daphne, the fake model server, sockets."""

from __future__ import annotations

import pytest

from bench.sections.live import LiveParams, run_live

pytestmark = pytest.mark.integration


async def test_the_live_section_holds_sockets_and_answers_every_message():
    report = await run_live(
        LiveParams(
            connections=50,
            chats=8,
            seconds=0.5,
            ttft_chats=8,
            paced_seconds=1.5,
            think_s=(0.05, 0.2),
        )
    )

    connections = report["connections"]
    assert connections["held"] == 50 and connections["errors"] == {}
    assert connections["kib_per_connection"] is not None
    assert connections["rss_after_mib"] >= connections["rss_before_mib"] > 0

    for loop in (
        report["sustained"],
        report["ttft_saturated"]["loop"],
        report["ttft_paced"]["loop"],
    ):
        assert loop["completed"] >= loop["chats"]  # every chat got at least one reply
        assert loop["lost"] == 0 and loop["errors"] == {}
        assert loop["replies_per_s"] > 0 and loop["end_to_end"]["n"] == loop["completed"]
        cpu = loop["cpu_ms_per_reply"]
        assert set(cpu) == {"daphne", "fake_model_server", "load_generator"}
        assert cpu["daphne"] > 0 and cpu["load_generator"] > 0  # both did work in the loop

    ttft = report["ttft_paced"]
    assert ttft["without_model_trace"] == 0 and ttft["app_added"]["n"] > 0
    assert ttft["fake_server_raw_ttft_ms"] >= 200  # the fake server's configured ttft
    seen = ttft["first_delta_seen_by_customer"]
    assert seen["p50_ms"] <= seen["p95_ms"] <= seen["p99_ms"]
    assert set(report["targets"]) == {
        "10k_connections_under_60kib",
        "200_replies_per_s_zero_lost",
        "ttft_paced_p50_under_30ms",
        "ttft_paced_p99_under_100ms",
    }
