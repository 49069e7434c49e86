"""An anonymous on-disk spool of batches of plain tuples, read back once in the order written.

What a join must keep of a stream until something it waits for arrives (the spend join: the
tags check's compact resources, until the bill is read) goes here instead of memory. The file
is unnamed (``tempfile.TemporaryFile``): no other process can open it, and it disappears when
closed or when the process ends, whatever the way.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any


class BatchSpool:
    """Append batches (:meth:`add`), then read them back once (:meth:`drain`), which closes it.

    Not thread-safe: its owner holds the lock."""

    def __init__(self, directory: str | None = None) -> None:
        self._file: IO[bytes] | None = None
        self._directory = directory
        self.batches = self.items = 0

    def add(self, batch: list[tuple[Any, ...]]) -> None:
        """One batch (an empty one too: its place in the stream is kept)."""
        if self._file is None:
            self._file = tempfile.TemporaryFile(  # noqa: SIM115 - open until drained or closed
                prefix="hygiene-join-", dir=self._directory
            )
        pickle.dump(batch, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.batches += 1
        self.items += len(batch)

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._file.tell() if self._file is not None else 0

    def drain(self) -> Iterator[list[tuple[Any, ...]]]:
        """The batches in the order they were added, one at a time; the spool is then empty."""
        file, self._file = self._file, None
        self.batches = self.items = 0
        if file is None:
            return
        with file:
            file.seek(0)
            while True:
                try:
                    yield pickle.load(file)  # our own unnamed file: nothing else wrote it
                except EOFError:
                    return

    def close(self) -> None:
        """Drop what is spooled."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.batches = self.items = 0
