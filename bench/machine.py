"""What a benchmark ran on: machine, interpreter, package versions, relevant settings."""

from __future__ import annotations

import json
import os
import platform
import time
from importlib import metadata
from typing import Any

from django.conf import settings

PACKAGES = (
    "django",
    "httpx",
    "httpx-aiohttp",
    "aiohttp",
    "openai",
    "channels",
    "daphne",
    "celery",
    "kombu",
    "redis",
)


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        return None
    return round(kb / 1024 / 1024, 1)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            line = next(line for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
    return line.split(":", 1)[1].strip()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _load_average() -> list[float] | None:
    """Other work on the machine at the start: a busy machine's figures are not comparable."""
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except OSError:
        return None


def _probe_once() -> None:
    """The kind of Python the app runs per message: frames to JSON and back, small dicts,
    string work and calls. Fixed, so only the machine changes between runs."""
    frame = {"type": "delta", "reply_to": "0" * 32, "seq": 0, "text": "Your parcel ships today."}
    for index in range(20_000):
        frame["seq"] = index
        decoded = json.loads(json.dumps(frame))
        words = decoded["text"].lower().split()
        if sorted(words)[0] == "":
            raise AssertionError("unreachable: a split yields no empty word")


def cpu_probe_ms(runs: int = 5) -> float:
    """One core's speed for this app's kind of work: the best of `runs` timings of a fixed
    workload, in ms. The same code gave 110 replies/s on one day and 50 on another on this
    (shared, virtual) machine; a bench report carries this figure so runs on different days can
    be compared. Lower is faster."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        _probe_once()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine_info() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "load_average_at_start": _load_average(),
        "cpu_probe_ms": cpu_probe_ms(),
        "memory_gb": _memory_gb(),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def settings_info() -> dict[str, Any]:
    llm = settings.LLM
    return {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "redis": bool(settings.REDIS_URL),
        "llm_endpoint": "configured" if llm.get("BASE_URL") else "offline engine",
        "llm_models": dict(llm.get("MODELS", {})),
        "llm_fallbacks": list(llm.get("FALLBACK_MODELS", [])),
        "celery": {
            "broker": "redis" if settings.REDIS_URL else "none (tasks run eagerly)",
            "acks_late": settings.CELERY_TASK_ACKS_LATE,
            "reject_on_worker_lost": settings.CELERY_TASK_REJECT_ON_WORKER_LOST,
            "prefetch_multiplier": settings.CELERY_WORKER_PREFETCH_MULTIPLIER,
            "broker_transport_options": dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
        },
    }
