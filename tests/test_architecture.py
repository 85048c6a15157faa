"""The project's import graph: no file imports another that (directly or not) imports it back, and
no package imports one of a higher layer. The layers, lowest first, are also in the README:

    support_bot (infrastructure) < llm < orders < knowledge < conversations < pipeline < desk < chat < ops
    < demo < fakes < bench < the project's entry points (support_bot.settings, urls, asgi, ...)

Function-local imports count too: a cycle hidden inside a function is still a cycle to a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = (
    "support_bot",
    "llm",
    "orders",
    "knowledge",
    "conversations",
    "pipeline",
    "desk",
    "chat",
    "ops",
    "demo",
    "fakes",
    "bench",
    "entry",
)
# The project's entry points sit on top of everything they wire together.
# (support_bot/__init__.py loads the Celery app, as Celery's Django layout has it.)
ENTRY_MODULES = frozenset(
    ["support_bot"]
    + [
        f"support_bot.{name}"
        for name in (
            "settings",
            "settings_test",
            "settings_bench",
            "urls",
            "asgi",
            "wsgi",
            "celery",
        )
    ]
)
SKIPPED_DIRS = {"migrations", "__pycache__"}


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in LAYERS[:-1]:
        for path in (ROOT / package).rglob("*.py"):
            if SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # `from package import module` imports the module; `from module import name`, the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def layer_of(module: str) -> int:
    if module in ENTRY_MODULES:
        return LAYERS.index("entry")
    return LAYERS.index(module.split(".")[0])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one file (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_graph_covers_every_layer() -> None:
    graph = import_graph()
    assert {layer_of(module) for module in graph} == set(range(len(LAYERS)))
    assert "chat.consumers" in graph["chat.routing"]  # the walk does see imports


def test_no_file_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_no_package_imports_a_higher_layer() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if layer_of(target) > layer_of(module)
    )
    assert upward == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
