"""The installed CLI: `audit --only secrets` in every format (SARIF validated against the 2.1.0
schema), `secrets baseline`, `secrets scan` — and no secret value in any output, log, state DB or
cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import git, run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "secrets"
AWS = "AKIAZ3MHGKQW7P2LSNYT"
GHP = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"
PWD = "Tr0ub4dor&3-horse-battery"
B64 = "Zq3+Sp88GyfY4FV8KpG08+bYDBl1qy5PjD1qCx6ffCU="  # a 32-byte signing key, base64
SECRETS = (AWS, GHP, PWD, B64)


def _planted(make_repo: Callable[..., Path]) -> Path:
    return make_repo(
        "svc",
        [
            {"app.py": f'AWS = "{AWS}"\npassword = "{PWD}"\n', "old.py": f'TOKEN = "{GHP}"\n'},
            {"old.py": None, "conf/settings.yaml": f"signing_key: {B64}\n"},
        ],
    )


def _assert_no_secret(blob: bytes | str, where: str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for value in SECRETS:
        assert value.encode() not in data, f"a secret value leaked into {where}"


def test_audit_every_format_without_leaking_a_secret(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = _planted(make_repo)
    state = tmp_path / "state" / "state.db"
    outputs = {}
    for fmt in ("json", "sarif", "markdown", "table"):
        proc = run_cli(
            "audit",
            "--only",
            "secrets",
            "--repo",
            str(repo),
            "--format",
            fmt,
            "--state",
            str(state),
            "--log-level",
            "DEBUG",
            "--log-format",
            "json",
        )
        assert proc.returncode == 1, proc.stderr  # critical findings, --fail-on high
        _assert_no_secret(proc.stdout, f"--format {fmt}")
        _assert_no_secret(proc.stderr, f"the logs of --format {fmt}")
        outputs[fmt] = proc.stdout
    document = json.loads(outputs["json"])
    assert {
        (f["rule"], f["resource"], f["details"]["type"], f["severity"])
        for f in document["findings"]
    } == {
        ("in-tree", "svc:app.py", "aws-access-key", "high"),
        ("in-tree", "svc:app.py", "password-assignment", "high"),
        ("in-tree", "svc:conf/settings.yaml", "secret-assignment", "medium"),
        ("history-only", "svc:old.py", "github-token", "medium"),  # history-only: one lower
    }
    assert {f["details"]["preview"] for f in document["findings"]} == {
        "AKIA…",
        "Tr0u…",
        "Zq3+…",
        "ghp_…",
    }
    for path in state.parent.rglob("*"):
        if path.is_file():
            _assert_no_secret(path.read_bytes(), str(path))
    sarif = json.loads(outputs["sarif"])
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in results
    } == {
        ("secrets/in-tree", "app.py"),
        ("secrets/in-tree", "conf/settings.yaml"),
        ("secrets/history-only", "old.py"),
    }


def test_audit_on_a_plain_directory_exits_3(tmp_path: Path) -> None:
    proc = run_cli(
        "audit", "--only", "secrets", "--repo", str(tmp_path), "--no-state", "--format", "json"
    )
    assert proc.returncode == 3
    assert json.loads(proc.stdout)["run"]["checks"]["secrets"]["status"] == "error"


def test_baseline_then_scan_staged(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("svc", [{"app.py": f'AWS = "{AWS}"\n'}])
    made = run_cli("secrets", "baseline", "--repo", str(repo), "--update")
    assert made.returncode == 0, made.stderr
    baseline_file = repo / ".secrets.baseline"
    baseline = json.loads(baseline_file.read_text())
    _assert_no_secret(baseline_file.read_bytes(), "the baseline")
    assert [(e["type"], e["line_number"]) for e in baseline["results"]["app.py"]] == [
        ("AWS Access Key ID", 1)  # Kingfisher's name for a key id committed alone
    ]

    clean = run_cli("secrets", "scan", "--repo", str(repo), cwd=repo)
    assert clean.returncode == 0, clean.stderr  # nothing staged

    (repo / "cfg.py").write_text(f'password = "{PWD}"\n')
    git(repo, "add", "cfg.py")
    blocked = run_cli("secrets", "scan", "--repo", str(repo), cwd=repo)
    assert blocked.returncode == 1
    assert blocked.stdout.startswith("cfg.py:1: password-assignment Tr0u… sha256:")
    _assert_no_secret(blocked.stdout + blocked.stderr, "secrets scan")

    # the known AWS key, passed as a file the way pre-commit does, is not new
    known = run_cli("secrets", "scan", "--repo", str(repo), str(repo / "app.py"), cwd=repo)
    assert known.returncode == 0, known.stdout

    # audited as a false positive: no longer blocks
    made = run_cli("secrets", "baseline", "--repo", str(repo), "--update")
    data = json.loads(baseline_file.read_text())
    for entry in data["results"]["cfg.py"]:
        entry["is_secret"] = False
    baseline_file.write_text(json.dumps(data))
    again = run_cli("secrets", "baseline", "--repo", str(repo), "--update")
    assert again.returncode == 0
    assert json.loads(baseline_file.read_text())["results"]["cfg.py"][0]["is_secret"] is False
    assert run_cli("secrets", "scan", "--repo", str(repo), cwd=repo).returncode == 0


def test_secrets_help_lists_the_verbs() -> None:
    proc = run_cli("secrets", "--help")
    assert proc.returncode == 0
    assert "baseline" in proc.stdout and "scan" in proc.stdout


def test_update_keeps_audited_entries_whose_secret_lives_on_only_in_history(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo("svc", [{"cfg.py": f'password = "{PWD}"\n'}, {"cfg.py": "password = None\n"}])
    baseline_file = repo / ".secrets.baseline"
    history_only = {  # as detect-secrets wrote it: matched by file and hash, whatever the type
        "type": "Secret Keyword",
        "filename": "cfg.py",
        "hashed_secret": hashlib.sha1(PWD.encode()).hexdigest(),
        "is_verified": False,
        "line_number": 1,
        "is_secret": False,  # audited: a test fixture, not a credential
    }
    baseline_file.write_text(json.dumps({"results": {"cfg.py": [history_only]}}))
    audit = ["audit", "--only", "secrets", "--repo", str(repo), "--no-state", "--format", "json"]
    assert json.loads(run_cli(*audit).stdout)["findings"] == []  # suppressed in the history

    updated = run_cli("secrets", "baseline", "--repo", str(repo), "--update")
    assert updated.returncode == 0, updated.stderr
    kept = json.loads(baseline_file.read_text())["results"]["cfg.py"]
    assert [(e["hashed_secret"], e["is_secret"]) for e in kept] == [
        (history_only["hashed_secret"], False)
    ]
    assert json.loads(run_cli(*audit).stdout)["findings"] == []  # still suppressed


def test_a_clone_url_token_reaches_no_output_log_or_state(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    token = "Tok3nInTheCloneUrl9x"
    origin = make_repo("origin", [{"app.py": f'AWS = "{AWS}"\n'}])
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nrepos:\n"
        f"  - url: file://user:{token}@{origin}\n"
        f"  - url: file://user:{token}@{tmp_path}/nope.git\n"
    )
    state = tmp_path / "state" / "state.db"
    proc = run_cli(
        *("audit", "--only", "secrets", "--config", str(policy), "--format", "json"),
        *("--state", str(state), "--log-level", "DEBUG", "--log-format", "json"),
        cwd=tmp_path,
    )
    assert proc.returncode == 3, proc.stderr
    document = json.loads(proc.stdout)
    assert {f["resource"] for f in document["findings"]} == {"origin:app.py"}
    assert "nope.git" in document["run"]["checks"]["secrets"]["reason"]
    assert token not in proc.stdout and token not in proc.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file() and origin not in p.parents]
    assert any(part.endswith(".git") for p in written for part in p.parts)  # the mirror
    for path in written:
        if path != policy:
            assert token.encode() not in path.read_bytes(), path


def _hostile_links(make_repo: Callable[..., Path], tmp_path: Path) -> Path:
    """A repo tracking a link to a key file outside it, a link to /dev/stdin, and a file the
    work tree has swapped for a FIFO."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "key.py").write_text(f'AWS = "{AWS}"\n')
    repo = make_repo("svc", [{"app.py": "x = 1\n", "pipe.py": "y = 2\n"}])
    os.symlink(outside / "key.py", repo / "creds.py")
    os.symlink("/dev/stdin", repo / "stdin.py")
    git(repo, "add", "creds.py", "stdin.py")
    git(repo, "commit", "-q", "-m", "links")
    (repo / "pipe.py").unlink()
    os.mkfifo(repo / "pipe.py")
    return repo


def _run_with_blocking_stdin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with a stdin that never ends (a FIFO we hold open), bounded by a timeout."""
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    fifo = cwd.parent / "stdin.fifo"
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDWR)
    try:
        return subprocess.run(
            [exe, *args], cwd=cwd, stdin=held, capture_output=True, text=True, timeout=60
        )
    finally:
        os.close(held)


def test_baseline_never_follows_a_tracked_link_out_or_opens_a_fifo(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = _hostile_links(make_repo, tmp_path)
    made = _run_with_blocking_stdin("secrets", "baseline", "--repo", str(repo), cwd=repo)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["results"] == {}  # the link text is all creds.py holds
    _assert_no_secret(made.stdout + made.stderr, "secrets baseline")


def test_scan_of_files_reads_a_link_as_its_text(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = _hostile_links(make_repo, tmp_path)
    names = [str(repo / n) for n in ("creds.py", "stdin.py", "pipe.py", "app.py")]
    proc = _run_with_blocking_stdin("secrets", "scan", "--repo", str(repo), *names, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no new secrets" in proc.stderr


def test_audit_ignores_a_baseline_linked_out_of_the_repository(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo("svc", [{"app.py": f'AWS = "{AWS}"\n'}])
    hidden = tmp_path / "elsewhere.baseline"
    made = run_cli("secrets", "baseline", "--repo", str(repo), "-o", str(hidden))
    data = json.loads(hidden.read_text())
    for entry in data["results"]["app.py"]:
        entry["is_secret"] = False  # a verdict from outside the repository must not count
    hidden.write_text(json.dumps(data))
    os.symlink(hidden, repo / ".secrets.baseline")
    assert made.returncode == 0, made.stderr
    proc = run_cli(
        "audit", "--only", "secrets", "--repo", str(repo), "--no-state", "--format", "json"
    )
    document = json.loads(proc.stdout)
    assert proc.returncode == 3
    assert [f["resource"] for f in document["findings"]] == ["svc:app.py"]
    assert "link out of the repository" in document["run"]["checks"]["secrets"]["reason"]


@pytest.mark.parametrize(
    "text",
    [
        '{"results": {"app.py": "x"}}',
        '{"results": []}',
        '{"results": {"app.py": [{"type": "AWS Access Key", "is_secret": false}]}}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["a string per file", "results a list", "an entry without its hash", "deep nesting"],
)
def test_update_refuses_a_corrupt_baseline_and_leaves_it_untouched(
    make_repo: Callable[..., Path], text: str
) -> None:
    repo = make_repo("svc", [{"app.py": f'AWS = "{AWS}"\n'}])
    baseline_file = repo / ".secrets.baseline"
    baseline_file.write_text(text)
    proc = run_cli("secrets", "baseline", "--repo", str(repo), "--update")
    assert proc.returncode == 2, proc.stderr
    assert ".secrets.baseline" in proc.stderr and "Traceback" not in proc.stderr
    assert baseline_file.read_text() == text
