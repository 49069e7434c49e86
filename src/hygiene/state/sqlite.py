"""The SQLite backend: a file beside its lock file (``flock``), WAL journal, ``user_version``."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from hygiene.errors import HygieneError, StateLockedError
from hygiene.store import Store


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
        """Take the run lock (waiting up to ``lock_timeout``), then open and migrate the DB."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HygieneError(
                f"{self.path}: cannot create the state directory: {exc.strerror}"
            ) from None
        if self.exclusive:
            self._acquire_lock()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=self.lock_timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise HygieneError(
                f"{self.path}: not a usable hygiene state database ({exc})"
            ) from None

    def close(self) -> None:
        """Close the database and release the lock."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _acquire_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
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
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock_file = handle

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
        """One write transaction: all of it lands, or none of it does."""
        with self._guard:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
