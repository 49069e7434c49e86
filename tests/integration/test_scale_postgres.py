"""The PostgreSQL state backend on a real server: migrations, the same lifecycle as SQLite, the
advisory run lock, one transaction per run, concurrent writers, and a sharded run merged into
PostgreSQL equal to the unsharded run.

Needs HYGIENE_TEST_POSTGRES_URL (``export HYGIENE_TEST_POSTGRES_URL=$(scripts/ci-postgres.sh)``):
the module FAILS when it is unset in CI (``CI=true``) and is skipped on a machine without it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from hygiene.context import CheckResult
from hygiene.errors import HygieneError, StateLockedError
from hygiene.state.postgres import PostgresStore
from hygiene.store import MIGRATIONS, AlertLedger, Store, findings_by_id, last_run_with_status
from tests.fixtures.scale.postgres import fresh_database
from tests.fixtures.store_runs import T0, finding, record

pytestmark = [pytest.mark.integration]


@pytest.fixture
def pg() -> Iterator[str]:
    yield from fresh_database()


@pytest.fixture(params=["sqlite", "postgres"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | Path]:
    if request.param == "sqlite":
        yield tmp_path / "state.db"
    else:
        yield from fresh_database()


def test_a_postgresql_url_selects_the_postgres_backend(pg: str, tmp_path: Path) -> None:
    assert isinstance(Store(pg), PostgresStore)
    # click's Path type collapses "//": the store puts it back
    assert Store(Path(pg)).url == pg
    assert type(Store(tmp_path / "s.db")).__name__ == "SqliteStore"


def test_migrations_are_versioned_and_applied_once(pg: str) -> None:
    with Store(pg) as store:
        assert isinstance(store, PostgresStore)
        assert store.schema_version() == len(MIGRATIONS)
    with Store(pg) as store:
        assert isinstance(store, PostgresStore)
        rows = store.db.execute("SELECT version FROM hygiene_schema ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))
        tables = {
            r[0]
            for r in store.db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
        }
        assert tables == {
            "runs",
            "run_findings",
            "findings",
            "alerts_sent",
            "scan_cache",
            "hygiene_schema",
        }


def test_lifecycle_is_the_same_on_both_backends(state: str | Path) -> None:
    a, b, c = finding("a.pem"), finding("b.pem"), finding("c.pem", repo="web")
    with Store(state) as store:
        assert record(store, 0, [a, b, c]) == ({a.id: "new", b.id: "new", c.id: "new"}, [])
        assert record(store, 1, [a, b, c]) == ({a.id: "open", b.id: "open", c.id: "open"}, [])
        # web not covered: c stays open; b resolves
        assert record(store, 2, [a], scopes=["api"]) == ({a.id: "open"}, [b.id])
        assert record(store, 3, [a], status="error") == ({a.id: "open"}, [])
        assert store.finding_history(b.id) == {
            "first_seen": "2026-10-01T00:00:00Z",
            "last_seen": "2026-10-02T00:00:00Z",
            "resolved_at": "2026-10-03T00:00:00Z",
        }
        assert record(store, 4, [a, b]) == ({a.id: "open", b.id: "new"}, [c.id])
        assert [d["run"]["id"] for d in store.runs_between(T0, T0 + timedelta(days=3))] == [
            "run0",
            "run1",
            "run2",
        ]
        assert store.latest_run()["run"]["id"] == "run4"  # type: ignore[index]
        assert last_run_with_status(store, "complete")["run"]["id"] == "run4"  # type: ignore[index]
        assert set(findings_by_id(store, [a.id, c.id])) == {a.id, c.id}
        assert findings_by_id(store, [c.id])[c.id]["resolved_at"] == "2026-10-05T00:00:00Z"
        ledger = AlertLedger(store)
        ledger.record("slack", [(a.id, "new"), (a.id, "new")], T0)
        ledger.record("slack", [(a.id, "new")], T0)
        assert ledger.history("slack") == {a.id: [("new", "2026-10-01T00:00:00Z")]}
        store.cache_scans({"blob1": {"n": 1}}, "fp")
        store.cache_scans({"blob1": {"n": 2}, "blob2": {"n": 3}}, "fp")
        assert store.cached_scans(["blob1", "blob2", "blob3"], "fp") == {
            "blob1": {"n": 2},
            "blob2": {"n": 3},
        }


def test_a_failed_run_leaves_the_previous_state(state: str | Path) -> None:
    a, b = finding("a.pem"), finding("b.pem")
    with Store(state) as store:
        record(store, 0, [a])

        def broken(_r: object) -> dict[str, object]:
            raise RuntimeError("killed while writing")

        with pytest.raises(RuntimeError):
            store.record_run(
                run_id="bad",
                started_at=T0,
                finished_at=T0,
                as_of=T0 + timedelta(days=1),
                status="complete",
                results=[CheckResult(name="secrets", status="ok")],
                findings=[b],
                build_document=broken,
            )
        assert store.finding_history(b.id) is None
        assert store.finding_history(a.id)["resolved_at"] is None  # type: ignore[index]
        assert store.latest_run()["run"]["id"] == "run0"  # type: ignore[index]


def test_the_run_lock_is_an_advisory_lock(pg: str) -> None:
    with Store(pg):
        with pytest.raises(StateLockedError, match="another hygiene run holds the state lock"):
            Store(pg, lock_timeout=0.3).open()
        # a shard's store (scan cache only) does not wait for the run lock
        with Store(pg, exclusive=False) as shared:
            shared.cache_scans({"b": {"n": 1}}, "fp")
    with Store(pg, lock_timeout=0.3):
        pass  # released on close


def test_concurrent_writers_neither_lose_nor_duplicate_findings(pg: str) -> None:
    findings = [finding(f"f{i}.pem", repo=f"r{i % 4}") for i in range(40)]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            mine = findings[n * 10 : n * 10 + 20]  # overlapping halves
            with Store(pg, lock_timeout=30) as store:
                record(store, n, mine, scopes=[f"r{n}"], run_id=f"writer{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(pg) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM findings").fetchall()]
        runs = {r[0] for r in conn.execute("SELECT id FROM runs").fetchall()}
    assert sorted(ids) == sorted({f.id for f in findings[:40]})
    assert runs == {"writer0", "writer1", "writer2"}


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(
        HygieneError,
        match=re.escape("postgresql://u:…@127.0.0.1:1/x: cannot connect to PostgreSQL"),
    ) as caught:
        Store("postgresql://u:secret@127.0.0.1:1/x", lock_timeout=1).open()
    assert "secret" not in str(caught.value)


def test_sharded_run_merged_into_postgres_equals_the_unsharded_run(
    aws: str,
    make_repo: Callable[..., Path],
    tmp_path: Path,
    pg: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fixtures.scale.estate import make_repos, shard_policy
    from tests.fixtures.tags.estate import seed
    from tests.integration.test_scale_shards import audit, comparable, differences, sharded

    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    seed(per_type=1)
    repos = make_repos(make_repo, 4)
    policy = shard_policy()
    whole = audit(policy, repos, tmp_path / "whole.db")
    merged = sharded(policy, repos, 2, pg, tmp_path)
    assert not differences(comparable(merged)["checks"], comparable(whole)["checks"])
    assert comparable(merged) == comparable(whole)
    with Store(pg) as store:
        assert store.latest_run()["run"]["id"] == merged["run"]["id"]  # type: ignore[index]
