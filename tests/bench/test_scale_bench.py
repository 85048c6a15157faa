"""The `scale` bench section: the production shape started by the bench, shrunk to seconds."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest
import redis
from django.conf import settings

from bench.scale_cpu import cpu_spent
from bench.scale_stack import pg_connect_params
from bench.sections.live import LoopResult, Turn
from bench.sections.scale import (
    SKIP_NO_POSTGRES,
    SKIP_NO_REDIS,
    ScaleParams,
    Window,
    headline,
    run_scale,
    shape_figures,
    skip_reason,
)
from bench.soak import growth, soak_headline


def test_without_postgresql_or_redis_the_section_says_why_it_skips():
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "support_bot"}
    assert skip_reason(sqlite, "redis://127.0.0.1:6379/0") == SKIP_NO_POSTGRES
    assert skip_reason(postgres, "") == SKIP_NO_REDIS
    assert skip_reason(postgres, "redis://127.0.0.1:6379/0") is None
    assert "not PostgreSQL" in SKIP_NO_POSTGRES and "REDIS_URL is unset" in SKIP_NO_REDIS


def test_the_soak_judges_the_app_process_that_grew_most():
    start = {
        "daphne-1": {"rss_kib": 100_000, "fds": 50},
        "worker-1": {"rss_kib": 200_000, "fds": 40},
        "load_generator": {"rss_kib": 100_000, "fds": 10},
    }
    end = {
        "daphne-1": {"rss_kib": 102_000, "fds": 50},
        "worker-1": {"rss_kib": 240_000, "fds": 41},
        "load_generator": {"rss_kib": 300_000, "fds": 90},  # the bench's own: not judged
    }
    grown = growth(start, end)
    assert grown["worker-1"]["rss_growth_pct"] == 20.0 and grown["daphne-1"]["fds_growth_pct"] == 0
    loop = {
        "shape": "2 Daphne + 2 workers",
        "chats": 4,
        "completed": 9,
        "replies_per_s": 1.5,
        "lost": 0,
    }
    rows = soak_headline({"minutes": 1, "think_s": [3, 9], "loop": loop, "processes": grown})
    assert [row["met"] for row in rows] == [True, False, True]
    assert rows[1]["value"] == "worker-1 +20.0% (195.3 MiB -> 234.4 MiB)"
    assert rows[2]["value"] == "worker-1 +2.5% (40 -> 41)"


def test_a_backend_that_started_inside_the_window_counts_whole():
    before = {"daphne-1": 1.0, "postgres:10": 2.0, "machine": 10.0}
    after = {"daphne-1": 1.5, "postgres:10": 2.25, "postgres:11": 0.5, "machine": 12.0}
    assert cpu_spent(before, after) == {
        "daphne-1": 0.5,
        "machine": 2.0,
        "postgres_backends": 0.75,
    }


def _result(done_at: list[float], lost: int) -> LoopResult:
    result = LoopResult(
        turns=[Turn("m", sent=t - 1.0, first_delta=t - 0.5, done=t) for t in done_at]
    )
    if lost:
        result.errors["lost"] = lost
    return result


def test_cpu_is_shared_out_over_the_replies_that_ended_in_the_window_and_losses_fail():
    window = Window(started=10.0, ended=12.0)
    window.cpu_s = {
        "daphne-1": 0.02,
        "worker-1": 0.04,
        "redis": 0.004,
        "postgres_backends": 0.016,
        "fake_model_server": 0.004,
        "load_generator": 0.004,
        "machine": 0.1,
    }
    # Four replies end inside [10, 12); the one at 9.5 (ramp) and the one at 12.5 (drain) do not.
    figures = shape_figures((1, 1), 6, _result([9.5, 10.0, 10.5, 11.0, 11.9, 12.5], 1), window)
    assert figures["replies_in_window"] == 4 and figures["replies_per_s"] == 2.0
    assert figures["cpu_ms_per_reply"]["worker-1"] == 10.0
    assert figures["app_cpu_ms_per_reply"] == 20.0  # daphne 5 + worker 10 + redis 1 + pg 4
    assert figures["bench_cpu_ms_per_reply"] == 2.0
    assert figures["other_work_cpu_ms_per_reply"] == 3.0  # machine 25 - ours 22
    assert figures["lost"] == 1 and figures["completed"] == 6

    rows = headline({figures["shape"]: {**figures, "warmup_lost": 0}})
    judged = {row["figure"]: row for row in rows if "target" in row}
    replies = judged["1 Daphne + 1 worker: replies/s, 6 chats in a closed loop"]
    assert replies["value"] == "2.0/s, 1 lost" and replies["met"] is False
    app = judged["1 Daphne + 1 worker: app CPU per reply (Daphne, workers, Redis, PostgreSQL)"]
    assert app["target"] == "<= 12 ms" and app["met"] is False


@pytest.mark.integration
@pytest.mark.timeout(300)
async def test_the_production_shape_answers_every_message_and_reports_each_process(
    postgres, redis_url
):
    database = settings.DATABASES["default"]
    params = ScaleParams(
        chats=16, ramp_s=1.0, seconds=2.0, warmup_chats=8, warmup_s=1.0, connections=60
    )
    soak = {"soak_minutes": 0.05, "soak_chats": 8, "soak_ramp_s": 1.0, "think_s": (0.05, 0.2)}
    report = await run_scale(replace(params, **soak), database, redis_url)

    shapes = report["shapes"]
    assert list(shapes) == ["1 Daphne + 1 worker", "2 Daphne + 2 workers"]
    for figures in shapes.values():
        assert figures["lost"] == 0 and figures["warmup_lost"] == 0 and figures["errors"] == {}
        assert figures["replies_in_window"] > 0 and figures["replies_per_s"] > 0
        assert figures["end_to_end"]["n"] == figures["completed"] >= figures["chats"]
        cpu = figures["cpu_ms_per_reply"]
        processes = [f"daphne-{i + 1}" for i in range(figures["daphnes"])]
        processes += [f"worker-{i + 1}" for i in range(figures["workers"])]
        assert set(cpu) == {
            *processes,
            "redis",
            "postgres_backends",
            "fake_model_server",
            "load_generator",
        }
        assert all(cpu[name] > 0 for name in processes)  # every process of the shape worked
        assert cpu["postgres_backends"] > 0 and cpu["load_generator"] > 0
        assert figures["postgres_transactions_per_reply"] > 0
        assert figures["app_cpu_ms_per_reply"] >= sum(cpu[name] for name in processes)
    assert [row["met"] for row in report["headline"] if row.get("target") == "0 lost"] == [
        True,
        True,
        True,  # the soak's
    ]

    # Idle sockets over both Daphnes, each answering a ping; memory per socket reported.
    held = report["connections"]
    assert held["held"] == held["opened"] == 60 and held["errors"] == {}
    assert set(held["rss_mib"]) == {"daphne-1", "daphne-2"}
    assert held["daphne_kib_per_connection"] is not None
    assert any("held by 2 Daphnes on Redis" in str(row["figure"]) for row in report["headline"])

    # The soak: each process's memory and open files at its start and end, the app's judged.
    processes = report["soak"]["processes"]
    assert {"daphne-2", "worker-2", "redis", "postgres_backends", "load_generator"} <= set(
        processes
    )
    assert all(p["rss_start_mib"] > 0 and p["fds_start"] > 0 for p in processes.values())
    assert report["soak"]["loop"]["lost"] == 0 and report["soak"]["loop"]["completed"] >= 8
    soak_rows = [row for row in report["headline"] if str(row["figure"]).startswith("soak")]
    assert [row["target"] for row in soak_rows] == ["0 lost", "< 5%", "< 5%"]

    # Nothing of the run is left: its database is dropped, its queues and keys deleted.
    name = f"{database['NAME']}_bench_scale"
    with psycopg.connect(**pg_connect_params(database, "postgres")) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        assert found.fetchone() is None
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match=f"*bench-scale-{name}*"))
