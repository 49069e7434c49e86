"""The installed ``hygiene`` command: contract output, skipped cloud checks, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

from hygiene import __version__
from hygiene.registry import CHECKS
from tests.conftest import REPO_ROOT, run_cli

SCHEMA = json.loads((REPO_ROOT / "docs" / "findings-v1.schema.json").read_text())


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"hygiene, version {__version__}"


def test_audit_in_a_scratch_repo_without_credentials(make_repo: Any, tmp_path: Path) -> None:
    repo = make_repo("scratch", [{"README.md": "hello\n"}])
    proc = run_cli("audit", "--format", "json", "--state", str(tmp_path / "s.db"), cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    document = json.loads(proc.stdout)
    jsonschema.validate(document, SCHEMA)
    checks = document["run"]["checks"]
    for name, spec in CHECKS.items():
        if spec.cloud:
            assert checks[name]["status"] == "skipped", name
            assert checks[name]["reason"], name
    assert document["run"]["status"] == "complete"
    assert "hygiene: complete" in proc.stderr


def test_malformed_policy_exits_2_naming_file_line_key(tmp_path: Path) -> None:
    policy = tmp_path / "team.yaml"
    policy.write_text("budgets:\n  - name: web\n    amount: -5\n")
    proc = run_cli("audit", "--config", str(policy), "--no-state", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"hygiene: error: {policy}:3: budgets[0].amount: input should be greater than 0"
    )
    assert proc.stdout == ""
    validate = run_cli("policy", "validate", str(policy))
    assert validate.returncode == 2 and f"{policy}:3: budgets[0].amount" in validate.stderr


def test_exit_1_on_findings_at_fail_on_and_output_file(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "exceptions:\n  - match: {rule: missing-tag}\n    reason: legacy\n    owner: ops\n"
        "    expires: 2020-01-01\n"
    )
    out = tmp_path / "out" / "audit.md"
    args = [
        "audit",
        "--config",
        str(policy),
        "--no-state",
        "--only",
        "policy",
        "--format",
        "markdown",
    ]
    low = run_cli(*args, "--fail-on", "low", "--output", str(out), cwd=tmp_path)
    assert low.returncode == 1, low.stderr
    assert "exception-expired" in out.read_text()
    assert low.stdout == ""
    assert f"written to {out}" in low.stderr
    high = run_cli(*args, "--fail-on", "high", cwd=tmp_path)
    assert high.returncode == 0
    assert "exception-expired" in high.stdout


def test_unknown_check_and_bad_as_of_are_usage_errors(tmp_path: Path) -> None:
    unknown = run_cli("audit", "--only", "nope", "--no-state", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown check 'nope'" in unknown.stderr
    bad = run_cli("audit", "--as-of", "yesterday", "--no-state", cwd=tmp_path)
    assert bad.returncode == 2 and "--as-of 'yesterday'" in bad.stderr


def test_logs_are_json_lines_with_the_run_id(tmp_path: Path) -> None:
    proc = run_cli(
        "audit",
        "--no-state",
        "--only",
        "policy",
        "--log-level",
        "INFO",
        "--format",
        "json",
        cwd=tmp_path,
    )
    run_id = json.loads(proc.stdout)["run"]["id"]
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert lines and all(entry["run_id"] == run_id for entry in lines)
    assert {"time", "level", "run_id", "check", "logger", "message"} <= set(lines[0])


def test_policy_schema_verb_prints_the_committed_schema() -> None:
    proc = run_cli("policy", "schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == json.loads(
        (REPO_ROOT / "policies" / "schema.json").read_text()
    )


def test_docs_reference_covers_every_command() -> None:
    from hygiene.cli.docs import render

    text = (REPO_ROOT / "docs" / "cli.md").read_text()
    assert text == render(), "run `python -m hygiene.cli.docs`"


def test_every_command_help_shows_examples() -> None:
    import click

    from hygiene.cli import cli

    def walk(command: click.Command, path: str) -> list[tuple[str, click.Command]]:
        found = [(path, command)]
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                found += walk(sub, f"{path} {name}")
        return found

    missing = [
        path for path, command in walk(cli, "hygiene") if "Example" not in (command.help or "")
    ]
    assert missing == []


def test_help_imports_no_cloud_sdk_or_engine() -> None:
    # `hygiene --help` (and every verb's) stays fast: the registry names collectors by import
    # string, so no SDK, DuckDB or detect-secrets is loaded to print help
    script = """
import sys
import click
from hygiene.cli import cli

def walk(command, path):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, [*path, name])

for path in walk(cli, []):
    try:
        cli.main([*path, "--help"], standalone_mode=False)
    except SystemExit:
        pass
heavy = ("boto3", "botocore", "google", "grpc", "duckdb", "detect_secrets", "kingfisher_sdk")
print(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert "Usage: " in done.stdout and "audit" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_audit_help_lists_every_check_with_its_summary() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from hygiene.cli import main; main()", "audit", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    listing = done.stdout.split("Checks (for --only and --skip):", 1)[1]
    for name, spec in CHECKS.items():
        assert any(
            line.split()[:1] == [name] and spec.summary[:40] in line.replace("\n", " ")
            for line in listing.splitlines()
        ), name
    assert "policy" in listing
