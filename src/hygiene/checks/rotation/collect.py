"""Collector of the rotation check: AWS and GCP credentials, and the policy's registry of
secrets that live elsewhere.

Three parts, each covering its own scopes: the registry (scope ``registry``; needs no cloud, so
it is always judged), AWS (its accounts) and GCP (its projects). A cloud part that cannot run here
(no credentials, not configured) is noted in ``stats`` and left out of ``scopes``, so earlier
findings there stay open instead of being resolved; the check is skipped only when no part can
run at all. A part that fails part-way adds its errors (the run becomes incomplete).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import UTC, datetime, time
from typing import Any

from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped
from hygiene.policy import ExternalSecret, Policy, RotationPolicy
from hygiene.records.cloud import CredentialRecord

log = logging.getLogger(__name__)

REGISTRY_SCOPE = "registry"


def registry_record(entry: ExternalSecret) -> CredentialRecord:
    """A registry entry as a record (provider ``external``, its own scope ``registry``)."""
    rotated = datetime.combine(entry.last_rotated, time(0, 0), tzinfo=UTC)
    details: dict[str, object] = {}
    if entry.max_age_days:
        details["max_age_days"] = entry.max_age_days
    return CredentialRecord(
        provider="external",
        account=REGISTRY_SCOPE,
        kind=entry.kind,
        resource_id=f"registry:{entry.name}",
        name=entry.name,
        last_rotated=rotated,
        owner=entry.owner,
        env=entry.env,
        details=details,
    )


def registry_records(policy: RotationPolicy) -> list[CredentialRecord]:
    """Every registry entry as a record."""
    return [registry_record(entry) for entry in policy.registry]


def secret_versions_unread(records: list[CredentialRecord]) -> int:
    """Secrets Manager secrets aged from their older dates because their versions could not be
    read (``details.versions_error``): a value changed by hand is not seen for them."""
    return sum(
        1
        for r in records
        if r.kind == "secretsmanager-secret" and r.details.get("versions_error") is not None
    )


def aws_part(policy: Policy) -> Collection:
    """Every AWS key, secret and certificate the scope reaches (CheckSkipped without credentials)."""
    from hygiene.sources.aws.credentials import collect_credentials
    from hygiene.sources.aws.session import AwsScope

    scope = AwsScope.connect(policy.aws)
    inventory = collect_credentials(scope)
    stats = {
        "accounts": inventory.accounts,
        "skipped_slices": inventory.skipped,
        # the root user could not be judged there: its credential report had no root row
        "root_not_in_report": inventory.root_not_in_report,
        "secret_versions_unread": secret_versions_unread(inventory.records),
        **scope.stats(),
    }
    return Collection(inventory.records, stats, inventory.errors, inventory.accounts)


def gcp_part(ctx: RunContext) -> Collection:
    """User-managed service-account keys and Secret Manager secrets of the policy's projects
    (CheckSkipped when GCP is not configured or has no credentials)."""
    from hygiene.checks.gcp_parts import gcp_credentials

    found = gcp_credentials(ctx)
    found.stats = {"projects": found.scopes, **found.stats}
    return found


def collect(ctx: RunContext) -> Collection:
    """Registry entries, and every AWS and GCP credential the run can reach (the two clouds are
    read at the same time)."""
    registry = registry_records(ctx.policy.rotation)
    records = list(registry)
    errors: list[str] = []
    scopes = [REGISTRY_SCOPE]
    stats: dict[str, Any] = {"registry": len(registry)}
    skipped: list[str] = []
    parts = (("aws", lambda: aws_part(ctx.policy)), ("gcp", lambda: gcp_part(ctx)))
    with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="rotation") as pool:
        futures = [(name, pool.submit(copy_context().run, read)) for name, read in parts]
    for name, future in futures:
        try:
            part = future.result()
        except CheckSkipped as skip:
            log.info("%s not covered: %s", name, skip.reason)
            stats[name] = {"status": "skipped", "reason": skip.reason}
            skipped.append(f"{name}: {skip.reason}")
            continue
        records += part.records
        errors += part.errors
        scopes += part.scopes or []
        stats[name] = {"status": "error" if part.errors else "ok", **part.stats}
    if not registry and len(skipped) == len(parts):
        raise CheckSkipped("; ".join(skipped) + "; and rotation.registry is empty")
    counts: dict[str, int] = {}
    for record in records:
        counts[record.kind] = counts.get(record.kind, 0) + 1
    stats["credentials"] = dict(sorted(counts.items()))
    return Collection(records=records, stats=stats, errors=errors, scopes=scopes)
