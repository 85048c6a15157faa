"""What a benchmark ran on: machine, interpreter, package versions, relevant settings."""

from __future__ import annotations

import os
import platform
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


def machine_info() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "load_average_at_start": _load_average(),
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
