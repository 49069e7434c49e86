"""Merge the partial documents of ``audit --shard I/N`` into one run, and record it.

Shards partition the work units (``hygiene.shard``), so the merge is a union:

- findings: union by id (a unit belongs to one shard, so an id comes from one shard), read one
  shard at a time into an on-disk spool (``hygiene.spool``), in report order;
- a check's status: ``error`` if any shard's is, ``skipped`` if all skipped (first reason), and
  ``error`` when some shards ran it and others skipped it (their share was not audited);
- stats, per check: numbers add up, lists are unioned, dicts merge key by key, other values are
  shard 0's; values every shard computes whole (``SAME``) are taken once, and percentages are
  recomputed from the merged counts. ``duration_s`` is the slowest shard's; ``api_calls``
  include each shard's own discovery calls (organisation, regions), so they exceed an unsharded
  run's by those;
- the ``policy`` check (expired exceptions) is judged here, over all the findings;
- a missing shard, or a shard of another run (different ``as_of``, count or policy), makes the
  merged run ``incomplete`` (missing) or is refused (mismatch), naming the shard.

The merged document is then recorded in the store like an unsharded run (new/open/resolved).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from hygiene.context import CheckResult
from hygiene.errors import HygieneError
from hygiene.exceptions import ExceptionScreen
from hygiene.findings import SCHEMA, Finding
from hygiene.joins.stage import carried_ids, merge_joins
from hygiene.pipeline import MERGE_CHECK, POLICY_CHECK, AuditRun, policy_result
from hygiene.policy import Policy
from hygiene.registry import CHECKS
from hygiene.shard import policy_fingerprint
from hygiene.spool import PAGE, FindingSpool

#: Stats every shard computes whole (from discovery, not from its units): taken from shard 0.
SAME: dict[str, tuple[tuple[str, ...], ...]] = {
    "tags": (("slices", "total"),),
}


@dataclass
class Part:
    """One shard's document, as read. ``read_part`` moves the findings out of ``document`` into
    ``findings`` (a spool on disk), so the merge holds one shard's document at a time."""

    name: str  # where it came from (a file name), for messages
    document: dict[str, Any]
    findings: FindingSpool | None = None

    def finding_pages(self) -> Iterator[list[Finding]]:
        """The shard's findings, without their recorded ``first_seen``/``status``, in pages."""
        if self.findings is not None:
            yield from self.findings.pages()
            return
        items = list(self.document.get("findings", []))
        for start in range(0, len(items), PAGE):
            yield [_finding(data) for data in items[start : start + PAGE]]

    @property
    def run(self) -> dict[str, Any]:
        """The document's ``run`` object."""
        return dict(self.document.get("run") or {})

    @property
    def shard(self) -> dict[str, Any]:
        """The document's ``run.shard`` object."""
        return dict(self.run.get("shard") or {})


@dataclass
class Merged:
    """The merged run before recording, and what was missing."""

    run: AuditRun
    missing: list[int] = field(default_factory=list)


def read_part(path: Path) -> Part:
    """A shard's document from ``path`` (``audit --shard I/N --format json -o PATH``)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HygieneError(f"{path}: no such shard document") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HygieneError(
            f"{path}: not a shard document ({exc}); write one with "
            "`hygiene audit --shard I/N --format json -o PATH`"
        ) from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise HygieneError(f"{path}: not a {SCHEMA} document")
    if not isinstance(document.get("run", {}).get("shard"), dict):
        raise HygieneError(
            f"{path}: run.shard is missing: this is an unsharded run; merge only the documents "
            "of `hygiene audit --shard I/N`"
        )
    findings = FindingSpool()
    try:
        items = document.pop("findings", [])
        for start in range(0, len(items), PAGE):
            findings.add(_finding(data) for data in items[start : start + PAGE])
    except (KeyError, TypeError, ValueError) as exc:
        raise HygieneError(f"{path}: a finding does not follow {SCHEMA}: {exc}") from None
    return Part(str(path), document, findings)


def _finding(data: dict[str, Any]) -> Finding:
    return Finding.model_validate(
        {k: v for k, v in data.items() if k not in ("first_seen", "status")}
    )


def merge_parts(parts: Sequence[Part], expect: int, policy: Policy) -> Merged:
    """Combine the shards' documents into one run (not yet recorded)."""
    if expect < 1:
        raise HygieneError(f"--expect {expect}: the number of shards must be at least 1")
    if not parts:
        raise HygieneError("no shard documents given")
    by_index: dict[int, Part] = {}
    as_of = parts[0].run.get("as_of")
    fingerprint = policy_fingerprint(policy)
    for part in parts:
        shard = part.shard
        index, count = shard.get("index"), shard.get("count")
        if count != expect:
            raise HygieneError(
                f"{part.name}: shard {index}/{count} is not one of {expect} shards (--expect {expect})"
            )
        if not isinstance(index, int) or not 0 <= index < expect:
            raise HygieneError(f"{part.name}: shard index {index!r} is out of range 0…{expect - 1}")
        if index in by_index:
            raise HygieneError(
                f"{part.name}: shard {index}/{count} was given twice (also {by_index[index].name})"
            )
        if part.run.get("as_of") != as_of:
            raise HygieneError(
                f"{part.name}: as_of {part.run.get('as_of')} differs from {as_of}; shards of one "
                "run must share --as-of"
            )
        if shard.get("policy") not in (None, fingerprint):
            raise HygieneError(
                f"{part.name}: shard {index}/{count} ran under another policy; merge with the "
                "same --config the shards used"
            )
        by_index[index] = part
    ordered = [by_index[i] for i in sorted(by_index)]
    missing = [i for i in range(expect) if i not in by_index]

    names: list[str] = []
    for part in ordered:
        names += [n for n in part.run.get("checks", {}) if n not in names and n != POLICY_CHECK]
    names.sort(key=lambda n: (list(CHECKS).index(n) if n in CHECKS else len(CHECKS), n))
    results = [_merge_check(name, ordered, expect, missing) for name in names]

    merged = FindingSpool()  # union by id, in shard order; live exceptions screened again
    screen = ExceptionScreen(policy.exceptions, _instant(as_of))
    carried = [p.shard.get("joins") for p in ordered]  # the joins no shard could make alone
    replaced = carried_ids(carried)  # (hygiene.joins): their findings, joined over all shards
    for part in ordered:
        for page in part.finding_pages():
            merged.add(f for f in merged.unseen(page) if f.id not in replaced and screen.keep(f))
    merged.add(merge_joins(carried, results, policy, screen.keep))
    counts = merged.count_by_check()
    for result in results:
        result.finding_count = counts.get(result.name, 0)
    suppressed = sum(int(p.shard.get("suppressed", 0)) for p in ordered) + screen.suppressed
    expired = screen.expired_findings()
    merged.add(expired)
    results.append(policy_result(len(policy.exceptions), suppressed, expired))
    if missing:
        results.append(
            CheckResult(
                name=MERGE_CHECK,
                status="error",
                reason=f"shard(s) {', '.join(f'{i}/{expect}' for i in missing)} missing: their "
                "share of the work was not audited",
                stats={"expected": expect, "merged": sorted(by_index), "missing": missing},
            )
        )
    started = min(_instant(p.run["started_at"]) for p in ordered)
    finished = max(_instant(p.run["finished_at"]) for p in ordered)
    run = AuditRun(uuid.uuid4().hex[:16], started, finished, _instant(as_of), results, merged)
    return Merged(run=run, missing=missing)


def _merge_check(name: str, parts: list[Part], expect: int, missing: list[int]) -> CheckResult:
    entries = [(p, p.run["checks"][name]) for p in parts if name in p.run.get("checks", {})]
    statuses = [e["status"] for _p, e in entries]
    result = CheckResult(name=name, status="ok")
    result.duration_s = max(float(e.get("duration_s", 0.0)) for _p, e in entries)
    result.stats = merge_stats([e.get("stats", {}) for _p, e in entries], SAME.get(name, ()))
    scopes = [p.shard.get("scopes", {}).get(name) for p, _e in entries]
    result.scopes = (
        None if any(s is None for s in scopes) else sorted({x for s in scopes for x in s or []})
    )
    if "error" in statuses:
        result.status = "error"
        errors = result.stats.get("errors")
        if isinstance(errors, list) and errors:
            result.reason = (
                f"{len(errors)} part(s) could not be read: "
                + "; ".join(map(str, errors[:5]))
                + (" …" if len(errors) > 5 else "")
            )
        else:
            result.reason = "; ".join(
                f"shard {p.shard['index']}/{expect}: {e.get('reason', '')}"
                for p, e in entries
                if e["status"] == "error"
            )
    elif all(s == "skipped" for s in statuses):
        result.status, result.reason = "skipped", str(entries[0][1].get("reason", ""))
    elif "skipped" in statuses:
        result.status = "error"
        result.reason = "; ".join(
            f"shard {p.shard['index']}/{expect} skipped: {e.get('reason', '')} (its share was not audited)"
            for p, e in entries
            if e["status"] == "skipped"
        )
    if name in CHECKS and CHECKS[name].partition and missing and result.status != "skipped":
        result.status = "error"
        lost = ", ".join(f"{i}/{expect}" for i in missing)
        result.reason = "; ".join(filter(None, [result.reason, f"shard(s) {lost} missing"]))
    return result


def merge_stats(
    stats: Sequence[Mapping[str, Any]], same: Sequence[tuple[str, ...]] = ()
) -> dict[str, Any]:
    """Per-check stats of several shards as one: see the module docstring."""
    merged: dict[str, Any] = {}
    for one in stats:
        merged = _merge_value(merged, dict(one))
    for path in same:
        value: Any = stats[0] if stats else {}
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        target = merged
        for key in path[:-1]:
            target = target.get(key, {}) if isinstance(target, dict) else {}
        if isinstance(target, dict) and value is not None:
            target[path[-1]] = value
    return _recompute(merged)


def _merge_value(left: Any, right: Any) -> Any:
    if isinstance(left, bool) or isinstance(right, bool):
        return bool(left) or bool(right)
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left + right
    if isinstance(left, dict) and isinstance(right, dict):
        out = dict(left)
        for key, value in right.items():
            out[key] = _merge_value(out[key], value) if key in out else value
        return out
    if isinstance(left, list) and isinstance(right, list):
        if all(isinstance(x, str) for x in [*left, *right]):
            union = list(dict.fromkeys([*left, *right]))  # first shard's order, then new items
            return sorted(union) if left == sorted(left) and right == sorted(right) else union
        seen = {json.dumps(x, sort_keys=True, default=str) for x in left}
        items = list(left)
        for item in right:
            key = json.dumps(item, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                items.append(item)
        return items
    return left if left is not None else right


def _recompute(value: Any) -> Any:
    """Percentages from merged counts (``compliant`` of ``resources``, as the tags check)."""
    if isinstance(value, list):
        return [_recompute(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _recompute(v) for k, v in value.items()}
    whole, part = out.get("resources"), out.get("compliant")
    if isinstance(whole, int) and isinstance(part, int):
        for key in ("percent", "compliance_percent"):
            if key in out:
                out[key] = round(100.0 * part / whole, 2) if whole else 100.0
    return out


def _instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def record_merged(merged: Merged, state: Path | str | None, lock_timeout: float = 60.0) -> AuditRun:
    """Record the merged run in the store (one transaction), like an unsharded run.

    A state that cannot be opened or written raises ``HygieneError`` (exit 2); a recording that
    fails part-way (a full disk) leaves the previous state, and the run comes back incomplete
    with a ``state`` result naming the failure, so its artefact can still be written.
    """
    run = merged.run
    if state is None:
        return run
    from hygiene.store import RECORD_RESULT, StateWriteError, Store

    with Store(state, lock_timeout=lock_timeout) as store:
        store.ensure_writable()
        try:
            recorded = store.record_run(
                run_id=run.id,
                started_at=run.started_at,
                finished_at=run.finished_at,
                as_of=run.as_of,
                status=run.status,
                results=run.results,
                findings=run.findings,
                build_document=lambda resolved: replace(run, resolved=resolved).contract_head(),
            )
        except StateWriteError as exc:
            run.results.append(CheckResult(name=RECORD_RESULT, status="error", reason=str(exc)))
            return run
    run.findings, run.resolved = recorded.findings, recorded.resolved
    return run


def merge_files(
    paths: Sequence[Path],
    expect: int,
    policy: Policy,
    state: Path | str | None,
    lock_timeout: float = 60.0,
) -> AuditRun:
    """Read, merge and record shard documents; the library call behind ``hygiene merge``.

    A missing document among ``paths`` counts as a missing shard (its index unknown: every index
    not found in the others is missing), so a failed shard job never hides its share.
    """
    parts = [read_part(path) for path in paths if Path(path).exists()]
    absent = [str(path) for path in paths if not Path(path).exists()]
    if not parts:
        raise HygieneError(f"none of the shard documents exist: {', '.join(absent)}")
    merged = merge_parts(parts, expect, policy)
    if absent:
        for result in merged.run.results:
            if result.name == MERGE_CHECK:
                result.reason += f" (not found: {', '.join(absent)})"
    return record_merged(merged, state, lock_timeout)
