"""Collector of the rotation check: AWS credentials plus the policy's registry of external secrets.

The registry (``rotation.registry``) needs no cloud, so it is always judged. Without AWS
credentials the AWS part is skipped: the check is skipped when the registry is empty too, else it
reports the registry and says in ``stats.aws`` what was not covered (and, with ``scopes``, keeps
earlier AWS findings open rather than resolving them).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped
from hygiene.policy import ExternalSecret, RotationPolicy
from hygiene.records import CredentialRecord
from hygiene.sources.aws.credentials import collect_credentials
from hygiene.sources.aws.session import AwsScope

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


def collect(ctx: RunContext) -> Collection:
    """Registry entries and every AWS key, secret and certificate the scope reaches."""
    records = registry_records(ctx.policy.rotation)
    stats: dict[str, object] = {"registry": len(records)}
    try:
        scope = AwsScope.connect(ctx.policy.aws)
    except CheckSkipped as skipped:
        if not records:
            raise
        log.info("AWS not covered: %s", skipped.reason)
        stats["aws"] = f"skipped: {skipped.reason}"
        return Collection(records=records, stats=stats, scopes=[REGISTRY_SCOPE])
    inventory = collect_credentials(scope)
    stats.update(
        {
            "aws": "read",
            "accounts": inventory.accounts,
            "credentials": dict(sorted(inventory.counts.items())),
            "skipped_slices": inventory.skipped,
            **scope.stats(),
        }
    )
    return Collection(
        records=[*records, *inventory.records],
        stats=stats,
        errors=inventory.errors,
        scopes=[REGISTRY_SCOPE, *inventory.accounts],
    )
