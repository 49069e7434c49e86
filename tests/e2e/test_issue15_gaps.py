"""Issue 15 items the other tests did not pin down, through the installed CLI on real parts:

* §3.2 — a ``repos:`` clone URL (an ``http://`` URL with credentials, served by a real HTTP
  server, and ``file://``) audited by env and readiness with the *default*, relative state and
  cache paths (``.hygiene/…`` in the working directory), as a cron job runs it;
* §3.11 — SIGINT/SIGTERM in the middle of a long history scan stop the run within 2 s;
* §3.10 — one delivery to a receiver that drips its reply ends at the delivery's deadline.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.exit_codes import ExitCode
from hygiene.policy import AlertChannel, AlertsPolicy, Policy
from hygiene.publish.alerts import send_alerts
from hygiene.publish.alerts.webhook import WebhookChannel
from tests.conftest import git, run_cli
from tests.fixtures.publish.seed import finding, seed_run
from tests.integration.test_webhook_hostile import hostile_receiver

# --------------------------------------------------------------------------- §3.2 clone URLs

DSN = "https://" + "0123456789abcdef" * 2 + "@o1.ingest.sentry.io/42"
TOKEN = "tok" + "CLONE" + "4242secret"


@contextmanager
def dumb_http_git(root: Path) -> Iterator[int]:
    """A real HTTP server (git's "dumb" protocol: plain files) serving ``root``; its port."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _served_repo(make_repo: Callable[..., Path], tmp_path: Path) -> Path:
    """A bare repository (``srv/shop.git``) ready to be served over dumb HTTP."""
    source = make_repo(
        "source",
        [
            {
                ".gitignore": ".env\n",
                ".env.example": "PORT=1\n",
                "app.py": f'import os\nos.environ["APP_TOKEN"]\nSENTRY = "{DSN}"\n',
            }
        ],
    )
    bare = tmp_path / "srv" / "shop.git"
    git(tmp_path, "clone", "-q", "--bare", str(source), str(bare))
    git(bare, "update-server-info")
    return bare


def _audit_clone_url(cwd: Path, url: str, *state: str) -> subprocess.CompletedProcess[str]:
    policy = cwd / "policy.yaml"
    policy.write_text(f'version: 1\nrepos:\n  - url: "{url}"\n')
    return run_cli(
        "audit", "--only", "env,readiness", "-c", str(policy), "--format", "json",
        "--no-progress", *state, cwd=cwd, env={"GIT_TERMINAL_PROMPT": "0"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("scheme", "state"),
    [("http", ()), ("file", ("--state", "state/state.db"))],
    ids=["http-with-credentials-default-state", "file-relative-state"],
)
def test_a_clone_url_is_audited_by_env_and_readiness_with_relative_state_paths(
    make_repo: Callable[..., Path], tmp_path: Path, scheme: str, state: tuple[str, ...]
) -> None:
    import json

    bare = _served_repo(make_repo, tmp_path)
    work = tmp_path / "cron"
    work.mkdir()
    with dumb_http_git(tmp_path / "srv") as port:
        url = (
            f"http://robot:{TOKEN}@127.0.0.1:{port}/shop.git"
            if scheme == "http"
            else f"file://{bare}"
        )
        runs = [_audit_clone_url(work, url, *state) for _ in range(2)]  # clone, then refresh
    for proc in runs:
        assert proc.returncode == ExitCode.FINDINGS, proc.stderr
        document = json.loads(proc.stdout)
        checks = document["run"]["checks"]
        assert (checks["env"]["status"], checks["readiness"]["status"]) == ("ok", "ok"), checks
        assert {(f["check"], f["rule"], f["resource"]) for f in document["findings"]} >= {
            ("readiness", "sentry-dsn-hardcoded", "shop:app.py"),
            ("env", "undocumented-variable", "shop:.env.example"),
        }
        assert TOKEN not in proc.stdout and TOKEN not in proc.stderr
    cache = work / (".hygiene" if not state else "state") / "cache"
    checkouts = cache / "work-trees" / "checkouts"
    names = [p.name for p in checkouts.iterdir()]
    assert len(names) == 1 and names[0].startswith("shop-"), names  # nothing cloned beside it
    for path in work.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != "policy.yaml":
            assert TOKEN.encode() not in path.read_bytes(), path


def test_a_run_whose_every_check_errored_does_not_say_they_were_skipped(tmp_path: Path) -> None:
    """Exit 3 names the failed checks; 'every check was skipped; --allow-empty accepts that'
    would be false (they ran and failed) and --allow-empty would not make the run pass."""
    import json

    proc = _audit_clone_url(tmp_path, f"file://{tmp_path}/nowhere/gone.git", "--no-state")
    assert proc.returncode == ExitCode.INCOMPLETE, proc.stderr
    document = json.loads(proc.stdout)
    assert document["run"]["reason"] == "check(s) failed: env, readiness"
    [summary] = [
        line for line in proc.stderr.splitlines() if line.startswith("hygiene: incomplete")
    ]
    assert summary.endswith("errors: env, readiness"), summary
    assert "skipped" not in summary and "--allow-empty" not in summary


# --------------------------------------------------------------------------- §3.11 signals

BLOB_LINES = 24_000


def _slow_history(root: Path, commits: int = 6, files: int = 3) -> Path:
    """A history whose scan takes a minute or more: every line a distinct password value."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    stream: list[bytes] = []
    for c in range(commits):
        message = f"change {c}".encode()
        stream += [
            b"commit refs/heads/main\n",
            b"committer T <t@example.invalid> %d +0000\n" % (1_700_000_000 + c),
            b"data %d\n%s\n" % (len(message), message),
        ]
        for f in range(files):
            body = "".join(
                f'password = "Xq{hashlib.sha1(f"{c}/{f}/{i}".encode()).hexdigest()[:14]}!"\n'
                for i in range(BLOB_LINES)
            ).encode()
            stream += [
                b"M 100644 inline settings%02d.py\n" % f,
                b"data %d\n%s\n" % (len(body), body),
            ]
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    return root


@pytest.fixture(scope="module")
def slow_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _slow_history(tmp_path_factory.mktemp("slow") / "repo")


def _children(pid: int) -> list[str]:
    names = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                names.append(stat[stat.index("(") + 1 : stat.rindex(")")])
    return names


def _dump(state: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("runs", "findings", "run_findings")
        }


@pytest.mark.parametrize(
    ("signum", "to_group", "code"),
    [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
    ids=["sigint-group", "sigterm-pid"],
)
def test_a_signal_in_the_middle_of_a_long_scan_stops_the_run_within_2_s(
    tmp_path: Path,
    slow_repo: Path,
    make_repo: Callable[..., Path],
    signum: int,
    to_group: bool,
    code: int,
) -> None:
    small = make_repo("small", [{"config.py": 'AWS_KEY = "' + "AKIA" + 'Z3MHGKQW7P2LSNYT"\n'}])
    state = tmp_path / "state" / "state.db"
    first = run_cli("audit", "--only", "secrets", "--repo", str(small), "--state", str(state))
    assert first.returncode == ExitCode.FINDINGS, first.stderr
    before = _dump(state)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    proc = subprocess.Popen(
        [exe, "audit", "--only", "secrets", "--repo", str(slow_repo), "--state", str(state),
         "--format", "json", "--no-progress"],
        env={**os.environ, "TMPDIR": str(tmpdir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not any(
            n == Path(f"/proc/{proc.pid}/comm").read_text().strip() for n in _children(proc.pid)
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "no scan workers"
            time.sleep(0.05)
        time.sleep(3.0)  # well into the scan: its workers are busy with the history's blobs
        assert proc.poll() is None, "the scan ended before the signal: the history is too short"
        sent = time.monotonic()
        (os.killpg if to_group else os.kill)(proc.pid, signum)
        _, stderr = proc.communicate(timeout=60)
        stopped = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == code, stderr
    assert stopped < 2.0, f"the run took {stopped:.2f} s to stop"
    for _ in range(40):  # exited workers are reaped by init within moments
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"workers left: {_children(proc.pid)}")
    assert list(tmpdir.glob("hygiene-spool-*")) == []
    assert _dump(state) == before


# --------------------------------------------------------------------------- §3.10 deadline


def test_one_delivery_to_a_dripping_receiver_ends_at_its_deadline(tmp_path: Path) -> None:
    """The receiver sends a byte a second (each read succeeds well within any per-read
    timeout); the whole attempt still ends at the channel's 2 s deadline, not after the ~70 s
    the reply would take."""
    state = tmp_path / "state.db"
    alert = finding("rotation", "rotation-overdue", "high", "arn:aws:iam::111111111111:user/x/k")
    as_of = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    run = seed_run(state, as_of, {"rotation": {"findings": [alert]}})
    channels = [AlertChannel(name="drip", type="webhook", url_env="DRIP_URL")]
    with hostile_receiver("drip") as hostile:
        started = time.monotonic()
        outcome = send_alerts(
            run.to_contract(),
            Policy(alerts=AlertsPolicy(channels=channels)),
            state_path=state,
            environ={},
            channels={"drip": WebhookChannel("drip", hostile.url, timeout=2.0)},
            backoff=0.01,
            attempts=1,
        )
        took = time.monotonic() - started
    [only] = outcome.channels
    assert (only.delivered, only.attempts) == (False, 1)
    assert 1.5 <= took < 3.5, f"one attempt took {took:.2f} s"
