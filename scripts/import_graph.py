"""Figures of hygiene's import graph, for design reviews: rooms, arrows, cycles, files per check.

    python scripts/import_graph.py            # a table
    python scripts/import_graph.py --json     # the same figures as JSON

A *room* is a top-level package or module of ``hygiene`` (``checks/``, ``sources/``, ``cli/``,
``pipeline.py``, …); an *arrow* is a room importing another (every ``import`` in the source,
including ``TYPE_CHECKING`` and function-level ones); a *cycle* is a strongly connected group of
rooms, and of modules. A check's *own files* are the modules reachable from its registry entry
points (collector and evaluator) that fewer than three checks reach — what a newcomer reads to
understand that check — and the folders they live in.
"""

from __future__ import annotations

import ast
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "hygiene"


def module_name(path: Path) -> str:
    """``src/hygiene/checks/env/rules.py`` → ``hygiene.checks.env.rules``."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (resolving relative imports and ``from x import y``
    where ``y`` is a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("hygiene."):
                found.add(target)
    return found


def room(name: str) -> str:
    """The top-level room of a module (``hygiene.checks.env.rules`` → ``checks``)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "hygiene"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def reachable(graph: dict[str, set[str]], start: Iterable[str]) -> set[str]:
    """Every module reachable from ``start`` (``start`` included)."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(graph.get(node, ()))
    return seen


def entry_points() -> dict[str, list[str]]:
    """Each registered check's collector and evaluator modules."""
    sys.path.insert(0, str(SRC))
    from hygiene.registry import CHECKS

    return {
        name: [spec.collector.partition(":")[0], spec.evaluator.partition(":")[0]]
        for name, spec in CHECKS.items()
    }


def figures() -> dict[str, object]:
    """The graph's figures (see the module docstring)."""
    found = modules()
    known = set(found)
    graph = {name: imports_of(name, path, known) for name, path in found.items()}
    rooms: dict[str, set[str]] = defaultdict(set)
    for name, targets in graph.items():
        rooms[room(name)] |= {room(t) for t in targets if room(t) != room(name)}
    for name in graph:
        rooms.setdefault(room(name), set())
    checks = entry_points()
    reach = {check: reachable(graph, starts) for check, starts in checks.items()}
    shared = defaultdict(int)
    for members in reach.values():
        for member in members:
            shared[member] += 1
    own = {check: sorted(m for m in members if shared[m] < 3) for check, members in reach.items()}
    folders = {
        check: sorted({str(found[m].parent.relative_to(SRC)) for m in members})
        for check, members in own.items()
    }
    return {
        "modules": len(found),
        "lines": sum(len(p.read_text(encoding="utf-8").splitlines()) for p in found.values()),
        "module_arrows": sum(len(t) for t in graph.values()),
        "module_cycles": strongly_connected(graph),
        "rooms": len(rooms),
        "room_arrows": sum(len(t) for t in rooms.values()),
        "room_cycles": strongly_connected(dict(rooms)),
        "own_files": {check: len(files) for check, files in own.items()},
        "own_folders": folders,
    }


def main() -> None:
    """Print the figures as a table, or JSON with ``--json``."""
    data = figures()
    if "--json" in sys.argv:
        print(json.dumps(data, indent=2))
        return
    print(f"modules {data['modules']}, lines {data['lines']}")
    print(f"module arrows {data['module_arrows']}, module cycles {len(data['module_cycles'])}")
    for group in data["module_cycles"]:  # type: ignore[attr-defined]
        print(f"  cycle: {' ↔ '.join(group)}")
    print(f"rooms {data['rooms']}, room arrows {data['room_arrows']}")
    print(f"room cycles {len(data['room_cycles'])}")  # type: ignore[arg-type]
    for group in data["room_cycles"]:  # type: ignore[attr-defined]
        print(f"  cycle: {' ↔ '.join(group)}")
    print("check: own files in folders")
    for check, count in data["own_files"].items():  # type: ignore[attr-defined]
        places = data["own_folders"][check]  # type: ignore[index]
        print(f"  {check}: {count} files in {len(places)} folders ({', '.join(places)})")


if __name__ == "__main__":
    main()
