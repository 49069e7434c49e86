"""The history store: new → open → resolved → new, scopes, skipped checks, lock, atomicity."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from hygiene.context import CheckResult
from hygiene.errors import StateLockedError
from hygiene.store import Store
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
