"""FindingSpool: findings on disk in report order, read back in pages, rewritten in place."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.findings import Finding, Severity
from hygiene.publish.formats import iter_json, render_json
from hygiene.spool import FindingSpool


def finding(resource: str, severity: str = "high", rule: str = "missing-tag") -> Finding:
    return Finding.create(
        check="tags",
        rule=rule,
        severity=severity,
        resource=resource,
        message=f"{resource} lacks Owner",
        details={"account": "111122223333", "tags": {"Env": "prod"}},
    )


def report_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.check, f.resource, f.rule))


def test_reads_back_everything_in_report_order_across_pages() -> None:
    severities = ["low", "critical", "medium", "high", "info"]
    added = [finding(f"arn:{i % 37:03d}", severities[i % 5]) for i in range(2_345)]
    spool = FindingSpool()
    for start in range(0, len(added), 500):  # batches, as a streaming check adds them
        spool.add(added[start : start + 500])

    assert len(spool) == 2_345
    assert [f.id for f in spool] == [f.id for f in report_order(added)]  # stable: ties by arrival
    pages = list(spool.pages(size=1000))
    assert [len(p) for p in pages] == [1000, 1000, 345]
    assert spool[0].severity is Severity.CRITICAL and spool[-1].severity is Severity.INFO
    assert spool[10:13] == list(spool)[10:13]
    assert spool.count_at_least(Severity.HIGH) == sum(
        1 for f in added if f.severity.at_least(Severity.HIGH)
    )
    with pytest.raises(IndexError):
        spool[2_345]


def test_findings_added_later_are_ordered_in() -> None:
    spool = FindingSpool.of([finding("b", "low")])
    assert [f.resource for f in spool] == ["b"]
    spool.add([finding("a", "low"), finding("z", "critical")])
    assert [f.resource for f in spool] == ["z", "a", "b"]


def test_rewrite_replaces_each_finding_in_place() -> None:
    spool = FindingSpool.of([finding(f"r{i}") for i in range(2_500)])
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    spool.rewrite_contracts(
        lambda page: [{**f, "status": "new", "first_seen": "2026-11-01T00:00:00Z"} for f in page]
    )
    assert {(f.status, f.first_seen) for f in spool} == {("new", seen)}
    assert len(spool) == 2_500
    with pytest.raises(ValueError):
        spool.rewrite_contracts(lambda page: page[1:])


def test_threads_may_add_at_once() -> None:
    spool = FindingSpool()

    def add(thread: int) -> None:
        for batch in range(20):
            spool.add([finding(f"t{thread}-{batch}-{i}") for i in range(50)])

    threads = [threading.Thread(target=add, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spool) == 4_000
    assert len({f.resource for f in spool}) == 4_000


def test_the_lazy_contract_view_renders_the_same_json_as_a_list() -> None:
    spool = FindingSpool.of([finding(f"r{i}", rule="ü-rule") for i in range(3)])
    document = {"schema": "hygiene.findings/v1", "run": {"id": "x", "checks": {}}}
    lazy = {**document, "findings": spool.contracts()}
    whole = {**document, "findings": [f.to_contract() for f in spool]}
    expected = json.dumps(whole, indent=2) + "\n"
    assert render_json(lazy) == expected
    assert "".join(iter_json(lazy)) == expected
    assert (
        render_json({**document, "findings": []})
        == json.dumps({**document, "findings": []}, indent=2) + "\n"
    )
    assert len(list(iter_json(lazy))) > 3  # streamed in pieces, not one string


def test_close_deletes_the_spool_file() -> None:
    spool = FindingSpool.of([finding("a")])
    directory = Path(spool._dir.name)
    assert any(directory.iterdir())
    spool.close()
    assert not directory.exists()


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_spool_folder_names_its_owner_and_goes_on_close(tmp_path: Path) -> None:
    import os

    spool = FindingSpool(tmp_path)
    assert spool.path.parent == tmp_path
    assert spool.path.name.startswith(f"hygiene-spool-{os.getpid()}-")
    spool.close()
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_only_dead_processes_spools(tmp_path: Path) -> None:
    import os

    from hygiene.spool import sweep

    mine = FindingSpool(tmp_path)  # this process's own, live spool (its first sweep: nothing)
    dead = _dead_pid()
    orphan = tmp_path / f"hygiene-spool-{dead}-abc"  # killed before it took its lock
    orphan.mkdir()
    (orphan / "findings.db").write_bytes(b"x")
    unlocked = tmp_path / f"hygiene-spool-{dead}-def"
    unlocked.mkdir()
    (unlocked / "owner.lock").touch()
    alive = tmp_path / f"hygiene-spool-{os.getppid()}-ghi"  # a running process's
    alive.mkdir()
    unnamed = tmp_path / "hygiene-spool-xyz"  # no PID: nobody can tell whose it is
    unnamed.mkdir()
    other = tmp_path / f"other-{dead}-abc"
    other.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / f"hygiene-spool-{dead}-link").symlink_to(target)
    assert sorted(p.name for p in sweep(tmp_path)) == sorted([orphan.name, unlocked.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            alive.name,
            unnamed.name,
            other.name,
            target.name,
            f"hygiene-spool-{dead}-link",
            mine.path.name,
        ]
    )
    mine.close()


def test_sweep_keeps_a_spool_whose_lock_is_held(tmp_path: Path) -> None:
    """A PID that looks dead here may live in another PID namespace sharing the folder: its
    owner's lock says so."""
    import fcntl
    import os

    from hygiene.spool import sweep

    held = tmp_path / f"hygiene-spool-{_dead_pid()}-abc"
    held.mkdir()
    fd = os.open(held / "owner.lock", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert sweep(tmp_path) == []
        assert held.is_dir()
    finally:
        os.close(fd)
    assert sweep(tmp_path) == [held]


def test_the_first_spool_of_a_process_sweeps_its_folder(tmp_path: Path) -> None:
    from hygiene import spool as spool_module

    left = tmp_path / f"hygiene-spool-{_dead_pid()}-abc"
    left.mkdir()
    spool_module._swept.discard(str(tmp_path))
    spool = FindingSpool(tmp_path)
    try:
        assert not left.exists()
    finally:
        spool.close()
