"""``audit --validate`` in the secrets collector: candidate provider tokens checked live.

The scan keeps hashes, never values; so after a repository's records are built, the blobs
holding a candidate (a hit on a record whose preview starts like a provider token, or a provider
token's hit carrying its key id, as kingfisher reports an AWS key id and its secret as one hit
whose value is the secret) are read again, one at a time, and their text handed to
:class:`~hygiene.sources.validate.Validator`, which finds the token (or key id) by its SHA-256,
asks its provider and drops the value. A file inside an archive is found by expanding the
archive again with the same limits. Each record of a value that was checked (or of a key id
whose check found no secret to go with it: ``unknown``) gets ``validated``
(``true``/``false``/``unknown``) and ``validated_at``.
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
from hygiene.sources.validate import Settings, Validator, Verdict, proxies_of


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
        found = set()
        for h in result.hits:
            if h.sha256 not in shas:
                continue
            if validator.candidate(h.preview):
                found.add(h.sha256)
            if h.key_id_sha256 and h.category == "provider-token":
                found.add(h.key_id_sha256)  # the key id's check gives the pair's verdict
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
    return [_with_verdict(r, verdicts) for r in records]


def _with_verdict(record: SecretRecord, verdicts: Mapping[str, Verdict]) -> SecretRecord:
    """``record`` with its value's verdict; or ``unknown`` when only its key id was checked and
    came out unknown (no secret found beside it: a true/false would be of another pair)."""
    verdict = verdicts.get(record.sha256)
    if verdict is None and record.key_id_sha256:
        by_key = verdicts.get(record.key_id_sha256)
        verdict = by_key if by_key is not None and by_key.state == "unknown" else None
    if verdict is None:
        return record
    return replace(record, validated=verdict.state, validated_at=verdict.at)


def _entry(path: str, content: bytes, inner: str, limits: archives.Limits) -> bytes | None:
    """The file ``inner`` (``b.jar!c.properties``) of the archive ``content``, expanded again."""
    for name, data in archives.expand(path, content, limits):
        if name == inner:
            return data
    return None
