"""The layer rules that import-linter cannot see: nothing in ``checks/`` does I/O itself.

Collectors (``checks/*/collect.py``) read through ``sources/``; rules are pure. import-linter
(``lint-imports``, contracts in pyproject.toml) keeps the import rules.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

CHECKS = REPO_ROOT / "src" / "hygiene" / "checks"
#: calls that open files, list folders, start processes or talk to the network
IO_CALLS = {
    "open", "read_text", "read_bytes", "write_text", "write_bytes", "glob", "rglob", "iterdir",
    "listdir", "scandir", "mkdir", "unlink", "rmtree", "urlopen", "Popen", "run",
    "check_output", "call", "system", "create_connection", "socket", "stat", "lstat",
}  # fmt: skip
IO_MODULES = {"subprocess", "socket", "urllib.request", "http.client", "shutil", "requests"}


def _io_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in IO_CALLS:
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {name}()")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found += [
                f"{path.relative_to(REPO_ROOT)}:{node.lineno}: import {n}"
                for n in names
                if n in IO_MODULES
            ]
    return found


def test_nothing_in_checks_opens_files_or_starts_processes() -> None:
    files = sorted(CHECKS.rglob("*.py"))
    assert len(files) > 30  # it looked
    assert [hit for path in files for hit in _io_in(path)] == []


def test_the_probe_finds_what_it_is_looking_for(tmp_path: Path) -> None:
    sample = REPO_ROOT / "src" / "hygiene" / "sources" / "git_checkout.py"
    assert any("subprocess" in hit for hit in _io_in(sample))


def test_the_package_has_no_import_cycles() -> None:
    # the review found two (context ↔ store ↔ state/*, publish/report ↔ report_render) and a
    # third appeared in scan/; the graph counts every import, lazy and type-only ones included
    from scripts.import_graph import figures

    found = figures()
    assert found["module_cycles"] == []
    assert found["room_cycles"] == []
