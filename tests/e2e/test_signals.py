"""SIGINT and SIGTERM during a long history scan, and SIGKILL, through the installed CLI.

A real repository whose history holds large blobs full of secret-looking lines (minutes of
scanning; a worker batch alone takes seconds) is audited in its own session and TMPDIR. Once the
scan's worker processes run, the run is signalled: it must exit 130/143 promptly, leave no
process of its group and no ``hygiene-spool-*`` folder, and leave the previous run in the state
database as it was. A SIGKILLed run cannot clean up: its workers still die with it, and the next
run sweeps its spool.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

FAKE_KEY = "AKIAZ3MHGKQW7P2LSNYT"
BLOB_LINES = 24_000  # ~1.5 MB a blob: under max_file_bytes, each one its own worker batch


def _long_history(root: Path, commits: int = 6, files: int = 3) -> Path:
    """A repository of ``commits`` commits each rewriting ``files`` large files (fast-import)."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream: list[bytes] = []
    for c in range(commits):
        message = f"change {c}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(b"committer T <t@example.invalid> %d +0000\n" % (1_700_000_000 + c))
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for f in range(files):
            body = "".join(
                f'value_{c}_{f}_{i} = "{hashlib.sha1(f"{c}/{f}/{i}".encode()).hexdigest()}"\n'
                for i in range(BLOB_LINES)
            ).encode()
            stream.append(b"M 100644 inline settings%02d.py\n" % f)
            stream.append(b"data %d\n%s\n" % (len(body), body))
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    return root


@pytest.fixture(scope="module")
def long_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _long_history(tmp_path_factory.mktemp("long") / "repo")


@pytest.fixture
def previous(tmp_path: Path, make_repo: Callable[..., Path]) -> tuple[Path, dict[str, object]]:
    """A state database holding one finished run (on a small repo), and a dump of it."""
    small = make_repo("small", [{"config.py": f'AWS_KEY = "{FAKE_KEY}"\n'}])
    state = tmp_path / "state" / "state.db"
    first = run_cli(
        "audit", "--only", "secrets", "--repo", str(small), "--state", str(state), "--no-progress"
    )
    assert first.returncode == 1, first.stderr  # the planted key: a finding, recorded
    dump = _dump(state)
    assert dump["runs"] and dump["findings"]
    return state, dump


def _dump(state: Path) -> dict[str, object]:
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("runs", "findings", "run_findings", "alerts_sent")
        }


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of each process whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append((int(entry), name))
    return found


def _start(repo: Path, state: Path, tmpdir: Path, *checks: str) -> subprocess.Popen[str]:
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    return subprocess.Popen(
        [
            *(exe, "audit", "--only", ",".join(checks), "--repo", str(repo)),
            *("--state", str(state), "--format", "json", "--no-progress"),
        ],
        env={**os.environ, "TMPDIR": str(tmpdir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_until_scanning(proc: subprocess.Popen[str]) -> None:
    """Until the run has forked its scanner's worker processes (children named like it)."""
    for _ in range(1200):
        name = Path(f"/proc/{proc.pid}/comm").read_text().strip()  # once it has exec'd
        if any(child == name for _, child in _children(proc.pid)):
            return
        assert proc.poll() is None, f"the run ended before scanning: {proc.communicate()[1]}"
        time.sleep(0.05)
    raise AssertionError("the scan's worker processes never started")


def _group_gone(pgid: int) -> bool:
    """Whether no process of the group is left (zombies re-parented to init take a moment)."""
    for _ in range(200):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _spools(tmpdir: Path) -> list[str]:
    return sorted(p.name for p in tmpdir.glob("hygiene-spool-*"))


@pytest.mark.parametrize(
    ("signum", "to_group", "checks", "code"),
    [
        (signal.SIGINT, True, ("secrets",), 130),  # Ctrl-C reaches the whole process group
        (signal.SIGINT, True, ("secrets", "env"), 130),  # checks in concurrent threads
        (signal.SIGTERM, False, ("secrets",), 143),  # kill PID, a scheduler stopping the job
        (signal.SIGTERM, False, ("secrets", "env"), 143),
    ],
    ids=["sigint-secrets", "sigint-secrets-env", "sigterm-secrets", "sigterm-secrets-env"],
)
def test_a_signal_stops_the_scan_ends_every_worker_and_keeps_the_state(
    tmp_path: Path,
    long_repo: Path,
    previous: tuple[Path, dict[str, object]],
    signum: int,
    to_group: bool,
    checks: tuple[str, ...],
    code: int,
) -> None:
    state, before = previous
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = _start(long_repo, state, tmpdir, *checks)
    try:
        _wait_until_scanning(proc)
        if to_group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=60)  # generous: a clean stop takes well under 2 s
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == code, stderr
    assert f"interrupted by {signal.Signals(signum).name}" in stderr
    assert "Traceback" not in stderr
    assert _group_gone(proc.pid), _children(proc.pid)
    assert _spools(tmpdir) == []
    assert _dump(state) == before  # the previous run is intact and still the last one


def test_a_killed_runs_workers_die_with_it_and_the_next_run_sweeps_its_spool(
    tmp_path: Path,
    long_repo: Path,
    previous: tuple[Path, dict[str, object]],
    make_repo: Callable[..., Path],
) -> None:
    state, before = previous
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    stranger = tmpdir / "hygiene-spool-other"  # not a hygiene-spool-<pid>-… folder: kept
    stranger.mkdir()
    proc = _start(long_repo, state, tmpdir, "secrets")
    try:
        _wait_until_scanning(proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _group_gone(proc.pid), _children(proc.pid)  # the workers died with their parent
    left = [name for name in _spools(tmpdir) if name.startswith(f"hygiene-spool-{proc.pid}-")]
    assert len(left) == 1  # a SIGKILLed run cannot remove its own spool
    assert _dump(state) == before

    small = make_repo("next", [{"a.py": "x = 1\n"}])
    following = run_cli(
        "audit",
        "--only",
        "secrets",
        "--repo",
        str(small),
        "--state",
        str(tmp_path / "other.db"),
        "--no-progress",
        env={"TMPDIR": str(tmpdir)},
    )
    assert following.returncode == 0, following.stderr
    assert _spools(tmpdir) == ["hygiene-spool-other"]


LAST_RESORT = """
import sys, threading, time
from hygiene.interrupts import Interrupted, handle_signals
from hygiene.spool import FindingSpool

stuck = threading.Thread(target=time.sleep, args=(3600,))  # non-daemon: exit would wait for it
spool = FindingSpool()
try:
    with handle_signals(exit_grace=0.5):
        stuck.start()
        print(spool.path, flush=True)
        time.sleep(3600)
except Interrupted as exc:
    sys.exit(exc.exit_code)  # the interpreter now waits for `stuck`: the watchdog ends it
"""


def test_a_process_that_cannot_exit_is_ended_after_cleanup(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", LAST_RESORT],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        spool = Path(proc.stdout.readline().strip())
        assert spool.is_dir()
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 143
    assert not spool.exists()
