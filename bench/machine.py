"""What a benchmark ran on: machine, interpreter, package versions, relevant settings."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

from django.conf import settings

PACKAGES = ("django", "httpx", "httpx-aiohttp", "aiohttp", "openai", "channels", "celery")


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        return None
    return round(kb / 1024 / 1024, 1)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def machine_info() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "cpu": platform.processor() or platform.machine(),
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
    }
