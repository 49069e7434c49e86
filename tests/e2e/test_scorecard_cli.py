"""``hygiene scorecard`` through the installed CLI: fresh audit, --latest, --from, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli
from tests.integration.test_readiness_repo import fixture_commit


def test_scorecard_fresh_audit_json(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    gaps = make_repo("flask_gaps", [fixture_commit("flask_gaps")])
    good = make_repo("go_ok", [fixture_commit("go_ok")])
    proc = run_cli(
        "scorecard",
        "--repo",
        str(gaps),
        "--repo",
        str(good),
        "--only",
        "readiness",
        "--no-state",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [s["label"] for s in data["scopes"]] == ["organisation", "repo:flask_gaps", "repo:go_ok"]
    rows = {r["item"]: r["cells"] for r in data["rows"]}
    assert {item: cells["repo:flask_gaps"]["status"] for item, cells in rows.items()} == {
        "Environment Hierarchy": "n/a",
        "Deployment Strategy": "needs-a-human",
        "Deployment Approval": "needs-a-human",
        "Health Checks": "fail",
        "Config & Secrets": "fail",
        "Logging Strategy": "fail",
        "Monitoring": "fail",
        "Alerts": "fail",
        "Incident Response": "fail",
        "Backup Strategy": "n/a",
        "RTO/RPO": "n/a",
        "Cost Monitoring": "n/a",
    }
    assert {
        item: cells["repo:go_ok"]["status"]
        for item, cells in rows.items()
        if cells["repo:go_ok"]["status"] != "n/a"
    } == {
        "Deployment Strategy": "needs-a-human",
        "Deployment Approval": "needs-a-human",
        "Health Checks": "pass",
        "Config & Secrets": "pass",
        "Logging Strategy": "pass",
        "Monitoring": "pass",
        "Alerts": "pass",
        "Incident Response": "pass",
    }
    assert rows["Backup Strategy"]["organisation"] == {
        "status": "not-evidenced",
        "findings": [],
        "checks": [],
        "missing": ["backups: not run"],
    }
    assert (
        "Must rows failing: Health Checks, Config & Secrets, Logging Strategy, Monitoring, Alerts"
        in proc.stderr
    )


def test_scorecard_latest_from_state_and_from_file(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo("express_partial", [fixture_commit("express_partial")])
    state = tmp_path / "state.db"
    audit = run_cli(
        "audit",
        "--only",
        "readiness",
        "--repo",
        str(repo),
        "--state",
        str(state),
        "--format",
        "json",
        "--output",
        str(tmp_path / "run.json"),
        cwd=tmp_path,
    )
    assert audit.returncode == 0, audit.stderr
    latest = run_cli("scorecard", "--latest", "--state", str(state), "--strict", cwd=tmp_path)
    assert latest.returncode == 1  # --strict: Must rows fail
    lines = latest.stdout.splitlines()
    assert lines[0].startswith("Blueprint scorecard — run ")
    health = next(line for line in lines if line.startswith("Health Checks"))
    assert health.split()[2:] == ["Must", "FAIL", "(1)", "FAIL", "(1)"]
    alerts = next(line for line in lines if line.startswith("Alerts"))
    assert alerts.split()[1:] == ["Must", "FAIL", "(2)", "+h", "FAIL", "(2)", "+h"]
    only_org = run_cli(
        "scorecard", "--latest", "--state", str(state), "--scope", "organisation", cwd=tmp_path
    )
    assert only_org.returncode == 0, only_org.stderr
    header = only_org.stdout.splitlines()[2].split()
    assert header == ["Item", "Req", "organisation"]
    out = tmp_path / "card.md"
    from_file = run_cli(
        "scorecard",
        "--from",
        str(tmp_path / "run.json"),
        "--format",
        "markdown",
        "--output",
        str(out),
        cwd=tmp_path,
    )
    assert from_file.returncode == 0, from_file.stderr
    markdown = out.read_text()
    assert markdown.startswith("## Blueprint scorecard")
    assert "| Health Checks | Must | FAIL (1) | FAIL (1) |" in markdown


def test_scorecard_usage_errors(tmp_path: Path) -> None:
    missing = run_cli("scorecard", "--latest", "--state", str(tmp_path / "none.db"), cwd=tmp_path)
    assert missing.returncode == 2
    assert "no history store here; run `hygiene audit` first" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "other"}')
    wrong = run_cli("scorecard", "--from", str(bad), cwd=tmp_path)
    assert (wrong.returncode, wrong.stderr.strip()) == (
        2,
        f"hygiene: error: {bad}: schema is not hygiene.findings/v1; write it with `hygiene audit --format json`",
    )
