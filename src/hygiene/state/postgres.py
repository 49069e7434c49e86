"""The PostgreSQL backend (psycopg 3): a shared state for shards and several machines.

The same SQL as SQLite runs here: ``?`` placeholders become ``%s``. Migrations are versioned in
``hygiene_schema`` and applied under a transaction-scoped advisory lock, so processes starting
together migrate once. The run lock is a session advisory lock held while the store is open
(released by the server if the process dies); ``lock_timeout`` bounds the wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hygiene.errors import HygieneError, StateLockedError
from hygiene.store import StateWriteError, Store, state_url

log = logging.getLogger(__name__)

#: Advisory-lock keys (any 64-bit numbers that other applications are unlikely to use).
RUN_LOCK = 0x68796769656E6501  # "hygiene" + 1
MIGRATION_LOCK = 0x68796769656E6502

SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS hygiene_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":…@")
    return urlunsplit(parts._replace(netloc=netloc))


class _Connection:
    """A psycopg connection that takes the store's ``?`` placeholders."""

    def __init__(self, conn: Any) -> None:
        self.raw = conn

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the cursor (iterable, ``fetchone``/``fetchall``)."""
        return self.raw.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        rows = list(rows)
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)


class PostgresStore(Store):
    """A PostgreSQL history store at ``postgresql://user:password@host:port/database``."""

    def __init__(
        self, state: str | Path, lock_timeout: float = 60.0, exclusive: bool = True
    ) -> None:
        super().__init__(state, lock_timeout, exclusive)
        self.url = state_url(state)
        self.path = Path(redacted(self.url))
        self._db: _Connection | None = None

    def open(self) -> None:
        """Connect, migrate, then take the run lock (waiting up to ``lock_timeout``)."""
        import psycopg

        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, int(self.lock_timeout))
            )
        except psycopg.Error as exc:
            raise HygieneError(
                f"HYGIENE_STATE {redacted(self.url)}: cannot connect to PostgreSQL "
                f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); "
                "check the host, port, database and credentials"
            ) from None
        self._db = _Connection(conn)
        try:
            self._migrate()
            if self.exclusive:
                self._acquire_lock()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection (which releases the advisory lock)."""
        if self._db is not None:
            try:
                self._db.raw.close()
            finally:
                self._db = None

    def _acquire_lock(self) -> None:
        deadline = time.monotonic() + self.lock_timeout
        while True:
            got = self.db.execute("SELECT pg_try_advisory_lock(?)", (RUN_LOCK,)).fetchone()[0]
            if got:
                return
            if time.monotonic() >= deadline:
                raise StateLockedError(
                    f"{redacted(self.url)}: another hygiene run holds the state lock; waited "
                    f"{self.lock_timeout:g}s. Wait for it to finish, or raise HYGIENE_LOCK_TIMEOUT."
                )
            time.sleep(0.1)

    @property
    def db(self) -> _Connection:
        """The open connection (the store must be open)."""
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    def schema_version(self) -> int:
        """The highest applied migration."""
        row = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM hygiene_schema").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            db.execute(SCHEMA_TABLE)
            version = self.schema_version()

            def apply(number: int, statements: list[str]) -> None:
                for statement in statements:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO hygiene_schema (version, applied_at) VALUES (?, "
                    "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
                    (number,),
                )

            self._run_migrations(version, apply)

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        """One write transaction: all of it lands, or none of it does. A server error (a full
        disk, a lost connection) rolls back and becomes a ``StateWriteError`` naming it."""
        import psycopg

        with self._guard:
            try:
                self.db.execute("BEGIN")
                yield self.db
                self.db.execute("COMMIT")
            except psycopg.Error as exc:
                self._rollback()
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise StateWriteError(
                    f"{redacted(self.url)}: cannot write the state database: "
                    f"{type(exc).__name__}{': ' + first if first else ''}; nothing of this "
                    "write was recorded and the previous state is intact"
                ) from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Roll back; a rollback that fails (the connection is gone) must not hide the error
        that caused it."""
        import psycopg

        try:
            self.db.execute("ROLLBACK")
        except psycopg.Error as exc:
            log.warning("%s: rollback failed: %s", redacted(self.url), type(exc).__name__)
