"""The package's shape holds: no import cycles between modules (lazy imports counted), and each
layer of the pipeline (sources -> store -> enrich -> index -> digest/radar -> web -> cli) imports
only from the layers before it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "paperradar"
SHARED = {"paperradar", "paperradar.errors", "paperradar.clock", "paperradar.config", "paperradar.files"}
LATER = ["paperradar.sources", "paperradar.store", "paperradar.enrich", "paperradar.index",
         "paperradar.digest", "paperradar.radar", "paperradar.deliver", "paperradar.web", "paperradar.cli"]
# what each layer must never import (modules that are both, like sources.harvest, are allowed below)
BANNED = {
    "paperradar.store": LATER[2:] + ["paperradar.sources"],
    "paperradar.sources": LATER[2:],
    "paperradar.enrich": LATER[3:],
    "paperradar.index": LATER[4:],
    "paperradar.digest": ["paperradar.deliver", "paperradar.web", "paperradar.cli"],
    "paperradar.radar": ["paperradar.deliver", "paperradar.web", "paperradar.cli"],
    "paperradar.web": ["paperradar.cli"],
}


def _modules() -> dict[str, Path]:
    found = {}
    for file in PACKAGE.rglob("*.py"):
        parts = list(file.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = file
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rsplit(".", 1)[0] if "." in name else ""
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, file in MODULES.items():
        package = module if file.name == "__init__.py" else module.rsplit(".", 1)[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                if base.startswith("paperradar"):
                    for alias in node.names:
                        full = f"{base}.{alias.name}"
                        deps.add(full if full in MODULES else _resolve(base) or base)
            elif isinstance(node, ast.Import):
                deps.update(_resolve(a.name) or a.name for a in node.names if a.name.startswith("paperradar"))
        graph[module] = deps - {module}
    return graph


GRAPH = _graph()


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert len(GRAPH) > 50 and cycles == []


@pytest.mark.parametrize("layer", sorted(BANNED))
def test_layers_import_only_what_comes_before(layer: str) -> None:
    wrong = [(module, dep) for module, deps in GRAPH.items()
             if module == layer or module.startswith(layer + ".")
             for dep in deps
             if any(dep == b or dep.startswith(b + ".") for b in BANNED[layer])]
    assert wrong == []


def test_shared_modules_import_only_each_other() -> None:
    for module in SHARED - {"paperradar"}:
        assert GRAPH[module] <= SHARED, (module, GRAPH[module] - SHARED)


def test_commands_do_not_import_each_other() -> None:
    """Each sub-command is a thin shell over the library; what two share lives in cli/common.py."""
    commands = [m for m in GRAPH if m.startswith("paperradar.cli.") and m.rsplit(".", 1)[1] != "common"]
    assert len(commands) > 10
    assert [(m, d) for m in commands for d in GRAPH[m] if d in commands] == []
