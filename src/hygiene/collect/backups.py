"""Collector of the backups check: AWS data stores and backup plans over account × region.

GCP Cloud SQL is not collected yet (its source belongs under ``sources/gcp/``); the stats say so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hygiene.checks.backups_records import BackupInventory, BackupPlan, DataStore
from hygiene.context import Collection, RunContext
from hygiene.policy import Policy
from hygiene.sources.aws import backups as source
from hygiene.sources.aws.session import AwsScope, Slice

REGIONAL = ("rds", "dynamodb", "backup", "ec2")


def collect(ctx: RunContext) -> Collection:
    """Read every account's data stores and backup plans; a failed slice is an error."""
    return collect_backups(AwsScope.connect(ctx.policy.aws), ctx.policy)


def collect_backups(scope: AwsScope, policy: Policy) -> Collection:
    """The backup inventory of every account × region of ``scope``."""
    matcher = source.backup_bucket_matcher(policy.backups.backup_bucket_patterns)
    slices: list[Slice] = []
    region_errors: list[str] = []
    accounts = scope.accounts()
    for account in accounts:
        try:
            regions = scope.regions(account)
        except Exception as exc:  # one account's failure must not hide the others
            region_errors.append(f"regions {account}: {type(exc).__name__}: {exc}")
            continue
        slices += [Slice(account, region, service) for region in regions for service in REGIONAL]
        slices.append(Slice(account, scope.default_region, "s3"))

    readers: dict[str, Callable[[Any, str, str], list[Any]]] = {
        "rds": source.read_rds,
        "dynamodb": source.read_dynamodb,
        "backup": source.read_backup_plans,
        "ec2": source.read_ebs,
    }

    def work(unit: Slice) -> list[Any]:
        client = scope.client(unit.service, unit.region, unit.account)
        if unit.service == "s3":
            return source.read_backup_buckets(client, unit.account, matcher)
        return readers[unit.service](client, unit.account, unit.region)

    result = scope.fan_out(slices, work)
    inventory = BackupInventory()
    for _, values in result.values:
        for value in values:
            if isinstance(value, BackupPlan):
                inventory.plans.append(value)
            elif isinstance(value, DataStore):
                inventory.stores.append(value)
    errors = [*region_errors, *result.errors]
    failed_accounts = {e.split(":", 1)[0].split()[-1] for e in result.errors}
    covered = [
        a for a in accounts if a not in failed_accounts and not any(a in e for e in region_errors)
    ]
    stats: dict[str, Any] = {
        "accounts": covered,
        "stores": len(inventory.stores),
        "plans": len(inventory.plans),
        "skipped_slices": result.skipped,
        "gcp_cloudsql": "not collected yet",
        **scope.stats(),
    }
    return Collection(records=inventory, stats=stats, errors=errors, scopes=covered)
