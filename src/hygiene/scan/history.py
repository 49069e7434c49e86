"""From blob scan results to one record per secret per path, with provenance (pure).

A blob is scanned once per *profile* — what about its path changes the result: detect-secrets'
file type (keyword patterns, transformers) and the path classes hygiene's filters look at
(changelog, docs, example file, translation catalogue: ``filters.path_profile``). Its hits are then attached to every path the blob was written at. For each (path, detector,
secret) the record keeps the first commit that introduced the secret there, and whether HEAD's
file at that path still holds it (``in_tree``) — else the secret lives only in history.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from hygiene.scan.baseline import verdict_index
from hygiene.scan.engine import ContentResult
from hygiene.scan.filters import path_profile
from hygiene.scan.hits import Category, SecretHit


@dataclass(frozen=True)
class Placement:
    """Blob ``oid`` written at ``path`` by ``commit`` (``order``: 0 = oldest; None = unknown)."""

    oid: str
    path: str
    key: str
    commit: str | None
    order: int


@dataclass(frozen=True)
class SecretRecord:
    """One secret at one path of one repository — what the ``secrets`` check evaluates."""

    repo: str
    path: str
    rule: str  # detector slug, e.g. aws-access-key
    type: str  # detect-secrets' name, e.g. AWS Access Key
    line: int
    commit: str | None
    preview: str
    sha256: str
    hashed_secret: str
    in_tree: bool
    baseline: str | None = None  # "false-positive" | "audited" | "listed" | None
    #: SHA-256 of the credential's public half (``SecretHit.key_id_sha256``): what a live
    #: inventory is matched on
    key_id_sha256: str | None = None
    #: the hit's kind (``hits.Category``): what the finding's severity follows
    category: Category = "generic"
    engine: str = "detect-secrets"  # the engine that found it
    #: ``audit --validate``: ``true`` the provider accepted it, ``false`` it refused it,
    #: ``unknown`` it could not tell (unreachable, rate-limited); None: not checked
    validated: str | None = None
    validated_at: str | None = None  # when, ISO-8601 UTC


UNKNOWN_ORDER = 1 << 62


#: detect-secrets' ``determine_file_type`` table (``util/filetype.py``), copied so that a warm
#: rescan need not import detect-secrets; a unit test keeps the two equal.
FILE_TYPES: dict[str, str] = {
    ".cls": "CLS",
    ".example": "EXAMPLE",
    ".eyaml": "YAML",
    ".go": "GO",
    ".java": "JAVA",
    ".js": "JAVASCRIPT",
    ".m": "OBJECTIVE_C",
    ".php": "PHP",
    ".py": "PYTHON",
    ".pyi": "PYTHON",
    ".swift": "SWIFT",
    ".tf": "TERRAFORM",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".cs": "C_SHARP",
    ".c": "C",
    ".cpp": "C_PLUS_PLUS",
    ".cnf": "CONFIG",
    ".conf": "CONFIG",
    ".cfg": "CONFIG",
    ".cf": "CONFIG",
    ".ini": "INI",
    ".properties": "PROPERTIES",
    ".toml": "TOML",
}


def file_type(path: str) -> str:
    """detect-secrets' file type name for ``path`` (``PYTHON``, ``YAML``, ``OTHER``)."""
    return FILE_TYPES.get(os.path.splitext(path)[1], "OTHER")


@functools.lru_cache(maxsize=1 << 16)
def profile(path: str) -> str:
    """What about ``path`` changes a scan's result (see the module docstring): its file type,
    and what hygiene's filters see in it (``filters.path_profile``: changelog, docs, example
    file, translation catalogue, …). Cached: a history names each path many times, and the
    path filters cost ~0.1 ms a call."""
    classes = path_profile(path)
    return file_type(path) + (f"+{classes}" if classes else "")


def scan_key(oid: str, path: str) -> str:
    """The cache key of blob ``oid`` scanned as ``path``."""
    return f"{oid}:{profile(path)}"


def excluded(path: str, patterns: Iterable[str]) -> bool:
    """True when a ``**/``-style glob of ``patterns`` matches ``path`` (also at the root)."""
    for pattern in patterns:
        if fnmatchcase(path, pattern):
            return True
        if pattern.startswith("**/") and fnmatchcase(path, pattern[3:]):
            return True
    return False


def build_records(
    repo: str,
    placements: Iterable[Placement],
    results: Mapping[str, ContentResult],
    head: Mapping[str, str],
) -> list[SecretRecord]:
    """One record per (path, detector, secret hash), oldest introducing commit first.

    An encrypted secrets file is one record per (path, detector) whatever its versions: each
    edit re-encrypts the whole file, and the finding is about the file (its identity is the
    oldest version's hash, so it does not change when the file does).
    """
    first: dict[tuple[str, str, str], tuple[int, Placement, int, SecretHit]] = {}
    live: dict[tuple[str, str, str], int] = {}
    for placement in placements:
        result = results.get(placement.key)
        if result is None or not result.hits:
            continue
        lines: dict[tuple[str, str], tuple[int, SecretHit]] = {}
        for hit in result.hits:
            k = (hit.rule, "" if hit.category == "encrypted-file" else hit.sha256)
            if k not in lines or hit.line < lines[k][0]:
                lines[k] = (hit.line, hit)
        in_head = head.get(placement.path) == placement.oid
        for (rule, sha), (line, hit) in lines.items():
            key = (placement.path, rule, sha)
            seen = first.get(key)
            if seen is None or placement.order < seen[0]:
                first[key] = (placement.order, placement, line, hit)
            if in_head:
                live[key] = line
    records = []
    for key, (_order, placement, line, hit) in first.items():
        path, rule, _sha = key
        records.append(
            SecretRecord(
                repo=repo,
                path=path,
                rule=rule,
                type=hit.type,
                line=live.get(key, line),
                commit=placement.commit,
                preview=hit.preview,
                sha256=hit.sha256,
                hashed_secret=hit.hashed_secret,
                in_tree=key in live,
                key_id_sha256=hit.key_id_sha256,
                category=hit.category,
                engine=hit.engine,
            )
        )
    records.sort(key=lambda r: (r.path, r.line, r.rule, r.sha256))
    return records


def baseline_index(baseline: Mapping[str, Any]) -> dict[tuple[str, str], bool | None]:
    """(path, hashed_secret) → the entry's ``is_secret`` (None when not audited), whatever the
    entry's type: :func:`hygiene.scan.baseline.verdict_index`."""
    return verdict_index(baseline)


def annotate_baseline(
    records: Iterable[SecretRecord], index: Mapping[tuple[str, str], bool | None]
) -> list[SecretRecord]:
    """Mark records a detect-secrets baseline lists: false-positive, audited or listed."""
    out = []
    for record in records:
        key = (record.path, record.hashed_secret)
        if key not in index:
            out.append(record)
            continue
        verdict = index[key]
        state = "false-positive" if verdict is False else "audited" if verdict else "listed"
        out.append(replace(record, baseline=state))
    return out
