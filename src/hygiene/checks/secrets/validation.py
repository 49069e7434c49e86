"""``audit --validate`` in the secrets collector: candidate provider tokens checked live.

The scan keeps hashes, never values; so after a repository's records are built, the blobs
holding a candidate (a hit whose preview starts like a provider token, on a record) are read
again, one at a time, and their text handed to :class:`~hygiene.sources.validate.Validator`,
which finds the token by its SHA-256, asks its provider and drops the value. A file inside an
archive is found by expanding the archive again with the same limits. Each record of a value
that was checked gets ``validated`` (``true``/``false``/``unknown``) and ``validated_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hygiene.checks.secrets import archived
from hygiene.scan import archives
from hygiene.scan.engine import ContentResult, decode
from hygiene.scan.history import Placement, SecretRecord
from hygiene.sources import git
from hygiene.sources.validate import Settings, Validator, proxies_of


def enabled(options: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    """``--validate`` (``options["validate"]``) or ``HYGIENE_VALIDATE=1``."""
    if "validate" in options:
        return bool(options["validate"])
    return environ.get("HYGIENE_VALIDATE", "").strip().lower() in ("1", "true", "yes", "on")


def validator_for(options: Mapping[str, Any], environ: Mapping[str, str]) -> Validator | None:
    """The run's validator, or None when validation is off."""
    if not enabled(options, environ):
        return None
    return Validator(Settings.of(options, environ), proxies=proxies_of(environ))


def validate_records(
    repo: Path,
    records: Sequence[SecretRecord],
    placements: Iterable[Placement],
    results: Mapping[str, ContentResult],
    validator: Validator,
    limits: archives.Limits,
) -> list[SecretRecord]:
    """``records`` with the live verdict on each candidate provider token (see the module)."""
    shas = {r.sha256 for r in records}
    wanted: dict[str, set[str]] = {}  # scan key → the candidate values' SHA-256 in it
    for key, result in results.items():
        found = {
            h.sha256 for h in result.hits if h.sha256 in shas and validator.candidate(h.preview)
        }
        if found:
            wanted[key] = found
    if not wanted:
        return list(records)
    keys_of_oid: dict[str, set[str]] = {}
    path_of: dict[str, str] = {}
    for placement in placements:
        outer = archived.outer_key(placement.key)
        if placement.key in wanted:
            keys_of_oid.setdefault(placement.oid, set()).add(placement.key)
            path_of.setdefault(outer, placement.path.split(archives.SEPARATOR, 1)[0])
    verdicts = {}
    for oid, content in git.read_blobs(repo, sorted(keys_of_oid), missing=[]):
        for key in sorted(keys_of_oid[oid]):
            outer, _, inner = key.partition(archives.SEPARATOR)
            data = _entry(path_of[outer], content, inner, limits) if inner else content
            text = decode(data) if data is not None else None
            if text is not None:
                verdicts.update(validator.validate_text(text, wanted[key]))
            del text, data
    return [
        replace(r, validated=verdicts[r.sha256].state, validated_at=verdicts[r.sha256].at)
        if r.sha256 in verdicts
        else r
        for r in records
    ]


def _entry(path: str, content: bytes, inner: str, limits: archives.Limits) -> bytes | None:
    """The file ``inner`` (``b.jar!c.properties``) of the archive ``content``, expanded again."""
    for name, data in archives.expand(path, content, limits):
        if name == inner:
            return data
    return None
