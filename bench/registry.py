"""Benchmark sections: a name and a callable returning a dict of figures.

A section registers itself with @register("name") in a module named `bench_sections.py` in any
installed app (or in bench/ itself); `manage.py bench` discovers them. The callable takes a
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


def autodiscover() -> None:
    from django.utils.module_loading import autodiscover_modules

    import bench.client  # noqa: F401  (the client section lives in bench/ itself)

    autodiscover_modules("bench_sections")


def run_section(section: Section, context: BenchContext) -> Figures:
    if inspect.iscoroutinefunction(section.run):
        return asyncio.run(section.run(context))
    return section.run(context)
