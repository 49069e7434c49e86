"""The history store (SQLite or PostgreSQL): runs, findings' lifecycle, alerts sent, the scanned-blob cache.

A finding is ``new`` the first time it is seen (or the first time after it was resolved), then
``open``. A finding that an ``ok`` check no longer reports, within the scopes that check covered,
is resolved. Skipped or errored checks never resolve anything. A run is recorded in one
transaction: a run that is killed leaves the previous state intact, and a write that fails (a full
disk) is rolled back and raised as :class:`StateWriteError` naming its cause; the pipeline then
still returns the run, incomplete, with a ``state`` result saying why. One run at a time holds the
state's lock (SQLite: a lock file; PostgreSQL: an advisory lock); a second one waits up to
``lock_timeout`` seconds, then fails clearly. The backends live in ``hygiene.state``.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hygiene.errors import HygieneError
from hygiene.findings import Finding, iso_z
from hygiene.spool import FindingSpool

if TYPE_CHECKING:
    from hygiene.check_result import CheckResult

MIGRATIONS: tuple[str, ...] = (
    # 1: runs, findings, alerts, blob cache
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        status TEXT NOT NULL,
        document TEXT NOT NULL
    );
    CREATE INDEX runs_as_of ON runs(as_of);
    CREATE TABLE findings (
        id TEXT PRIMARY KEY,
        "check" TEXT NOT NULL,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        resource TEXT NOT NULL,
        scope TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        resolved_at TEXT,
        last_run_id TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX findings_open ON findings("check", resolved_at);
    CREATE TABLE alerts_sent (
        finding_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (finding_id, channel, kind, sent_at)
    );
    CREATE TABLE scan_cache (
        blob_id TEXT NOT NULL,
        config_fp TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (blob_id, config_fp)
    );
    """,
    # 2: a run's findings in rows of their own, so a large run is written and read in batches
    # (runs.document keeps the run without its findings; documents written before keep theirs)
    """
    CREATE TABLE run_findings (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    """,
)


#: Findings written per statement batch (and looked up per ``IN (…)`` query).
BATCH = 500

UPSERT_FINDING = """INSERT INTO findings (id, "check", rule, severity, resource, scope,
       first_seen, last_seen, resolved_at, last_run_id, data)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
   ON CONFLICT(id) DO UPDATE SET severity=excluded.severity,
       resource=excluded.resource, scope=excluded.scope,
       first_seen=excluded.first_seen, last_seen=excluded.last_seen,
       resolved_at=NULL, last_run_id=excluded.last_run_id,
       data=excluded.data"""


#: The name of the result a run carries when recording it in the store failed (status
#: ``error``, the reason naming the file and the cause), which makes the run incomplete.
RECORD_RESULT = "state"


class StateWriteError(HygieneError):
    """Writing to the state failed (a full disk, a read-only or corrupt file) after the run
    happened; the write was rolled back, so the previous state is intact. Exit 3."""

    exit_code = 3


@dataclass(frozen=True)
class Recorded:
    """What recording a run changed: the findings annotated, and the ids resolved."""

    findings: FindingSpool
    resolved: list[str]


_URL = re.compile(r"^postgres(?:ql)?(?:\+\w+)?:/", re.IGNORECASE)


def is_url(state: str | Path) -> bool:
    """Whether ``HYGIENE_STATE`` names a PostgreSQL server rather than a SQLite file."""
    return bool(_URL.match(str(state)))


def state_url(state: str | Path) -> str:
    """The PostgreSQL URL of ``state`` (a ``Path`` collapses ``//``: put it back)."""
    text = str(state)
    scheme, _, rest = text.partition(":")
    return f"{scheme}://{rest.lstrip('/')}" if not rest.startswith("//") else text


#: the backends, named rather than imported (they subclass Store: no import cycle)
BACKENDS = {
    "sqlite": "hygiene.state.sqlite:SqliteStore",
    "postgresql": "hygiene.state.postgres:PostgresStore",
}


class Store:
    """The history store: SQLite at a path, or PostgreSQL at a ``postgresql://`` URL.

    ``Store(state)`` returns the backend for ``state`` (``hygiene.state.sqlite`` or
    ``hygiene.state.postgres``); both run the same SQL (``?`` placeholders, ``ON CONFLICT``
    upserts) and the same versioned migrations. Use as a context manager: ``exclusive`` stores
    hold the run lock (a lock file; a PostgreSQL advisory lock) until closed; a shard opens its
    store non-exclusively, for the scan cache only.
    """

    path: Path
    url: str

    def __new__(
        cls, state: str | Path, lock_timeout: float = 60.0, exclusive: bool = True
    ) -> Store:
        if cls is Store:
            backend = BACKENDS["postgresql" if is_url(state) else "sqlite"]
            module, _, name = backend.partition(":")
            return super().__new__(getattr(importlib.import_module(module), name))
        return super().__new__(cls)

    def __init__(
        self, state: str | Path, lock_timeout: float = 60.0, exclusive: bool = True
    ) -> None:
        self.lock_timeout = lock_timeout
        self.exclusive = exclusive
        self._guard = threading.RLock()  # collectors in check threads share the connection

    # -- lifecycle (backends) ----------------------------------------------------------------

    def __enter__(self) -> Store:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        """Take the run lock (when exclusive, waiting up to ``lock_timeout``), open, migrate."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the database and release the lock."""
        raise NotImplementedError

    def ensure_writable(self) -> None:
        """Raise ``HygieneError`` when the open store cannot be written (checked before a run
        starts, so a read-only state is a configuration error, not a lost run)."""

    @property
    def db(self) -> Any:
        """The open connection: ``execute(sql, params)`` / ``executemany`` with ``?`` marks."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One write transaction: all of it lands, or none of it does; a failed write raises
        ``StateWriteError`` naming its cause."""
        raise NotImplementedError
        yield  # pragma: no cover

    def _run_migrations(self, version: int, apply: Any) -> None:
        """Apply ``MIGRATIONS[version:]``, each with ``apply(number, statements)``."""
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            apply(number, [part for part in script.split(";") if part.strip()])

    # -- runs and findings -------------------------------------------------------------------

    def record_run(
        self,
        *,
        run_id: str,
        started_at: datetime,
        finished_at: datetime,
        as_of: datetime,
        status: str,
        results: Iterable[CheckResult],
        findings: Sequence[Finding],
        build_document: Callable[[list[str]], dict[str, Any]],
    ) -> Recorded:
        """Record one run in one transaction, ``BATCH`` findings at a time.

        Each finding gets its ``first_seen`` and ``status`` (written back into the spool, so the
        run's artefacts show them). ``build_document(resolved)`` makes the run's contract
        document without findings; the findings are stored beside it, one row each.
        """
        now = iso_z(as_of)
        results = list(results)
        spool = FindingSpool.of(findings)
        written = 0

        def annotate(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
            nonlocal written
            known = self._known(db, [f["id"] for f in batch])
            seen_here: set[str] = set()
            rows = []
            for data in batch:
                finding_id = data["id"]
                row = known.get(finding_id)
                if finding_id in seen_here or (row is not None and row[2] == run_id):
                    first_seen, status_ = now, "open"  # the same id twice in one run
                elif row is None or row[1] is not None:
                    first_seen, status_ = now, "new"
                else:
                    first_seen, status_ = row[0], "open"
                seen_here.add(finding_id)
                data["first_seen"], data["status"] = first_seen, status_
                rows.append(
                    (
                        finding_id,
                        data["check"],
                        data["rule"],
                        data["severity"],
                        data["resource"],
                        contract_scope(data),
                        first_seen,
                        now,
                        run_id,
                        json.dumps(data),
                    )
                )
            db.executemany(UPSERT_FINDING, rows)
            db.executemany(
                "INSERT INTO run_findings (run_id, seq, data) VALUES (?, ?, ?)",
                [(run_id, written + i, row[-1]) for i, row in enumerate(rows)],
            )
            written += len(rows)
            return batch

        with self.transaction() as db:
            spool.rewrite_contracts(annotate)
            resolved = self._resolve_missing(db, results, run_id, now)
            document = build_document(resolved)
            document.pop("findings", None)
            db.execute(
                "INSERT INTO runs (id, started_at, finished_at, as_of, status, document) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, iso_z(started_at), iso_z(finished_at), now, status, json.dumps(document)),
            )
        return Recorded(findings=spool, resolved=resolved)

    @staticmethod
    def _known(db: Any, ids: list[str]) -> dict[str, tuple[str, str | None, str]]:
        """``first_seen``, ``resolved_at`` and ``last_run_id`` of the stored findings in ``ids``."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = db.execute(
            f"SELECT id, first_seen, resolved_at, last_run_id FROM findings WHERE id IN ({marks})",
            ids,
        ).fetchall()
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    @staticmethod
    def _resolve_missing(db: Any, results: list[CheckResult], run_id: str, now: str) -> list[str]:
        """Resolve what ``ok`` checks no longer report (this run did not touch), within their
        scopes."""
        resolved: list[str] = []
        for result in results:
            if result.status != "ok":
                continue
            rows = db.execute(
                'SELECT id, scope FROM findings WHERE "check" = ? AND resolved_at IS NULL '
                "AND last_run_id <> ?",
                (result.name, run_id),
            ).fetchall()
            covered = None if result.scopes is None else set(result.scopes)
            resolved += [
                finding_id for finding_id, scope in rows if covered is None or scope in covered
            ]
        resolved.sort()
        db.executemany(
            "UPDATE findings SET resolved_at = ? WHERE id = ?", [(now, i) for i in resolved]
        )
        return resolved

    def finding_history(self, finding_id: str) -> dict[str, Any] | None:
        """first_seen / last_seen / resolved_at of one finding, or None."""
        with self._guard:
            row = self.db.execute(
                "SELECT first_seen, last_seen, resolved_at FROM findings WHERE id = ?",
                (finding_id,),
            ).fetchone()
        if row is None:
            return None
        return {"first_seen": row[0], "last_seen": row[1], "resolved_at": row[2]}

    def runs_between(
        self, start: datetime, end: datetime, with_findings: bool = True
    ) -> list[dict[str, Any]]:
        """Run documents with ``start <= as_of < end``, oldest first; ``with_findings=False``
        leaves the findings out (read one run's with ``run_findings`` when needed)."""
        with self._guard:
            rows = self.db.execute(
                "SELECT id, document FROM runs WHERE as_of >= ? AND as_of < ? "
                "ORDER BY as_of, started_at",
                (iso_z(start), iso_z(end)),
            ).fetchall()
            if not with_findings:
                return [_head(text) for _run_id, text in rows]
            return [run_document(self.db, run_id, text) for run_id, text in rows]

    def run_findings(self, run_id: str) -> list[dict[str, Any]]:
        """One run's findings (contract objects, in the run's order)."""
        with self._guard:
            row = self.db.execute("SELECT document FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return []
            return list(run_document(self.db, run_id, row[0])["findings"])

    def latest_run(self) -> dict[str, Any] | None:
        """The most recent run's document, or None."""
        with self._guard:
            row = self.db.execute(
                "SELECT id, document FROM runs ORDER BY as_of DESC, started_at DESC LIMIT 1"
            ).fetchone()
            return run_document(self.db, row[0], row[1]) if row else None

    # -- scanned-blob cache ------------------------------------------------------------------

    def cached_scans(self, blob_ids: Iterable[str], config_fp: str) -> dict[str, Any]:
        """Cached scan results for these blobs under this engine configuration."""
        found: dict[str, Any] = {}
        ids = list(blob_ids)
        with self._guard:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for blob_id, result in self.db.execute(
                    "SELECT blob_id, result FROM scan_cache "
                    f"WHERE config_fp = ? AND blob_id IN ({marks})",
                    (config_fp, *chunk),
                ):
                    found[blob_id] = json.loads(result)
        return found

    def has_scans(self, config_fp: str) -> bool:
        """Whether any scan result is cached under this engine configuration (when none is, a
        scan will read every blob: its engines can be readied at once)."""
        with self._guard:
            row = self.db.execute(
                "SELECT 1 FROM scan_cache WHERE config_fp = ? LIMIT 1", (config_fp,)
            ).fetchone()
        return row is not None

    def cache_scans(self, results: dict[str, Any], config_fp: str) -> None:
        """Store scan results (hashes and redacted previews only, never a secret value)."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO scan_cache (blob_id, config_fp, result) VALUES (?, ?, ?) "
                "ON CONFLICT (blob_id, config_fp) DO UPDATE SET result = excluded.result",
                [(blob, config_fp, json.dumps(result)) for blob, result in results.items()],
            )


def contract_scope(data: dict[str, Any]) -> str:
    """``Finding.scope`` of a finding's contract object: its repo, else its account."""
    location = data.get("location")
    if location:
        return str(location["repo"])
    account = (data.get("details") or {}).get("account")
    return str(account) if account else ""


def run_document(db: Any, run_id: str, text: str) -> dict[str, Any]:
    """A stored run's whole contract document: its findings rows joined back in order (runs
    recorded before migration 2 kept their findings inside the document)."""
    document: dict[str, Any] = json.loads(text)
    if "findings" not in document:
        rows = db.execute(
            "SELECT data FROM run_findings WHERE run_id = ? ORDER BY seq", (run_id,)
        ).fetchall()
        document["findings"] = [json.loads(row[0]) for row in rows]
    return document


def _head(text: str) -> dict[str, Any]:
    """A stored run document without its findings (older documents carry them inline)."""
    document: dict[str, Any] = json.loads(text)
    document.pop("findings", None)
    return document


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ============================================================================================
# Alerts sent and report look-ups (publish/alerts, publish/report). Kept apart from the
# recording of runs above: these methods only read runs/findings and write ``alerts_sent``.
# ============================================================================================


def _alert_rows(db: Any, channel: str) -> dict[str, list[tuple[str, str]]]:
    rows = db.execute(
        "SELECT finding_id, kind, sent_at FROM alerts_sent WHERE channel = ? ORDER BY sent_at",
        (channel,),
    ).fetchall()
    history: dict[str, list[tuple[str, str]]] = {}
    for finding_id, kind, sent_at in rows:
        history.setdefault(finding_id, []).append((kind, sent_at))
    return history


class AlertLedger:
    """What was delivered to which channel, read from and written to ``alerts_sent``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def history(self, channel: str) -> dict[str, list[tuple[str, str]]]:
        """Per finding id, the ``(kind, sent_at)`` deliveries to ``channel``, oldest first."""
        return _alert_rows(self.store.db, channel)

    def record(
        self, channel: str, deliveries: Iterable[tuple[str, str]], sent_at: datetime
    ) -> None:
        """Mark ``(finding_id, kind)`` pairs as delivered to ``channel`` at ``sent_at``."""
        moment = iso_z(sent_at)
        with self.store.transaction() as db:
            db.executemany(
                "INSERT INTO alerts_sent (finding_id, channel, kind, sent_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(finding_id, channel, kind, moment) for finding_id, kind in deliveries],
            )

    def all_sent(self) -> list[dict[str, str]]:
        """Every delivery recorded, oldest first (for reports and tests)."""
        rows = self.store.db.execute(
            "SELECT finding_id, channel, kind, sent_at FROM alerts_sent "
            "ORDER BY sent_at, channel, finding_id, kind"
        ).fetchall()
        return [
            dict(zip(("finding_id", "channel", "kind", "sent_at"), r, strict=True)) for r in rows
        ]


def findings_by_id(store: Store, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The last recorded contract object of each finding id (with its ``resolved_at``)."""
    found: dict[str, dict[str, Any]] = {}
    wanted = list(ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for finding_id, data, resolved_at in store.db.execute(
            f"SELECT id, data, resolved_at FROM findings WHERE id IN ({marks})", chunk
        ):
            found[finding_id] = {**json.loads(data), "resolved_at": resolved_at}
    return found


def last_run_with_status(store: Store, status: str) -> dict[str, Any] | None:
    """The most recent run document whose status is ``status`` (e.g. ``complete``), or None."""
    row = store.db.execute(
        "SELECT id, document FROM runs WHERE status = ? "
        "ORDER BY as_of DESC, started_at DESC LIMIT 1",
        (status,),
    ).fetchone()
    return run_document(store.db, row[0], row[1]) if row else None
