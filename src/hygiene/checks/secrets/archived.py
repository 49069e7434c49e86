"""Archives in the secrets collector: each file inside is scanned as a file of its own (pure).

A blob whose first bytes say archive (zip/jar/war, tar, tar.gz, gz, …; see
:mod:`hygiene.scan.archives`) is not scanned itself: :func:`expand_items` replaces it, in the
stream of items sent to the scanner, by its entries, keyed ``<blob key>!<inner path>`` and scanned
as ``<path>!<inner path>`` (``a.zip!b.jar!c.properties``), so every entry goes through the same
engine, and its records, baselines, exceptions and fingerprints carry that path.
:class:`ArchiveBlobs` then keeps the entries' results with the archive's own (in the scan cache
too: an archive's cached result holds its entries with hits, and the limits it was read with) and
places them at every path the archive was written at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hygiene.policy import SecretsPolicy
from hygiene.scan import archives
from hygiene.scan.engine import ContentResult
from hygiene.scan.history import Placement, scan_key
from hygiene.scan.pool import Item

#: Bump when what an expansion yields changes (cached archive results are then read again).
ARCHIVE_FORMAT = 1
SEPARATOR = archives.SEPARATOR


def limits_of(policy: SecretsPolicy) -> archives.Limits:
    """The archive limits the policy sets (an entry is read up to the scanner's file limit)."""
    return archives.Limits(
        depth=policy.archive_depth,
        max_bytes=policy.archive_max_bytes,
        max_entries=policy.archive_max_entries,
        max_entry_bytes=policy.max_file_bytes,
    )


def size_cap(paths: Iterable[str], policy: SecretsPolicy) -> int:
    """The largest blob read at these paths: an archive's name allows the archive limit."""
    if policy.archive_depth > 0 and any(archives.is_archive_name(p) for p in paths):
        return max(policy.max_file_bytes, policy.archive_max_bytes)
    return policy.max_file_bytes


def may_be_archive(path: str, policy: SecretsPolicy) -> bool:
    """Whether a path's name says archive (so detect-secrets' file-name filter, which drops
    ``.zip``/``.jar``/``.gz``, does not keep it from being read)."""
    return policy.archive_depth > 0 and archives.is_archive_name(path)


def join(path: str, inner: str) -> str:
    """``a.zip`` + ``b/c.env`` → ``a.zip!b/c.env``."""
    return f"{path}{SEPARATOR}{inner}"


def outer_key(key: str) -> str:
    """The blob key an entry key belongs to (a blob key has no ``!``)."""
    return key.split(SEPARATOR, 1)[0]


@dataclass
class Note:
    """What expanding one archive blob opened and passed over."""

    archives: int = 0
    entries: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (kept with the archive's cached result)."""
        return {"archives": self.archives, "entries": self.entries, "skipped": self.skipped}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        """The inverse of :meth:`to_json`."""
        skipped = {str(k): int(v) for k, v in (data.get("skipped") or {}).items()}
        return cls(int(data.get("archives", 0)), int(data.get("entries", 0)), skipped)


def expand_items(
    items: Iterable[Item], limits: archives.Limits, notes: dict[str, Note] | None = None
) -> Iterator[Item]:
    """``items`` with every archive replaced by its entries (see the module docstring); what
    each archive held and skipped goes to ``notes`` under the archive's key."""
    for key, path, content in items:
        if limits.depth < 1 or archives.kind(content) is None:
            yield key, path, content
            continue
        expansion = archives.expand(path, content, limits)
        for inner, data in expansion:
            yield join(key, inner), join(path, inner), data
        if notes is not None:
            notes[key] = Note(expansion.archives, expansion.entries, dict(expansion.skipped))


class ArchiveBlobs:
    """The archive blobs of one repository's scan: their counts, and their entries with hits."""

    def __init__(self, limits: archives.Limits) -> None:
        self.notes: dict[str, Note] = {}
        self.entries: dict[str, dict[str, ContentResult]] = {}  # blob key → inner path → result
        self._cached: set[str] = set()  # archives whose results came from the cache
        self._limits = {
            "format": ARCHIVE_FORMAT,
            "depth": limits.depth,
            "max_bytes": limits.max_bytes,
            "max_entries": limits.max_entries,
            "max_entry_bytes": limits.max_entry_bytes,
        }

    def take(self, fresh: dict[str, ContentResult]) -> dict[str, ContentResult]:
        """``fresh`` scan results with the entries' results moved here; each archive expanded
        gets a result of its own (no hits: its entries hold them)."""
        out: dict[str, ContentResult] = {}
        for key, result in fresh.items():
            outer, _, inner = key.partition(SEPARATOR)
            if not inner:
                out[key] = result
            elif result.hits:
                self.entries.setdefault(outer, {})[inner] = result
        for key in self.notes.keys() - self._cached:
            out.setdefault(key, ContentResult())
        return out

    def remember(self, key: str, data: Mapping[str, Any]) -> bool:
        """Take an archive's entries from its cached result; False when it was read with other
        limits (or an older format), so it is scanned again. Other blobs: True."""
        stored = data.get("archive")
        if stored is None:
            return True
        if stored.get("limits") != self._limits:
            return False
        self.notes[key] = Note.from_json(stored)
        self._cached.add(key)
        entries = stored.get("files") or {}
        if entries:
            self.entries[key] = {
                str(inner): ContentResult.from_json(result) for inner, result in entries.items()
            }
        return True

    def cache_rows(
        self, results: Mapping[str, ContentResult], keys: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """What to cache for ``keys`` (an entry's key stands for its archive): an archive's row
        holds its counts, its entries with hits and the limits it was read with."""
        rows: dict[str, dict[str, Any]] = {}
        for key in {outer_key(k) for k in keys}:
            row = results[key].to_json()
            if key in self.notes:
                row["archive"] = {
                    **self.notes[key].to_json(),
                    "limits": self._limits,
                    "files": {i: r.to_json() for i, r in self.entries.get(key, {}).items()},
                }
            rows[key] = row
        return rows

    def place(
        self,
        results: dict[str, ContentResult],
        paths_of: dict[str, list[str]],
        placements: list[Placement],
        head: Mapping[str, str],
    ) -> tuple[list[Placement], dict[str, str]]:
        """Add the entries with hits to ``results`` and ``paths_of`` (under their own keys, at
        ``<archive path>!<inner>`` for each path of the archive); returns the placements and the
        HEAD tree with the entries' placements and paths added."""
        for key, entries in self.entries.items():
            for inner, result in entries.items():
                results[join(key, inner)] = result
                paths_of[join(key, inner)] = [join(p, inner) for p in paths_of.get(key, [])]
        placed = list(placements)
        for placement in placements:
            for inner in self.entries.get(placement.key, {}):
                placed.append(
                    Placement(
                        placement.oid,
                        join(placement.path, inner),
                        join(placement.key, inner),
                        placement.commit,
                        placement.order,
                    )
                )
        tree = dict(head)
        for path, oid in head.items():
            for inner in self.entries.get(scan_key(oid, path), {}):
                tree[join(path, inner)] = oid
        return placed, tree

    def stats(self, keys: Iterable[str]) -> dict[str, int]:
        """Archives opened (nested ones too), files scanned inside them, and what was skipped
        (``archive_skipped_<reason>``) among the blobs ``keys``."""
        opened = entries = 0
        skipped: Counter[str] = Counter()
        for key in keys:
            note = self.notes.get(key)
            if note is not None:
                opened += note.archives
                entries += note.entries
                skipped.update(note.skipped)
        out = {
            "archives": opened,
            "archive_entries": entries,
            "archive_skipped": sum(skipped.values()),
        }
        out.update(
            {f"archive_skipped_{r.replace('-', '_')}": n for r, n in sorted(skipped.items())}
        )
        return out
