"""Streaming a check's repositories: one repository's record at a time (env, readiness).

A run over 1,000 repositories must not hold every repository's files or reads at once: the
pipeline evaluates each repository's record, spools its findings and drops it before the next
repository is read. A repository that cannot be read is an error line, never a silent gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hygiene.context import Collection
from hygiene.errors import HygieneError

T = TypeVar("T")


def stream_repos(
    paths: Sequence[Path],
    read: Callable[[Path], T],
    name: Callable[[T], str],
    count: Callable[[T, dict[str, Any]], None],
    stats: dict[str, Any],
) -> Collection:
    """A streaming Collection of ``read(path)`` for each path, one repository per batch.

    ``count(record, stats)`` adds a record's figures to ``stats`` as it passes; ``stats``,
    ``scopes`` (the repositories read) and ``errors`` are complete once the stream is exhausted.
    """
    collection = Collection(scopes=[])

    def batches() -> Iterator[list[T]]:
        for path in paths:
            try:
                record = read(path)
            except HygieneError as exc:
                collection.errors.append(str(exc))
                continue
            assert collection.scopes is not None
            collection.scopes.append(name(record))
            count(record, stats)
            yield [record]
        collection.stats = stats

    collection.batches = batches()
    return collection
