"""The ``tags`` check: required tags (GCP: labels) on every cloud resource, judged against the
policy's ``tags`` section. Pure: records and policy in, findings out; provider-neutral, so GCP
resources arriving as ResourceRecords are judged the same way (their lowercase label keys reach
the canonical keys through the policy's aliases).

Rules (severity from ``policy.tags.severity``):

- ``missing-tag``: required keys absent (one finding per resource, ``details.missing``)
- ``empty-tag-value``: a required key present with an empty or blank value (per key)
- ``invalid-tag-value``: a value outside ``allowed_values``, with the closest allowed value
  suggested (``prodution`` → ``prod``) (per key)
- ``tag-key-case``: a required key spelt another way — case (``project``), an alias
  (``Environment`` for ``Env``) or whitespace (``" Owner"``) (per raw key); a GCP label that is
  just the lowercase key (``env``) is correct, since GCP allows only lowercase label keys
- ``duplicate-tag-key``: one key carried twice or more under different spellings (``Env=prod``
  and ``env=dev``; ``Environment`` and ``Env``) (per canonical key). The other rules and the
  finding's owner/project/env use one value: the exact spelling's when present, else the first
  in the source's order (``tagging.normalise_tags``); the finding says which
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from hygiene.exceptions import apply_exceptions
from hygiene.findings import Finding
from hygiene.policy import Policy, TagsPolicy
from hygiene.records.cloud import ResourceRecord
from hygiene.tagging import NormalisedTags, key_lookup, normalise_tags, normalise_value

CHECK = "tags"
NO_OWNER = "(no owner)"

WHY_TEXT = {
    "case": "differs in case from",
    "alias": "is an alias of",
    "whitespace": "has whitespace around",
}


def in_scope(records: Iterable[ResourceRecord], tags: TagsPolicy) -> list[ResourceRecord]:
    """The records the check judges: known tags, selected types, and — when the policy says so —
    nothing the provider manages itself (service-linked roles, default VPC parts, AWS keys)."""
    patterns = tags.resource_types
    return [
        r
        for r in records
        if r.tags is not None
        and not (tags.skip_aws_managed and r.managed_by_provider)
        and (not patterns or any(fnmatchcase(r.resource_type, p) for p in patterns))
    ]


def suggest(key: str, value: str, tags: TagsPolicy) -> str | None:
    """The allowed value closest to ``value`` (``prodution`` → ``prod``), or None."""
    allowed = tags.allowed_values.get(key, [])
    aliases = {alias.lower(): target for alias, target in tags.value_aliases.get(key, {}).items()}
    candidates = {a.lower(): a for a in allowed} | {
        a: t for a, t in aliases.items() if t in allowed
    }
    close = difflib.get_close_matches(value.strip().lower(), list(candidates), n=1, cutoff=0.5)
    return candidates[close[0]] if close else None


class Judge:
    """What judging many resources against one policy shares: the key lookup and a memo of
    suggestions (difflib is the costly part of a large estate's evaluation)."""

    def __init__(self, tags: TagsPolicy) -> None:
        self.tags = tags
        self.lookup = key_lookup(tags)
        self._suggestions: dict[tuple[str, str], str | None] = {}

    def normalise(self, record: ResourceRecord) -> NormalisedTags:
        """The record's tags mapped onto the policy's keys."""
        return normalise_tags(record.tags, self.tags, lookup=self.lookup)

    def suggest(self, key: str, value: str) -> str | None:
        """``suggest`` for this policy, memoised."""
        memo = (key, value.strip().lower())
        if memo not in self._suggestions:
            self._suggestions[memo] = suggest(key, value, self.tags)
        return self._suggestions[memo]


def evaluate(records: Sequence[ResourceRecord], policy: Policy, as_of: datetime) -> list[Finding]:
    """Findings for every in-scope resource that breaks the tagging policy."""
    del as_of  # tags have no age; kept for the evaluator contract
    judge = Judge(policy.tags)
    findings: list[Finding] = []
    for record in in_scope(records, policy.tags):
        findings += evaluate_record(record, policy.tags, judge)
    return findings


def evaluate_record(
    record: ResourceRecord, tags: TagsPolicy, judge: Judge | None = None
) -> list[Finding]:
    """The findings of one resource."""
    judge = judge or Judge(tags)
    return _findings(record, judge.normalise(record), judge)


def _findings(record: ResourceRecord, norm: NormalisedTags, judge: Judge) -> list[Finding]:
    tags = judge.tags
    make = _maker(record, norm, tags)
    out: list[Finding] = []
    for issue in norm.key_issues:
        if (
            record.provider == "gcp"
            and issue.why == "case"
            and issue.raw == issue.canonical.lower()
        ):
            continue  # GCP label keys can only be lowercase: ``env`` is the right spelling there
        out.append(
            make(
                "tag-key-case",
                (issue.raw,),
                f"Rename tag key {issue.raw!r} to {issue.canonical!r} on {_label(record)} "
                f"(it {WHY_TEXT[issue.why]} the required key).",
                key=issue.canonical,
                raw_key=issue.raw,
                why=issue.why,
            )
        )
    for key, raw_keys in norm.raw_keys.items():
        if len(raw_keys) > 1:
            out.append(_duplicate(record, key, raw_keys, tags, make))
    missing = [key for key in tags.required if key not in norm.values]
    if missing:
        out.append(
            make(
                "missing-tag",
                (),
                f"Add tag(s) {', '.join(missing)} to {_label(record)}"
                + (" (it has no tags at all)." if not record.tags else "."),
                missing=missing,
            )
        )
    for key in tags.required:
        if key not in norm.values:
            continue
        value = norm.values[key]
        raw_value = norm.raw_values[key]
        if not value:
            out.append(
                make(
                    "empty-tag-value",
                    (key,),
                    f"Give tag {key} a value on {_label(record)}; it is empty.",
                    key=key,
                    value=raw_value,
                )
            )
            continue
        allowed = tags.allowed_values.get(key)
        if allowed and value not in allowed:
            hint = judge.suggest(key, raw_value)
            out.append(
                make(
                    "invalid-tag-value",
                    (key,),
                    f"Set tag {key} on {_label(record)} to one of {', '.join(allowed)}"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                    + f"; {raw_value!r} is not allowed.",
                    key=key,
                    value=raw_value,
                    allowed=list(allowed),
                    suggestion=hint,
                )
            )
    return out


def _duplicate(
    record: ResourceRecord,
    key: str,
    raw_keys: list[str],
    tags: TagsPolicy,
    make: Callable[..., Finding],
) -> Finding:
    """``duplicate-tag-key``: ``key`` reached from several raw keys; ``raw_keys[0]`` is used."""
    raw = record.tags or {}
    values = {k: "" if raw.get(k) is None else str(raw[k]) for k in raw_keys}
    used = raw_keys[0]
    meanings = {normalise_value(key, value, tags) for value in values.values()}
    # the spelling to keep: the required key's (GCP label keys are lowercase only: ``env``)
    keep = key.lower() if record.provider == "gcp" else key
    if keep in raw_keys:
        remedy = f"keep {keep!r} with the right value and delete " + ", ".join(
            repr(k) for k in raw_keys if k != keep
        )
    else:
        remedy = f"keep one key, spelt {keep!r}, with the right value and delete the others"
    listed = ", ".join(f"{k!r}={v!r}" for k, v in values.items())
    times = "twice" if len(raw_keys) == 2 else f"{len(raw_keys)} times"
    return make(
        "duplicate-tag-key",
        (key,),
        f"Tag {key} is set {times} on {_label(record)}: {listed} (hygiene uses {used!r}"
        + ("" if used == key else f": without {key!r}, the alphabetically first")
        + f"); {remedy}.",
        key=key,
        raw_keys=list(raw_keys),
        values=values,
        used_key=used,
        used_value=values[used],
        conflicting=len(meanings) > 1,
    )


def _label(record: ResourceRecord) -> str:
    where = "" if record.region == "global" else f" in {record.region}"
    return f"{record.resource_type} {record.name or record.resource_id} (account {record.account}{where})"


def _maker(
    record: ResourceRecord, norm: NormalisedTags, tags: TagsPolicy
) -> Callable[..., Finding]:
    base = {
        "provider": record.provider,
        "account": record.account,
        "region": record.region,
        "resource_type": record.resource_type,
        "arn": record.resource_id,
        "name": record.name,
        "tags": dict(record.tags or {}),
    }

    def make(rule: str, identity: tuple[object, ...], message: str, **details: Any) -> Finding:
        return Finding.create(
            check=CHECK,
            rule=rule,
            severity=tags.severity_of(rule),
            resource=record.resource_id,
            message=message,
            identity=identity,
            owner=norm.values.get("Owner") or None,
            project=norm.values.get("Project") or None,
            env=norm.values.get("Env") or None,
            details={**base, **details},
        )

    return make


# --------------------------------------------------------------------------- compliance figures


def compliance(
    records: Sequence[ResourceRecord], policy: Policy, as_of: datetime
) -> dict[str, Any]:
    """Compliance figures for the run's stats: overall and by resource type, account, Owner and
    provider. A resource is compliant when it has no finding left after the policy's live
    exceptions. (The pipeline counts the same figures with :class:`ComplianceTally` beside the
    evaluation; this is the one-shot form.)"""
    kept = apply_exceptions(evaluate(records, policy, as_of), policy.exceptions, as_of).kept
    tally = ComplianceTally(policy, as_of)
    tally.add(records, kept)
    return tally.stats()


class ComplianceTally:
    """``compliance`` over records that arrive in batches, read off the findings the pipeline
    kept for each batch (the tags check's :class:`~hygiene.context.Tally`): counts only, never
    the records, and no resource is judged a second time."""

    DIMENSIONS = ("by_resource_type", "by_account", "by_owner", "by_provider")

    def __init__(self, policy: Policy, as_of: datetime) -> None:
        del as_of  # the kept findings already reflect the exceptions live at as_of
        self.policy = policy
        self.judge = Judge(policy.tags)
        self.resources = self.compliant = self.managed_skipped = self.tags_unknown = 0
        self.tallies: dict[str, dict[str, list[int]]] = {
            name: defaultdict(lambda: [0, 0]) for name in self.DIMENSIONS
        }

    def add(self, records: Iterable[ResourceRecord], findings: Sequence[Finding] = ()) -> None:
        """Count one batch of records; a record is compliant when ``findings`` (those kept for
        this batch) name none against it."""
        records = list(records)
        flagged = {f.resource for f in findings if f.check == CHECK}
        self.managed_skipped += sum(
            1 for r in records if r.managed_by_provider and self.policy.tags.skip_aws_managed
        )
        self.tags_unknown += sum(1 for r in records if r.tags is None)
        for record in in_scope(records, self.policy.tags):
            ok = record.resource_id not in flagged
            owner = self.judge.normalise(record).values.get("Owner") or NO_OWNER
            self.resources += 1
            self.compliant += int(ok)
            for name, key in (
                ("by_resource_type", record.resource_type),
                ("by_account", record.account),
                ("by_owner", owner),
                ("by_provider", record.provider),
            ):
                self.tallies[name][key][0] += 1
                self.tallies[name][key][1] += int(ok)

    def stats(self) -> dict[str, Any]:
        """The figures so far."""
        stats: dict[str, Any] = {
            "resources": self.resources,
            "compliant": self.compliant,
            "compliance_percent": _percent(self.compliant, self.resources),
            "managed_skipped": self.managed_skipped,
            "tags_unknown": self.tags_unknown,
        }
        for name, tally in self.tallies.items():
            stats[name] = {
                key: {"resources": n, "compliant": ok, "percent": _percent(ok, n)}
                for key, (n, ok) in sorted(tally.items())
            }
        return stats


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 100.0
