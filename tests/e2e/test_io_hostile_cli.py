"""The installed CLI against hostile artefact paths and state I/O faults (issue 15, items 6, 9
and 12): devices, FIFOs and symlinks under -o/--metrics-file/spend -o; a read-only, corrupt or
unlockable state; a full disk under the state, --output and report --out; a bad
HYGIENE_LOCK_TIMEOUT; a symlinked --state. Exit 2 when nothing ran, 3 when the run happened but
its recording or artefact failed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hygiene.exit_codes import ExitCode
from hygiene.store import Store
from tests.conftest import REPO_ROOT, run_cli
from tests.fixtures.io_faults import (
    FULL,
    FifoReader,
    corrupt_middle_page,
    device,
    file_size_limit,
    read_only,
    stray_files,
)

FOCUS = REPO_ROOT / "data" / "focus" / "focus_sample.csv"


def _hygiene(
    *args: str, cwd: Path, limit: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed ``hygiene``, optionally with files limited to ``limit`` bytes (a full disk:
    writes past it fail with EFBIG)."""
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    return subprocess.run(
        [exe, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=file_size_limit(limit) if limit else None,
        timeout=600,
    )


def _env_repo(make_repo: Callable[..., Path], variables: int = 1) -> Path:
    """A repository whose .env.example documents ``variables`` that nothing reads (one env
    finding each)."""
    example = "".join(f"UNUSED_{i:04d}=x\n" for i in range(variables))
    return make_repo("repo", [{".env.example": example, ".gitignore": ".env\n"}])


def _audit(tmp_path: Path, repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "audit", "--only", "env", "--repo", str(repo), "--format", "json", *args,
        cwd=tmp_path, env=env,
    )  # fmt: skip


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("hygiene: error:")]


# --------------------------------------------------------------------------- special files (6)


def test_devices_are_written_through_never_replaced(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """``audit -o /dev/null`` as root replaced /dev/null with a regular file (rename)."""
    repo = _env_repo(make_repo)
    out, metrics, spend = (device(tmp_path / name) for name in ("out", "metrics", "spend"))
    proc = _audit(tmp_path, repo, "--no-state", "-o", str(out), "--metrics-file", str(metrics))
    assert proc.returncode == ExitCode.CLEAN, proc.stderr
    assert f"written to {out}" in proc.stderr
    spent = run_cli(
        "spend", "--source", str(FOCUS), "--month", "2024-09", "-o", str(spend), cwd=tmp_path
    )
    assert spent.returncode == 0, spent.stderr
    for node in (out, metrics, spend):
        assert stat.S_ISCHR(os.lstat(node).st_mode), f"{node} was replaced"
    assert stray_files(tmp_path, "out", "metrics", "spend", "repo", ".hygiene") == []


def test_a_fifo_with_a_reader_receives_the_findings(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    reader = FifoReader(tmp_path / "findings.fifo")
    proc = _audit(tmp_path, repo, "--no-state", "-o", str(reader.path))
    assert proc.returncode == ExitCode.CLEAN, proc.stderr
    document = json.loads(reader.result())
    assert document["run"]["status"] == "complete"
    assert [f["rule"] for f in document["findings"]] == ["unused-variable"]
    assert stat.S_ISFIFO(os.lstat(reader.path).st_mode)


def test_a_fifo_nobody_reads_is_refused_not_waited_on(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    fifo = tmp_path / "findings.fifo"
    os.mkfifo(fifo)
    proc = _audit(tmp_path, repo, "--no-state", "-o", str(fifo))
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert _errors(proc.stderr) == [
        f"hygiene: error: {fifo}: a FIFO that no process is reading; start its reader first, "
        "or write to a file"
    ]
    assert "written to" not in proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlinked_output_keeps_the_link_and_replaces_its_target(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    target = tmp_path / "reports" / "findings.json"
    target.parent.mkdir()
    target.write_text("previous\n")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    proc = _audit(tmp_path, repo, "--no-state", "-o", str(link))
    assert proc.returncode == ExitCode.CLEAN, proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["run"]["status"] == "complete"
    assert stray_files(target.parent, "findings.json") == []


def test_an_output_path_that_cannot_be_a_file_is_refused_before_anything_runs(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    (tmp_path / "notes.txt").write_text("x")
    state = tmp_path / "state" / "state.db"
    for option in ("-o", "--metrics-file"):
        bad = tmp_path / "notes.txt" / "out.json"
        proc = _audit(tmp_path, repo, "--state", str(state), option, str(bad))
        assert proc.returncode == ExitCode.USAGE, proc.stderr
        assert f"{bad}: cannot be written: Not a directory" in proc.stderr
        assert not state.exists()  # nothing ran: not even the state was created


# --------------------------------------------------------------------------- state and artefact I/O (9)


def _first_run(tmp_path: Path, repo: Path, state: Path) -> dict[str, object]:
    out = tmp_path / "first.json"
    proc = _audit(tmp_path, repo, "--state", str(state), "-o", str(out))
    assert proc.returncode == ExitCode.CLEAN, proc.stderr
    document: dict[str, object] = json.loads(out.read_text())
    out.unlink()
    return document


def _recorded_runs(state: Path) -> list[str]:
    """The ids of every run the state holds, oldest first (read back after a failure)."""
    with Store(state) as store:
        runs = store.runs_between(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    return [str(run["run"]["id"]) for run in runs]


def test_a_read_only_state_is_a_configuration_error_before_anything_runs(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    state = tmp_path / "state" / "state.db"
    first = _first_run(tmp_path, repo, state)
    out = tmp_path / "second.json"
    with read_only(state):
        proc = _audit(tmp_path, repo, "--state", str(state), "-o", str(out))
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert proc.stderr.splitlines() == [
        f"hygiene: error: {state}: the state database is read-only; make it and its directory "
        "writable, or pass --no-state"
    ]
    assert not out.exists()
    assert _recorded_runs(state) == [first["run"]["id"]]  # type: ignore[index]


def test_a_page_corrupt_state_is_a_configuration_error_before_anything_runs(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo, variables=300)  # enough pages that the middle one holds rows
    state = tmp_path / "state" / "state.db"
    _first_run(tmp_path, repo, state)
    corrupt_middle_page(state)
    out = tmp_path / "second.json"
    proc = _audit(tmp_path, repo, "--state", str(state), "-o", str(out))
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith(f"hygiene: error: {state}: the state database is corrupt (")
    assert line.endswith("restore it from a backup, or move it aside to start a new history")
    assert not out.exists()


def test_a_lock_file_that_cannot_be_created_is_a_configuration_error(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    state = tmp_path / "state" / "state.db"
    state.parent.mkdir()
    lock = tmp_path / "state" / "state.db.lock"
    lock.mkdir()
    proc = _audit(tmp_path, repo, "--state", str(state))
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert proc.stderr.splitlines() == [
        f"hygiene: error: {state}: cannot create the lock file {lock}: Is a directory; the "
        "state's directory must be writable (or pass --no-state)"
    ]
    (tmp_path / "notes.txt").write_text("x")
    inside = tmp_path / "notes.txt" / "state.db"
    proc = _audit(tmp_path, repo, "--state", str(inside))
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert proc.stderr.splitlines() == [
        f"hygiene: error: {inside}: cannot create the state directory {tmp_path / 'notes.txt'}: "
        "a file stands where that directory (or one of its parents) should be; pass --state a "
        "path in a directory"
    ]


def test_a_full_disk_under_the_state_still_writes_the_findings_and_keeps_the_previous_run(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """The checks ran, recording them failed: the artefact is written (run incomplete, the
    cause named), exit 3, and the state holds the previous run, whole."""
    repo = _env_repo(make_repo, variables=3)
    state = tmp_path / "state" / "state.db"
    first = _first_run(tmp_path, repo, state)
    for target in ("file", "stdout"):
        device(state.with_name("state.db-wal"), FULL)  # SQLite's journal: every write ENOSPC
        out = tmp_path / "second.json"
        proc = _audit(
            tmp_path, repo, "--state", str(state), *(["-o", str(out)] * (target == "file"))
        )
        assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
        document = json.loads(out.read_text() if target == "file" else proc.stdout)
        reason = (
            f"{state}: cannot write the state database: disk is full (SQLITE_FULL: database or "
            "disk is full); nothing of this write was recorded and the previous state is intact"
        )
        assert document["run"]["status"] == "incomplete"
        assert document["run"]["checks"]["state"] == {
            "status": "error", "reason": reason, "duration_s": 0.0, "stats": {}
        }  # fmt: skip
        assert document["run"]["checks"]["env"]["status"] == "ok"
        assert len(document["findings"]) == 3
        assert _errors(proc.stderr) == [f"hygiene: error: the run was not recorded: {reason}"]
        assert "cannot rollback" not in proc.stderr and "Traceback" not in proc.stderr
        assert _recorded_runs(state) == [first["run"]["id"]]  # type: ignore[index]
        with Store(state) as store:  # read back: the first run, with its findings
            assert len(store.run_findings(str(first["run"]["id"]))) == 3  # type: ignore[index]
        out.unlink(missing_ok=True)


def test_a_full_disk_under_output_keeps_the_previous_file_and_leaves_no_temporary(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    code = "import os\n" + "".join(f'V{i:04d} = os.environ["V{i:04d}"]\n' for i in range(4000))
    repo = make_repo("repo", [{"app.py": code}])  # one finding listing 4,000 names: a big file
    args = ["audit", "--only", "env", "--repo", str(repo), "--no-state", "--format", "json"]
    probe = tmp_path / "probe.json"
    assert _hygiene(*args, "-o", str(probe), cwd=tmp_path).returncode == ExitCode.CLEAN
    limit = int(probe.stat().st_size * 0.85)  # room for the run's spool, not for the document
    out = tmp_path / "out" / "findings.json"
    out.parent.mkdir()
    out.write_text("previous\n")
    proc = _hygiene(*args, "-o", str(out), cwd=tmp_path, limit=limit)
    assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
    assert _errors(proc.stderr) == [
        f"hygiene: error: {out}: cannot write: disk is full (file too large for the file-size "
        f"limit); nothing was written ({out} is unchanged)"
    ]
    assert "written to" not in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_text() == "previous\n"
    assert stray_files(out.parent, "findings.json") == []


def test_a_full_disk_under_report_out_keeps_the_previous_report(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo, variables=1500)  # a report whose files outgrow the limit
    state = tmp_path / "state" / "state.db"
    audited = _audit(tmp_path, repo, "--state", str(state), "--as-of", "2026-11-15")
    assert audited.returncode == ExitCode.CLEAN, audited.stderr
    args = ["report", "--month", "2026-11", "--state", str(state), "--out", str(tmp_path / "rep")]
    assert _hygiene(*args, cwd=tmp_path).returncode == 0
    month = tmp_path / "rep" / "2026-11"
    before = {p.name: p.read_bytes() for p in month.iterdir()}
    assert max(len(b) for b in before.values()) > 200_000
    proc = _hygiene(*args, cwd=tmp_path, limit=100_000)
    assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
    assert _errors(proc.stderr) == [
        f"hygiene: error: {month}: cannot write the report: disk is full (file too large for the "
        "file-size limit); nothing was written (the previous report of 2026-11, if any, is "
        "unchanged)"
    ]
    assert {p.name: p.read_bytes() for p in month.iterdir()} == before
    assert stray_files(tmp_path / "rep", "2026-11") == []


def test_a_full_disk_under_the_metrics_file_still_writes_the_findings(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    metrics = device(tmp_path / "hygiene.prom", FULL)
    out = tmp_path / "findings.json"
    proc = _audit(tmp_path, repo, "--no-state", "-o", str(out), "--metrics-file", str(metrics))
    assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
    assert _errors(proc.stderr) == [
        f"hygiene: error: --metrics-file {metrics}: writing failed: disk is full; what was "
        "written may be incomplete"
    ]
    assert json.loads(out.read_text())["run"]["status"] == "complete"
    assert stat.S_ISCHR(os.lstat(metrics).st_mode)


def test_a_full_disk_under_stdout_is_named_and_exits_3(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    with device(tmp_path / "full", FULL).open("w") as stdout:  # `hygiene audit > /dev/full`
        proc = subprocess.run(
            [exe, "audit", "--only", "env", "--repo", str(repo), "--no-state", "--format", "json"],
            cwd=tmp_path,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
    assert _errors(proc.stderr) == [
        "hygiene: error: stdout: writing the findings failed: disk is full"
    ]
    assert "Traceback" not in proc.stderr


def test_a_bad_lock_timeout_is_a_usage_error_naming_the_variable(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    for value in ("abc", "-5"):
        for args in (
            ["audit", "--only", "env", "--repo", str(repo), "--no-state"],
            ["report", "--state", str(tmp_path / "state.db")],
        ):
            proc = run_cli(*args, cwd=tmp_path, env={"HYGIENE_LOCK_TIMEOUT": value})
            assert proc.returncode == ExitCode.USAGE, proc.stderr
            assert proc.stderr.splitlines() == [
                f"hygiene: error: HYGIENE_LOCK_TIMEOUT={value!r}: expected the seconds to wait "
                "for the state lock, a number 0 or more (default 60)"
            ]


# --------------------------------------------------------------------------- symlinked --state (12)


def test_a_symlinked_state_waits_for_the_lock_of_the_real_file(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    repo = _env_repo(make_repo)
    state = tmp_path / "state.db"
    link = tmp_path / "link.db"
    link.symlink_to(state)
    with Store(state):  # another run holds the state
        proc = _audit(tmp_path, repo, "--state", str(link), HYGIENE_LOCK_TIMEOUT="0.5")
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert (
        f"hygiene: error: {link}: another hygiene run (pid {os.getpid()}) holds the state "
        "lock; waited 0.5s" in proc.stderr
    )
    assert not (tmp_path / "link.db.lock").exists()
    proc = _audit(tmp_path, repo, "--state", str(link))
    assert proc.returncode == ExitCode.CLEAN, proc.stderr
    with Store(state) as store:
        assert store.latest_run() is not None
