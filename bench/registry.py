"""Benchmark sections: a name and a callable returning a dict of figures.

A section registers itself with @register("name") in its module under bench/sections/, and
importing bench.sections registers them all (`manage.py bench` does). The callable takes a
BenchContext and may be sync or async.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Figures = dict[str, Any]


@dataclass(frozen=True)
class BenchContext:
    quick: bool = False
    soak_minutes: float = 0.0  # --soak: sections that have a soak run it for this long


@dataclass(frozen=True)
class Section:
    name: str
    run: Callable[[BenchContext], Any]
    description: str = ""


_SECTIONS: dict[str, Section] = {}


def register(
    name: str, description: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        _SECTIONS[name] = Section(name, fn, description or (fn.__doc__ or "").strip())
        return fn

    return decorate


def unregister(name: str) -> None:
    _SECTIONS.pop(name, None)


def sections() -> dict[str, Section]:
    return dict(_SECTIONS)


def run_section(section: Section, context: BenchContext) -> Figures:
    if inspect.iscoroutinefunction(section.run):
        return asyncio.run(_run_async(section, context))
    return section.run(context)


async def _run_async(section: Section, context: BenchContext) -> Figures:
    """An async section's ORM calls run on asgiref's one shared thread, whose connection would
    outlive the section (and hold the test database open): close it there, afterwards."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    try:
        return await section.run(context)
    finally:
        await sync_to_async(connections.close_all)()
