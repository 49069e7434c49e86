"""The history store: new → open → resolved → new, scopes, skipped checks, lock, atomicity."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from hygiene.context import CheckResult
from hygiene.errors import HygieneError, StateLockedError
from hygiene.store import StateWriteError, Store
from tests.fixtures.io_faults import corrupt_middle_page, read_only
from tests.fixtures.store_runs import T0, finding, record


def test_lifecycle_new_open_resolved_new(tmp_path: Path) -> None:
    a, b = finding("a.pem"), finding("b.pem")
    with Store(tmp_path / "state.db") as store:
        assert record(store, 0, [a, b]) == ({a.id: "new", b.id: "new"}, [])
        assert record(store, 1, [a, b]) == ({a.id: "open", b.id: "open"}, [])
        assert record(store, 2, [a]) == ({a.id: "open"}, [b.id])
        assert store.finding_history(b.id) == {
            "first_seen": "2026-10-01T00:00:00Z",
            "last_seen": "2026-10-02T00:00:00Z",
            "resolved_at": "2026-10-03T00:00:00Z",
        }
        assert record(store, 3, [a, b]) == ({a.id: "open", b.id: "new"}, [])
        assert store.finding_history(b.id)["first_seen"] == "2026-10-04T00:00:00Z"  # type: ignore[index]


def test_first_seen_survives_reopening_the_database(tmp_path: Path) -> None:
    a = finding("a.pem")
    with Store(tmp_path / "state.db") as store:
        record(store, 0, [a])
    with Store(tmp_path / "state.db") as store:
        statuses, _ = record(store, 5, [a])
        assert statuses == {a.id: "open"}
        assert store.finding_history(a.id)["first_seen"] == "2026-10-01T00:00:00Z"  # type: ignore[index]


@pytest.mark.parametrize("status", ["skipped", "error"])
def test_skipped_or_errored_check_resolves_nothing(tmp_path: Path, status: str) -> None:
    a = finding("a.pem")
    with Store(tmp_path / "state.db") as store:
        record(store, 0, [a])
        assert record(store, 1, [], status=status) == ({}, [])
        assert store.finding_history(a.id)["resolved_at"] is None  # type: ignore[index]


def test_only_covered_scopes_resolve(tmp_path: Path) -> None:
    in_api, in_web = finding("a.pem", "api"), finding("a.pem", "web")
    with Store(tmp_path / "state.db") as store:
        record(store, 0, [in_api, in_web])
        assert record(store, 1, [], scopes=["web"]) == ({}, [in_web.id])
        assert store.finding_history(in_api.id)["resolved_at"] is None  # type: ignore[index]


def test_a_failed_recording_leaves_the_previous_state(tmp_path: Path) -> None:
    a, b = finding("a.pem"), finding("b.pem")
    with Store(tmp_path / "state.db") as store:
        record(store, 0, [a])

        def explode(*_: object) -> dict[str, object]:
            raise RuntimeError("killed mid-run")

        with pytest.raises(RuntimeError):
            store.record_run(
                run_id="boom",
                started_at=T0,
                finished_at=T0,
                as_of=T0 + timedelta(days=1),
                status="complete",
                results=[CheckResult(name="secrets", status="ok")],
                findings=[b],
                build_document=explode,
            )
        assert store.finding_history(b.id) is None
        assert store.finding_history(a.id)["resolved_at"] is None  # type: ignore[index]
    rows = sqlite3.connect(tmp_path / "state.db").execute("SELECT id FROM runs").fetchall()
    assert rows == [("run0",)]


def test_a_second_run_waits_then_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store(path), pytest.raises(StateLockedError) as caught:
        Store(path, lock_timeout=0.3).open()
    assert "holds the state lock" in str(caught.value)
    assert "HYGIENE_LOCK_TIMEOUT" in str(caught.value)


def test_a_waiting_run_proceeds_when_the_lock_is_released(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(path)
    first.open()
    threading.Timer(0.3, first.close).start()
    with Store(path, lock_timeout=10) as second:
        assert second.latest_run() is None


def test_run_documents_are_kept_whole(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        record(store, 0, [finding("a.pem")])
        latest = store.latest_run()
        assert latest is not None and latest["findings"][0]["status"] == "new"
        window = store.runs_between(T0, T0 + timedelta(days=1))
        assert json.dumps(window[0]) == json.dumps(latest)


def test_scan_cache_roundtrip(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        store.cache_scans({"blob1": [{"rule": "x"}], "blob2": []}, "cfg1")
        assert store.cached_scans(["blob1", "blob2", "blob3"], "cfg1") == {
            "blob1": [{"rule": "x"}],
            "blob2": [],
        }
        assert store.cached_scans(["blob1"], "cfg2") == {}


def test_a_runs_findings_are_rows_of_their_own_read_back_in_order(tmp_path: Path) -> None:
    many = [finding(f"k{i:04d}.pem") for i in range(1_234)]  # more than one write batch
    with Store(tmp_path / "state.db") as store:
        record(store, 0, many)
        document = store.latest_run()
    assert document is not None
    assert [f["id"] for f in document["findings"]] == [f.id for f in many]
    assert {f["status"] for f in document["findings"]} == {"new"}
    db = sqlite3.connect(tmp_path / "state.db")
    (stored,) = db.execute("SELECT document FROM runs").fetchone()
    assert "findings" not in json.loads(stored)  # not a second copy inside the run's document
    assert db.execute("SELECT COUNT(*) FROM run_findings").fetchone() == (1_234,)


def test_runs_recorded_before_migration_2_keep_their_inline_findings(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store(path) as store:
        record(store, 0, [finding("a.pem")])
    old = {"run": {"id": "old", "status": "complete"}, "findings": [{"id": "legacy"}]}
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO runs VALUES ('old', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', "
        "'2026-12-01T00:00:00Z', 'complete', ?)",
        (json.dumps(old),),
    )
    db.commit()
    with Store(path) as store:
        assert store.latest_run() == old
        first, second = store.runs_between(T0, T0 + timedelta(days=90))
    assert [f["check"] for f in first["findings"]] == ["secrets"]
    assert second == old


def test_the_same_finding_twice_in_one_run_across_write_batches(tmp_path: Path) -> None:
    twice = finding("dup.pem")
    before = [finding(f"a{i:04d}.pem") for i in range(499)]  # report order puts these first,
    with Store(tmp_path / "state.db") as store:  # so the two sightings are findings 500 and 501
        recorded = store.record_run(
            run_id="r",
            started_at=T0,
            finished_at=T0,
            as_of=T0,
            status="complete",
            results=[CheckResult(name="secrets", status="ok")],
            findings=[twice, *before, twice],
            build_document=lambda resolved: {"run": {"id": "r"}, "resolved": resolved},
        )
    assert [(f.id, f.status) for f in recorded.findings[499:]] == [
        (twice.id, "new"),
        (twice.id, "open"),  # the second sighting, in the next write batch, is not new again
    ]


def test_the_scope_of_a_contract_object_is_the_findings_scope() -> None:
    from hygiene.findings import Finding
    from hygiene.store import contract_scope

    in_repo = finding("a.pem")
    in_account = Finding.create(
        check="tags",
        rule="missing-tag",
        severity="high",
        resource="arn:x",
        message="m",
        details={"account": 111122223333},
    )
    nowhere = Finding.create(
        check="budgets", rule="over", severity="low", resource="p", message="m"
    )
    for f in (in_repo, in_account, nowhere):
        assert contract_scope(f.to_contract()) == f.scope
    assert [f.scope for f in (in_repo, in_account, nowhere)] == ["api", "111122223333", ""]


def test_run_heads_leave_the_findings_to_be_read_per_run(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        record(store, 0, [finding("a.pem"), finding("b.pem")])
        record(store, 1, [finding("a.pem")])
        heads = store.runs_between(T0, T0 + timedelta(days=5), with_findings=False)
        assert [h["run"]["id"] for h in heads] == ["run0", "run1"]
        assert all("findings" not in h for h in heads)
        assert [f["resource"] for f in store.run_findings("run0")] == ["api:a.pem", "api:b.pem"]
        assert [f["status"] for f in store.run_findings("run1")] == ["open"]
        assert store.run_findings("nope") == []


# --------------------------------------------------------------------------- hostile I/O (issue 15)


def test_a_full_disk_names_itself_and_leaves_the_previous_run(tmp_path: Path) -> None:
    """SQLite rolls a transaction back itself on SQLITE_FULL; the store's own ROLLBACK then
    failed with "cannot rollback - no transaction is active", hiding the full disk."""
    path = tmp_path / "state.db"
    kept = finding("kept.pem")
    with Store(path) as store:
        record(store, 0, [kept])
    with Store(path) as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up
        with pytest.raises(StateWriteError) as caught:
            record(store, 1, [finding(f"k{i:04d}.pem" * 20) for i in range(300)])
        message = str(caught.value)
        assert message == (
            f"{path}: cannot write the state database: disk is full (SQLITE_FULL: database or "
            "disk is full); nothing of this write was recorded and the previous state is intact"
        )
        assert "cannot rollback" not in message
        assert caught.value.exit_code == 3
        assert not store.db.in_transaction
        assert store.latest_run()["run"]["id"] == "run0"  # type: ignore[index]
    with Store(path) as store:  # read back after the failure: the previous run, whole
        assert [r["run"]["id"] for r in store.runs_between(T0, T0 + timedelta(days=9))] == ["run0"]
        assert [f["id"] for f in store.run_findings("run0")] == [kept.id]
        assert store.finding_history(kept.id)["resolved_at"] is None  # type: ignore[index]


def test_a_read_only_state_is_refused_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store(path) as store:
        record(store, 0, [finding("a.pem")])
    with read_only(path), Store(path) as store:
        assert store.latest_run()["run"]["id"] == "run0"  # type: ignore[index]  # still readable
        with pytest.raises(HygieneError) as caught:
            store.ensure_writable()
    assert str(caught.value) == (
        f"{path}: the state database is read-only; make it and its directory writable, "
        "or pass --no-state"
    )
    with Store(path) as store:
        store.ensure_writable()
        assert store.latest_run()["run"]["id"] == "run0"  # type: ignore[index]


def test_a_page_corrupt_state_is_refused_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store(path) as store:
        record(store, 0, [finding(f"k{i:04d}.pem") for i in range(400)])
    corrupt_middle_page(path)
    with pytest.raises(HygieneError) as caught:
        Store(path).open()
    message = str(caught.value)
    assert message.startswith(f"{path}: the state database is corrupt (")
    assert message.endswith("restore it from a backup, or move it aside to start a new history")


def test_a_lock_file_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    (tmp_path / "state.db.lock").mkdir()  # something else stands where the lock file goes
    with pytest.raises(HygieneError) as caught:
        Store(path).open()
    assert str(caught.value) == (
        f"{path}: cannot create the lock file {tmp_path / 'state.db.lock'}: Is a directory; "
        "the state's directory must be writable (or pass --no-state)"
    )
    (tmp_path / "file").write_text("x")
    inside_a_file = tmp_path / "file" / "state.db"
    with pytest.raises(HygieneError) as caught:
        Store(inside_a_file).open()
    assert str(caught.value) == (
        f"{inside_a_file}: cannot create the state directory {tmp_path / 'file'}: a file "
        "stands where that directory (or one of its parents) should be; pass --state a path "
        "in a directory"
    )


def test_a_symlink_to_the_state_takes_the_same_lock(tmp_path: Path) -> None:
    real = tmp_path / "state.db"
    link = tmp_path / "link.db"
    link.symlink_to(real)
    with Store(real), pytest.raises(StateLockedError) as caught:
        Store(link, lock_timeout=0.3).open()
    assert "holds the state lock" in str(caught.value)
    assert not (tmp_path / "link.db.lock").exists()
    with Store(link) as store:  # once free, the link opens the one database
        record(store, 0, [finding("a.pem")])
    with Store(real) as store:
        assert store.latest_run()["run"]["id"] == "run0"  # type: ignore[index]
