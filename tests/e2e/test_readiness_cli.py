"""``hygiene audit --only readiness`` through the installed CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import git, run_cli
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


def test_cli_audits_a_clone_url_listed_in_the_policy(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    source = make_repo("express_partial", [fixture_commit("express_partial")])
    bare = tmp_path / "remote" / "web.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))
    policy = tmp_path / "policy.yaml"
    policy.write_text(f'version: 1\nrepos:\n  - url: "file://{bare}"\n')
    args = ["audit", "--only", "readiness,env", "-c", str(policy), "--format", "json"]
    proc = run_cli(*args, "--state", str(tmp_path / "state" / "state.db"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    checks = document["run"]["checks"]
    assert (checks["readiness"]["status"], checks["env"]["status"]) == ("ok", "ok")
    assert {
        (f["rule"], f["resource"]) for f in document["findings"] if f["check"] == "readiness"
    } == {
        ("health-endpoint-missing", "web:/readyz"),
        ("alert-rule-missing", "web:alerts/disk"),
        ("alert-rule-missing", "web:alerts/memory"),
    }
    assert (tmp_path / "state" / "cache" / "work-trees" / "checkouts").is_dir()
