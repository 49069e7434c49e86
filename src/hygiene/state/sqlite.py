"""The SQLite backend: a file beside its lock file (``flock``), WAL journal, ``user_version``.

The lock file sits beside the database's real path (symlinks resolved), so two runs given two
names for one database still exclude each other. Opening checks the database before anything
runs: a corrupt file (``PRAGMA quick_check``), a read-only one (a write that is rolled back) or a
lock file that cannot be created is a ``HygieneError`` (exit 2) naming the file. A write that fails
later (a full disk) rolls back and raises :class:`~hygiene.store.StateWriteError` naming the
cause ("disk is full", not the "cannot rollback" that would hide it); the previous state stays.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from hygiene.artefacts import os_reason
from hygiene.errors import HygieneError, StateLockedError
from hygiene.store import StateWriteError, Store

log = logging.getLogger(__name__)

#: Primary SQLite result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``) in words.
_REASONS = {
    3: "permission denied",
    5: "it is busy (another process is writing it)",
    6: "it is locked by another connection",
    8: "it is read-only",
    10: "disk I/O error (the disk may be full or failing)",
    11: "it is corrupt",
    13: "disk is full",
    14: "it cannot be opened",
    23: "permission denied",
    26: "it is not a SQLite database",
}
_CORRUPT = frozenset({11, 26})
_READONLY = 8


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def sqlite_reason(exc: sqlite3.Error) -> str:
    """A SQLite error in words, with SQLite's own name and message: ``disk is full
    (SQLITE_FULL: database or disk is full)``."""
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    detail = f"{name}: {exc}" if str(exc) else name
    reason = _REASONS.get(_code(exc))
    return f"{reason} ({detail})" if reason else detail


class SqliteStore(Store):
    """A SQLite history store at ``path``."""

    def __init__(
        self, state: str | Path, lock_timeout: float = 60.0, exclusive: bool = True
    ) -> None:
        super().__init__(state, lock_timeout, exclusive)
        self.path = Path(state)
        self.url = str(self.path)
        self._lock_file: IO[str] | None = None
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        """Take the run lock (waiting up to ``lock_timeout``), then open, check and migrate."""
        self._make_directory()
        real = Path(os.path.realpath(self.path))  # one lock per database, whatever its name
        if self.exclusive:
            self._acquire_lock(real.with_name(real.name + ".lock"))
        try:
            self._db = sqlite3.connect(
                real, timeout=self.lock_timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._check()
            self._migrate()
        except (sqlite3.Error, StateWriteError) as exc:
            self.close()
            raise HygieneError(self._unusable(exc)) from None
        except BaseException:
            self.close()
            raise

    def ensure_writable(self) -> None:
        """Fail before anything runs (exit 2) when the database cannot be written: a write to
        its header, rolled back."""
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                self._rollback()
        except sqlite3.Error as exc:
            raise HygieneError(self._unusable(exc)) from None

    def close(self) -> None:
        """Close the database and release the lock."""
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error as exc:  # a failed checkpoint on close loses nothing committed
                log.warning("%s: closing the state database: %s", self.path, sqlite_reason(exc))
            self._db = None
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _make_directory(self) -> None:
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise HygieneError(
                f"{self.path}: cannot create the state directory {parent}: a file stands where "
                "that directory (or one of its parents) should be; pass --state a path in a "
                "directory"
            ) from None
        except OSError as exc:
            raise HygieneError(
                f"{self.path}: cannot create the state directory {parent}: {os_reason(exc)}"
            ) from None

    def _acquire_lock(self, lock_path: Path) -> None:
        try:
            handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise HygieneError(
                f"{self.path}: cannot create the lock file {lock_path}: {os_reason(exc)}; "
                "the state's directory must be writable (or pass --no-state)"
            ) from None
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    handle.close()
                    raise StateLockedError(
                        f"{self.path}: another hygiene run ({holder}) holds the state lock; "
                        f"waited {self.lock_timeout:g}s. Wait for it to finish, or raise "
                        "HYGIENE_LOCK_TIMEOUT."
                    ) from None
                time.sleep(0.1)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        except OSError as exc:
            handle.close()
            raise HygieneError(
                f"{self.path}: cannot write the lock file {lock_path}: {os_reason(exc)}"
            ) from None
        self._lock_file = handle

    def _check(self) -> None:
        """``PRAGMA quick_check``: a page-corrupt database fails here, before anything runs."""
        rows = self.db.execute("PRAGMA quick_check(1)").fetchall()
        if rows != [("ok",)]:
            problem = " ".join(" ".join(str(row[0]) for row in rows).split())[:200]
            raise sqlite3.DatabaseError(f"database disk image is malformed: {problem}")

    def _unusable(self, exc: sqlite3.Error | StateWriteError) -> str:
        if isinstance(exc, StateWriteError):
            return str(exc)
        code = _code(exc)
        if code in _CORRUPT or "malformed" in str(exc):
            return (
                f"{self.path}: the state database is corrupt ({exc}); restore it from a backup, "
                "or move it aside to start a new history"
            )
        if code == _READONLY:
            return (
                f"{self.path}: the state database is read-only; make it and its directory "
                "writable, or pass --no-state"
            )
        return f"{self.path}: not a usable hygiene state database: {sqlite_reason(exc)}"

    @property
    def db(self) -> sqlite3.Connection:
        """The open connection (the store must be open)."""
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]

        def apply(number: int, statements: list[str]) -> None:
            with self.transaction():
                for statement in statements:
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

        self._run_migrations(version, apply)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it does. A SQLite error (a full
        disk, a read-only file) rolls back and becomes a ``StateWriteError`` naming it."""
        with self._guard:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._write_error(exc) from None
            try:
                yield self.db
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._write_error(exc) from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Roll back what is still open; SQLite may already have (after SQLITE_FULL), and a
        failed rollback must not hide the error that caused it."""
        if self._db is None or not self._db.in_transaction:
            return
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("%s: rollback failed: %s", self.path, sqlite_reason(exc))

    def _write_error(self, exc: sqlite3.Error) -> StateWriteError:
        return StateWriteError(
            f"{self.path}: cannot write the state database: {sqlite_reason(exc)}; "
            "nothing of this write was recorded and the previous state is intact"
        )
