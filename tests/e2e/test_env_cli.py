"""The installed ``hygiene`` command: ``audit --only env`` and ``env report``."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema

from tests.conftest import REPO_ROOT, git, run_cli
from tests.fixtures.env import SECRET, fixture_files
from tests.fixtures.env.expected import DRIFT, EXPECTED
from tests.fixtures.env.hostile import hostile_dotenv, leaks


def test_audit_only_env_reports_exactly_the_fixture_drift(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repos = [make_repo(family, [fixture_files(family)]) for family in sorted(EXPECTED)]
    args = ["audit", "--only", "env", "--format", "json", "--no-state", "--as-of", "2026-11-27"]
    for repo in repos:
        args += ["--repo", str(repo)]
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # committed .env and a secret in an example: high
    document = json.loads(proc.stdout)
    schema = json.loads((REPO_ROOT / "docs" / "findings-v1.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["run"]["status"] == "complete"
    assert document["run"]["checks"]["env"]["status"] == "ok"
    got: dict[str, set[tuple[str, str, str]]] = {family: set() for family in EXPECTED}
    for finding in document["findings"]:
        assert finding["check"] == "env"
        if finding["rule"] in DRIFT:
            details = finding["details"]
            got[finding["location"]["repo"]].add(
                (finding["rule"], details["variable"], details["example"])
            )
    assert got == EXPECTED
    assert SECRET not in proc.stdout and SECRET not in proc.stderr


def test_env_report_json_table_and_fail_on(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo("javascript", [fixture_files("javascript")])
    proc = run_cli("env", "report", str(repo), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    statuses = {row["name"]: row["status"] for row in document["variables"]}
    assert statuses == {
        "API_URL": "documented",
        "PORT": "documented",
        "SESSION_SECRET": "documented",
        "VITE_PUBLIC_KEY": "documented",
        "UNUSED_JS_VAR": "unused",
        "DB_POOL_SIZE": "undocumented",
        "CALLBACK_HOST": "undocumented",
        "VITE_SENTRY_DSN": "undocumented",
        "NODE_ENV": "ignored",
    }
    api_url = next(row for row in document["variables"] if row["name"] == "API_URL")
    assert api_url["read_at"] == ["src/server.ts:4 (javascript)"]
    assert api_url["documented_in"] == [".env.example:1"]
    assert "9 variable(s)" in proc.stderr

    table = run_cli("env", "report", str(repo), "--fail-on", "medium", cwd=tmp_path)
    assert table.returncode == 1
    assert "Environment variables of javascript" in table.stdout
    assert "DB_POOL_SIZE" in table.stdout and "undocumented-variable" in table.stdout

    out = tmp_path / "out" / "env.md"
    written = run_cli(
        "env", "report", str(repo), "--format", "markdown", "-o", str(out), cwd=tmp_path
    )
    assert written.returncode == 0 and written.stdout == ""
    assert out.read_text().startswith("# Environment variables of javascript\n")


def test_env_report_on_a_plain_directory_is_a_usage_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = run_cli("env", "report", str(plain), cwd=tmp_path)
    assert proc.returncode == 2
    assert "not inside a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_env_help_has_examples(tmp_path: Path) -> None:
    proc = run_cli("env", "report", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "hygiene env report ../api --format json -o env.json" in proc.stdout


def test_dotenv_lines_never_reach_a_finding_a_report_or_the_state(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo(
        "hostile",
        [
            {
                ".gitignore": ".env\n",
                ".env.example": hostile_dotenv(),
                "deploy/.env.production": hostile_dotenv("PROD_ONLY=1\n"),
                "app.py": "import os\nos.environ['APP_PORT']\nos.environ['PRIVATE_KEY']\n",
            }
        ],
    )
    (repo / ".env").write_text(hostile_dotenv("LOCAL_ONLY=1\n"))  # git-ignored, on disk only
    state = tmp_path / "state.db"
    args = ["audit", "--only", "env", "--repo", str(repo), "--as-of", "2026-11-27"]
    audit = run_cli(*args, "--format", "json", "--state", str(state), cwd=tmp_path)
    assert audit.returncode == 1, audit.stderr  # the committed .env.production: high
    findings = json.loads(audit.stdout)["findings"]
    rules = {(f["rule"], f["resource"], f["location"]["line"]) for f in findings}
    assert {
        ("missing-equals", "hostile:.env.example", 7),
        ("invalid-line", "hostile:.env.example", 3),  # lines 3-6: the key's unquoted body
        ("env-only-variable", "hostile:.env", 1),
        ("committed-dotenv", "hostile:deploy/.env.production", None),
    } <= rules
    [committed] = [f for f in findings if f["rule"] == "committed-dotenv"]
    assert committed["details"]["keys"] == ["LAST_SETTING", "PRIVATE_KEY", "PROD_ONLY"]
    assert {
        (f["details"]["variable"], f["details"]["dotenv"])
        for f in findings
        if f["rule"] == "env-only-variable"
    } == {("LOCAL_ONLY", ".env"), ("PROD_ONLY", "deploy/.env.production")}
    outputs = [audit.stdout, audit.stderr]
    sarif = run_cli(*args, "--format", "sarif", "--no-state", cwd=tmp_path)
    markdown = run_cli(*args, "--format", "markdown", "--no-state", cwd=tmp_path)
    outputs += [sarif.stdout, sarif.stderr, markdown.stdout]
    for fmt in ("json", "table", "markdown"):
        report = run_cli("env", "report", str(repo), "--format", fmt, cwd=tmp_path)
        assert report.returncode == 0, report.stderr
        outputs += [report.stdout, report.stderr]
    with sqlite3.connect(state) as db:
        outputs.append("\n".join(db.iterdump()))
    assert [leaks(text) for text in outputs] == [[]] * len(outputs)


def _audit_with_open_stdin(repo: Path, cwd: Path, checks: str) -> subprocess.CompletedProcess[str]:
    """``hygiene audit`` whose stdin is a pipe nobody writes to or closes: reading /dev/stdin
    blocks. The timeout turns a hang into a failure."""
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    read_end, write_end = os.pipe()
    try:
        return subprocess.run(
            [exe, "audit", "--only", checks, "--repo", str(repo), "--format", "json", "--no-state"],
            stdin=read_end,
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=120,
        )
    finally:
        os.close(read_end)
        os.close(write_end)


def test_links_to_dev_stdin_and_fifos_do_not_hang_the_env_check(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo(
        "special",
        [
            {
                ".gitignore": ".env\n.env.local\n.env.development\n",
                ".env.example": "DOCUMENTED=1\n",
                "app.py": "import os\nos.environ['DOCUMENTED']\nos.environ['MISSING_ONE']\n",
                "bin/tool": "#!/bin/sh\necho $DOCUMENTED\n",
                "bin/fifo-script": "#!/bin/sh\necho $DOCUMENTED\n",
                "config/settings.py": "import os\n",
            }
        ],
    )
    # tracked paths turned into a link to /dev/stdin and a FIFO in the work tree
    (repo / "bin" / "tool").unlink()
    (repo / "bin" / "tool").symlink_to("/dev/stdin")
    (repo / "bin" / "fifo-script").unlink()
    os.mkfifo(repo / "bin" / "fifo-script")
    (repo / "config" / "settings.py").unlink()
    (repo / "config" / "settings.py").symlink_to("/dev/stdin")
    os.mkfifo(repo / ".env.local")  # untracked local dotenv files, beside the example
    (repo / ".env.development").symlink_to("/dev/stdin")
    git(repo, "add", "bin/tool")  # tracked as the link itself
    git(repo, "commit", "-q", "-m", "link")
    proc = _audit_with_open_stdin(repo, tmp_path, "env,readiness")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["run"]["status"] == "complete"
    assert document["run"]["checks"]["env"]["status"] == "ok"
    assert document["run"]["checks"]["env"]["stats"]["files_skipped"] == 5
    assert document["run"]["checks"]["readiness"]["stats"]["files_skipped"] == 1
    found = {(f["rule"], f["details"].get("variable")) for f in document["findings"]}
    assert ("undocumented-variable", "MISSING_ONE") in found  # the regular files still count


def test_env_report_names_a_file_it_could_not_parse_and_exits_3(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo(
        "generated",
        [
            {
                ".gitignore": ".env\n",
                ".env.example": "DOCUMENTED=1\n",
                "app.py": "import os\nos.environ['DOCUMENTED']\n",
                "gen.py": "import os\nos.environ['X']\nx = " + "+".join(["1"] * 50_000) + "\n",
            }
        ],
    )
    proc = run_cli("env", "report", str(repo), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    document = json.loads(proc.stdout)
    assert document["errors"] == [
        {"path": "gen.py", "reason": "too deeply nested to parse (RecursionError)"}
    ]
    assert {row["name"]: row["status"] for row in document["variables"]} == {
        "DOCUMENTED": "documented"
    }
    assert "gen.py: too deeply nested to parse" in proc.stderr and "Traceback" not in proc.stderr
