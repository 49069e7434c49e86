"""Collector of the backups check: AWS data stores and backup plans over account × region, and
GCP Cloud SQL instances over the policy's projects. Either cloud may be unconfigured; the check
is skipped only when neither can be read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hygiene.checks.gcp_parts import connect
from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped
from hygiene.policy import Policy
from hygiene.records.backups import BackupInventory, BackupPlan, DataStore
from hygiene.sources.aws import backups as source
from hygiene.sources.aws.session import AwsScope, Slice

REGIONAL = ("rds", "dynamodb", "backup", "ec2")


def collect(ctx: RunContext) -> Collection:
    """Read every account's and project's backup posture; a failed slice is an error."""
    try:
        aws: Collection | None = collect_backups(AwsScope.connect(ctx.policy.aws), ctx.policy)
        aws_skipped = ""
    except CheckSkipped as skipped:
        aws, aws_skipped = None, skipped.reason
    try:
        gcp = collect_cloudsql(ctx)
    except CheckSkipped as skipped:
        if aws is None:
            raise CheckSkipped(f"AWS: {aws_skipped}; GCP: {skipped.reason}") from None
        aws.stats["gcp"] = f"skipped: {skipped.reason}"
        return aws
    if aws is None:
        aws = Collection(
            records=BackupInventory(),
            stats={"aws": f"skipped: {aws_skipped}", "accounts": []},
            scopes=[],
        )
    aws.records.stores.extend(gcp.records)
    covered = [*(aws.scopes or []), *(gcp.scopes or [])]
    aws.stats.update(
        {
            **gcp.stats,
            "gcp": "read",
            "accounts": [*aws.stats.get("accounts", []), *(gcp.scopes or [])],
        }
    )
    return Collection(
        records=aws.records, stats=aws.stats, errors=[*aws.errors, *gcp.errors], scopes=covered
    )


def collect_cloudsql(ctx: RunContext) -> Collection:
    """Cloud SQL instances of every GCP project in scope (CheckSkipped when GCP is not
    configured or its client libraries are missing)."""
    gcp = ctx.policy.gcp
    if not (gcp.projects or gcp.organization or gcp.folders):
        raise CheckSkipped(
            "GCP is not configured (set gcp.projects, gcp.organization or gcp.folders)"
        )
    try:
        from hygiene.sources.gcp.cloudsql import list_cloudsql

        scope = connect(ctx)
    except ImportError as exc:
        raise CheckSkipped(
            f"the GCP client libraries are not installed (pip install 'hygiene[gcp]'): {exc}"
        ) from None
    projects, errors = scope.projects()
    found = list_cloudsql(scope, projects)
    errors += found.errors
    failed = {line.split(":", 1)[0].rsplit(" ", 1)[-1] for line in errors}
    records = [record for _, batch in found.values for record in batch]
    return Collection(
        records=records,
        errors=errors,
        scopes=sorted(p.project_id for p in projects if p.project_id not in failed),
        stats={
            "gcp_projects": [p.project_id for p in projects],
            "cloudsql_instances": len(records),
            **scope.stats(),
        },
    )


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
    failed_accounts = {e.split(":", 1)[0].split()[-1] for e in errors}
    covered = [a for a in accounts if a not in failed_accounts]
    stats: dict[str, Any] = {
        "accounts": covered,
        "stores": len(inventory.stores),
        "plans": len(inventory.plans),
        "skipped_slices": result.skipped,
        **scope.stats(),
    }
    return Collection(records=inventory, stats=stats, errors=errors, scopes=covered)
