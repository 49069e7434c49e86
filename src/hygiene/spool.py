"""FindingSpool: one run's findings on disk, read back in pages, in report order.

A run over a large estate (100,000 resources, 1,000 repositories) must not hold every finding in
memory: checks hand their findings to the spool batch by batch as records stream in, and
everything after — recording in the store, the JSON artefact, alerts, metrics — reads them back a
page at a time. The spool is a throwaway SQLite file in ``$TMPDIR`` (deleted on ``close()`` or
when the spool is garbage-collected); it holds the findings' contract JSON, which never carries a
secret value.

A spool's folder is ``hygiene-spool-<pid>-<random>`` and its owner holds a lock on a file in it.
A run killed outright (SIGKILL, OOM) cannot remove it, so the first spool a process makes sweeps
the folder for ``hygiene-spool-*`` folders whose process is gone (its PID is not running and its
lock is free). An interrupted run's last-resort exit removes its spools too
(:func:`remove_live_spools`, registered with :mod:`hygiene.interrupts`).

Order is the report order: most severe first, then check, resource, rule, and arrival order.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from hygiene import interrupts
from hygiene.findings import Finding, Severity

log = logging.getLogger(__name__)

PREFIX = "hygiene-spool-"
_OWNED = re.compile(rf"^{PREFIX}(\d+)-")
_LOCK_FILE = "owner.lock"
_swept: set[str] = set()
_sweep_lock = threading.Lock()
_live: weakref.WeakValueDictionary[int, FindingSpool] = weakref.WeakValueDictionary()

#: Findings read or rewritten per page.
PAGE = 1000

_SCHEMA = """
CREATE TABLE findings (
    seq INTEGER PRIMARY KEY,
    position INTEGER,
    id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    "check" TEXT NOT NULL,
    resource TEXT NOT NULL,
    rule TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX findings_position ON findings(position);
CREATE INDEX findings_id ON findings(id)
"""


class FindingSpool(Sequence[Finding]):
    """An append-only, on-disk sequence of findings in report order.

    ``add()`` may be called from several check threads at once; reads see every finding added
    before them. Indexing and ``len()`` work as on a list, so small callers need not care.
    """

    def __init__(self, directory: Path | None = None) -> None:
        sweep_once(directory)
        self._dir = tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-", dir=directory)
        self._owner = os.open(Path(self._dir.name) / _LOCK_FILE, os.O_CREAT | os.O_WRONLY, 0o600)
        fcntl.flock(self._owner, fcntl.LOCK_EX)
        self._db = sqlite3.connect(
            Path(self._dir.name) / "findings.db", check_same_thread=False, isolation_level=None
        )
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-4096"):
            self._db.execute(f"PRAGMA {pragma}")
        for statement in _SCHEMA.split(";"):
            self._db.execute(statement)
        self._lock = threading.RLock()
        self._count = 0
        self._ordered = True
        _live[id(self)] = self

    @property
    def path(self) -> Path:
        """The spool's folder (``hygiene-spool-<pid>-…``)."""
        return Path(self._dir.name)

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> FindingSpool:
        """A spool holding ``findings`` (a list becomes a spool; a spool is returned as is)."""
        if isinstance(findings, FindingSpool):
            return findings
        spool = cls()
        spool.add(findings)
        return spool

    # -- writing -------------------------------------------------------------------------------

    def add(self, findings: Iterable[Finding]) -> int:
        """Append findings; returns how many were added."""
        rows = [
            (f.id, f.severity.rank, f.check, f.resource, f.rule, json.dumps(f.to_contract()))
            for f in findings
        ]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                'INSERT INTO findings (id, rank, "check", resource, rule, data) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")
            self._count += len(rows)
            self._ordered = False
        return len(rows)

    def unseen(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings whose id the spool does not hold yet (the first of repeated ids)."""
        batch = list(findings)
        ids = list({f.id for f in batch})
        held: set[str] = set()
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                held.update(
                    row[0]
                    for row in self._db.execute(
                        f"SELECT DISTINCT id FROM findings WHERE id IN ({marks})", chunk
                    )
                )
        fresh = []
        for finding in batch:
            if finding.id not in held:
                held.add(finding.id)
                fresh.append(finding)
        return fresh

    def count_by_check(self) -> dict[str, int]:
        """How many findings each check has."""
        with self._lock:
            rows = self._db.execute('SELECT "check", COUNT(*) FROM findings GROUP BY "check"')
            return {name: int(n) for name, n in rows}

    def rewrite_contracts(
        self, transform: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    ) -> None:
        """Replace every finding's contract object by ``transform(page)`` (same length, same
        order), page by page; the store writes ``first_seen``/``status`` back this way."""
        with self._lock:
            self._order()
            for start in range(0, self._count, PAGE):
                rows = self._db.execute(
                    "SELECT data FROM findings WHERE position >= ? AND position < ? "
                    "ORDER BY position",
                    (start, start + PAGE),
                ).fetchall()
                done = transform([json.loads(row[0]) for row in rows])
                if len(done) != len(rows):
                    raise ValueError("rewrite must return one finding per finding")
                self._db.execute("BEGIN")
                self._db.executemany(
                    "UPDATE findings SET data = ? WHERE position = ?",
                    [(json.dumps(data), start + offset) for offset, data in enumerate(done)],
                )
                self._db.execute("COMMIT")

    def close(self) -> None:
        """Delete the spool file (and its folder)."""
        with self._lock:
            self._db.close()
            self._release()
            self._dir.cleanup()

    def _release(self) -> None:
        if self._owner >= 0:
            with contextlib.suppress(OSError):
                os.close(self._owner)
            self._owner = -1

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._release()

    # -- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("spool index out of range")
        with self._lock:
            self._order()
            return self._page(index, 1)[0]

    def __iter__(self) -> Iterator[Finding]:
        for page in self.pages():
            yield from page

    def __eq__(self, other: object) -> bool:
        """Equal to a list, tuple or spool of the same findings in the same order."""
        if isinstance(other, list | tuple | FindingSpool):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def pages(self, size: int = PAGE) -> Iterator[list[Finding]]:
        """The findings in report order, ``size`` at a time."""
        for page in self.contract_pages(size):
            yield [Finding.model_validate(data) for data in page]

    def contract_pages(self, size: int = PAGE) -> Iterator[list[dict[str, Any]]]:
        """The findings' contract objects in report order, ``size`` at a time (no model)."""
        for start in range(0, self._count, size):
            with self._lock:
                self._order()
                rows = self._db.execute(
                    "SELECT data FROM findings WHERE position >= ? AND position < ? "
                    "ORDER BY position",
                    (start, start + size),
                ).fetchall()
            yield [json.loads(row[0]) for row in rows]

    def contracts(self) -> ContractView:
        """The contract objects as a lazy, re-iterable sequence (for renderers and publishers)."""
        return ContractView(self)

    def count_at_least(self, severity: Severity) -> int:
        """How many findings are ``severity`` or more serious."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM findings WHERE rank >= ?", (severity.rank,)
            ).fetchone()
        return int(row[0])

    # -- internals -----------------------------------------------------------------------------

    def _order(self) -> None:
        """Number the findings in report order (once after each batch of additions)."""
        if self._ordered:
            return
        self._db.execute("BEGIN")
        self._db.execute(
            "UPDATE findings SET position = ordered.n FROM ("
            '  SELECT seq, ROW_NUMBER() OVER (ORDER BY rank DESC, "check", resource, rule, seq)'
            "  - 1 AS n FROM findings"
            ") AS ordered WHERE findings.seq = ordered.seq"
        )
        self._db.execute("COMMIT")
        self._ordered = True

    def _page(self, start: int, size: int) -> list[Finding]:
        rows = self._db.execute(
            "SELECT data FROM findings WHERE position >= ? AND position < ? ORDER BY position",
            (start, start + size),
        ).fetchall()
        return [Finding.model_validate(json.loads(row[0])) for row in rows]


class ContractView(Sequence[dict[str, Any]]):
    """A spool's findings as contract dicts, read lazily; what ``document["findings"]`` holds
    when a run's document is rendered or published without building the whole list."""

    def __init__(self, spool: FindingSpool) -> None:
        self.spool = spool

    def __len__(self) -> int:
        return len(self.spool)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [f.to_contract() for f in self.spool[index]]
        return self.spool[index].to_contract()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for page in self.spool.contract_pages():
            yield from page


def remove_live_spools() -> None:
    """Delete every spool of this process now (the last-resort exit of an interrupted run)."""
    for spool in list(_live.values()):
        with contextlib.suppress(Exception):
            spool._release()
            shutil.rmtree(spool.path, ignore_errors=True)


interrupts.register(remove_live_spools, last_resort=True)


def sweep_once(directory: Path | None = None) -> list[Path]:
    """Remove the spools of dead processes from ``directory`` (default ``$TMPDIR``), once per
    process and directory; returns what was removed."""
    where = str(directory or tempfile.gettempdir())
    with _sweep_lock:
        if where in _swept:
            return []
        _swept.add(where)
    return sweep(Path(where))


def sweep(directory: Path) -> list[Path]:
    """Remove ``hygiene-spool-<pid>-*`` folders in ``directory`` that this user owns and whose
    process is gone: the PID is not running and nobody holds the folder's lock. Anything else
    (other names, symbolic links, other users' folders, live runs' spools) is left alone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _OWNED.match(entry.name)
        if match is None or not _orphaned(Path(entry.path), int(match.group(1))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
            log.info("removed the spool a killed run left behind: %s", entry.path)
    return removed


def _orphaned(path: Path, pid: int) -> bool:
    """Whether ``path`` (a spool folder of process ``pid``) belongs to no running process."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or pid == os.getpid():
        return False
    if _running(pid):
        return False
    try:  # the PID may be another namespace's: its owner still holds the lock if it lives
        fd = os.open(path / _LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return True  # killed before it took the lock
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
