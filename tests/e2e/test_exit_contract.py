"""The exit contract holds for crashes, runs that audit nothing, and typos in ``spend --by``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hygiene.exit_codes import ExitCode
from tests.conftest import REPO_ROOT, run_cli

CRASHING_CLI = """
import click, hygiene.cli as entry

@entry.cli.command("boom")
def boom():
    raise RuntimeError("the store exploded")

entry.main()
"""


def _crash(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The real entry point with one extra verb that raises an unexpected error."""
    return subprocess.run(
        [sys.executable, "-c", CRASHING_CLI, "boom"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path), **env},
        timeout=120,
    )


def test_an_unexpected_error_exits_3_with_one_line_and_the_traceback_kept(tmp_path: Path) -> None:
    crash_log = tmp_path / "crash.log"
    proc = _crash(tmp_path, HYGIENE_CRASH_LOG=str(crash_log))
    assert proc.returncode == ExitCode.INCOMPLETE == 3  # never 1: that means "findings"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hygiene: internal error: RuntimeError: the store exploded")
    assert str(crash_log) in lines[0]
    assert "Traceback" not in proc.stderr
    kept = crash_log.read_text()
    assert "Traceback (most recent call last)" in kept and "the store exploded" in kept


def test_the_crash_file_defaults_to_the_temp_directory(tmp_path: Path) -> None:
    proc = _crash(tmp_path)
    assert proc.returncode == 3
    written = list(tmp_path.glob("hygiene-crash-*.log"))
    assert len(written) == 1 and str(written[0]) in proc.stderr


def _no_cloud_env(tmp_path: Path) -> dict[str, str]:
    """This machine's environment without any cloud credentials or git checkout above."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GOOGLE_", "GCP_"))}
    return {
        **kept,
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "GIT_CEILING_DIRECTORIES": str(tmp_path.parent),
    }


def _audit(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    return subprocess.run(
        [exe, "audit", "--no-state", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_no_cloud_env(tmp_path),
        timeout=300,
    )


def test_a_run_whose_every_check_was_skipped_is_incomplete(tmp_path: Path) -> None:
    """A cron job outside a git checkout and without credentials audits nothing: exit 3."""
    proc = _audit(tmp_path, "--format", "json")
    assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
    document = json.loads(proc.stdout)
    checks = {k: v for k, v in document["run"]["checks"].items() if k != "policy"}
    assert checks and all(c["status"] == "skipped" for c in checks.values())
    assert document["run"]["status"] == "incomplete"
    assert document["run"]["reason"] == "nothing was audited: every check was skipped"
    assert "nothing was audited" in proc.stderr

    allowed = _audit(tmp_path, "--allow-empty")
    assert allowed.returncode == ExitCode.CLEAN, allowed.stderr
    assert "nothing was audited (every check was skipped)" in allowed.stderr


def test_spend_by_a_key_no_row_carries_names_the_nearest_known_key() -> None:
    sample = REPO_ROOT / "data" / "focus" / "focus_sample.csv"
    args = ["spend", "--source", str(sample), "--month", "2024-09"]
    typo = run_cli(*args, "--by", "Projcet")
    assert typo.returncode == ExitCode.USAGE
    assert typo.stderr.strip() == (
        "hygiene: error: --by Projcet: no billing row of 2024-09 carries it; "
        "did you mean 'Project'?"
    )
    assert typo.stdout == ""
    # a required key that happens to be untagged everywhere is a real answer, not a typo
    owner = run_cli(*args, "--by", "Owner", "--format", "json")
    assert owner.returncode == 0, owner.stderr
    assert [g["key"] for g in json.loads(owner.stdout)["groups"]] == [{"Owner": None}]
