"""``hygiene audit --only readiness`` through the installed CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli
from tests.integration.test_readiness_repo import fixture_commit


def test_cli_audit_only_readiness(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo("express_partial", [fixture_commit("express_partial")])
    proc = run_cli(
        "audit",
        "--only",
        "readiness",
        "--repo",
        str(repo),
        "--format",
        "json",
        "--no-state",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["run"]["checks"]["readiness"]["status"] == "ok"
    assert {(f["rule"], f["resource"]) for f in document["findings"]} == {
        ("health-endpoint-missing", "express_partial:/readyz"),
        ("alert-rule-missing", "express_partial:alerts/disk"),
        ("alert-rule-missing", "express_partial:alerts/memory"),
    }
