"""AWS backup posture: RDS instances and clusters, DynamoDB PITR, AWS Backup plans and their
selections, EBS volumes and snapshots, S3 versioning of backup buckets.

Read-only (Describe/List/Get only). Each reader takes one client and returns plain records from
``checks/backups_records.py``; ``collect/backups.py`` fans them out over account × region.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import botocore.exceptions

from hygiene.records.backups import (
    BackupPlan,
    BackupRule,
    BackupSelection,
    DataStore,
    TagCondition,
)
from hygiene.sources.aws.session import paginate

TAG_PREFIX = "aws:ResourceTag/"


def _tags(items: Sequence[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or []}


def read_rds(rds: Any, account: str, region: str) -> list[DataStore]:
    """RDS instances (those outside an Aurora cluster) and clusters with their backup settings."""
    out: list[DataStore] = []
    for db in paginate(rds, "describe_db_instances", "DBInstances"):
        if db.get("DBClusterIdentifier"):
            continue  # an Aurora member: the cluster carries the backup settings
        retention = int(db.get("BackupRetentionPeriod", 0))
        out.append(
            DataStore(
                provider="aws",
                account=account,
                region=region,
                kind="rds:db",
                resource_id=db["DBInstanceArn"],
                name=db["DBInstanceIdentifier"],
                tags=_tags(db.get("TagList")),
                retention_days=retention,
                pitr_enabled=retention > 0,
                engine=str(db.get("Engine", "")),
            )
        )
    for cluster in paginate(rds, "describe_db_clusters", "DBClusters"):
        retention = int(cluster.get("BackupRetentionPeriod", 0))
        out.append(
            DataStore(
                provider="aws",
                account=account,
                region=region,
                kind="rds:cluster",
                resource_id=cluster["DBClusterArn"],
                name=cluster["DBClusterIdentifier"],
                tags=_tags(cluster.get("TagList")),
                retention_days=retention,
                pitr_enabled=retention > 0,
                engine=str(cluster.get("Engine", "")),
            )
        )
    return out


def read_dynamodb(ddb: Any, account: str, region: str) -> list[DataStore]:
    """DynamoDB tables with their point-in-time-recovery status and tags."""
    out: list[DataStore] = []
    for name in paginate(ddb, "list_tables", "TableNames"):
        table = ddb.describe_table(TableName=name)["Table"]
        arn = table["TableArn"]
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        tags = _tags(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags"))
        out.append(
            DataStore(
                provider="aws",
                account=account,
                region=region,
                kind="dynamodb:table",
                resource_id=arn,
                name=name,
                tags=tags,
                pitr_enabled=pitr == "ENABLED",
            )
        )
    return out


def parse_selection(raw: dict[str, Any]) -> BackupSelection:
    """A ``GetBackupSelection`` ``BackupSelection`` object as a record (pure)."""
    conditions: list[TagCondition] = []
    for operator, items in sorted((raw.get("Conditions") or {}).items()):
        for item in items or []:
            key = str(item["ConditionKey"]).removeprefix(TAG_PREFIX)
            conditions.append(TagCondition(operator, key, str(item["ConditionValue"])))
    tags = tuple(
        TagCondition(
            str(t.get("ConditionType", "STRINGEQUALS")),
            str(t["ConditionKey"]).removeprefix(TAG_PREFIX),
            str(t["ConditionValue"]),
        )
        for t in raw.get("ListOfTags") or []
    )
    return BackupSelection(
        name=str(raw.get("SelectionName", "")),
        resources=tuple(raw.get("Resources") or ()),
        not_resources=tuple(raw.get("NotResources") or ()),
        list_of_tags=tags,
        conditions=tuple(conditions),
    )


def parse_rules(raw_plan: dict[str, Any]) -> tuple[BackupRule, ...]:
    """A ``GetBackupPlan`` ``BackupPlan`` object's rules as records (pure)."""
    rules = []
    for rule in raw_plan.get("Rules") or []:
        delete_after = (rule.get("Lifecycle") or {}).get("DeleteAfterDays")
        rules.append(
            BackupRule(
                name=str(rule.get("RuleName", "")),
                schedule=str(rule.get("ScheduleExpression", "")),
                delete_after_days=int(delete_after) if delete_after is not None else None,
                continuous=bool(rule.get("EnableContinuousBackup", False)),
            )
        )
    return tuple(rules)


def read_backup_plans(backup: Any, account: str, region: str) -> list[BackupPlan]:
    """AWS Backup plans with their rules and every selection (the selections say what is covered)."""
    plans: list[BackupPlan] = []
    for summary in paginate(backup, "list_backup_plans", "BackupPlansList"):
        plan_id = summary["BackupPlanId"]
        detail = backup.get_backup_plan(BackupPlanId=plan_id)
        selections = []
        for item in paginate(
            backup, "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id
        ):
            raw = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=item["SelectionId"])
            selections.append(parse_selection(raw["BackupSelection"]))
        plans.append(
            BackupPlan(
                provider="aws",
                account=account,
                region=region,
                plan_id=plan_id,
                arn=str(summary.get("BackupPlanArn", detail.get("BackupPlanArn", ""))),
                name=str(
                    detail["BackupPlan"].get("BackupPlanName", summary.get("BackupPlanName", ""))
                ),
                rules=parse_rules(detail["BackupPlan"]),
                selections=tuple(sorted(selections, key=lambda s: s.name)),
            )
        )
    return plans


def read_ebs(ec2: Any, account: str, region: str) -> list[DataStore]:
    """EBS volumes with their newest completed snapshot and the attached instance's tags."""
    latest: dict[str, datetime] = {}
    for snap in paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        if snap.get("State") not in (None, "completed"):
            continue
        volume, started = snap.get("VolumeId"), snap.get("StartTime")
        if volume and started and (volume not in latest or started > latest[volume]):
            latest[volume] = started
    instance_tags: dict[str, dict[str, str]] = {}
    for reservation in paginate(ec2, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances", []):
            instance_tags[instance["InstanceId"]] = _tags(instance.get("Tags"))
    out: list[DataStore] = []
    for volume in paginate(ec2, "describe_volumes", "Volumes"):
        attached: dict[str, str] = {}
        for attachment in volume.get("Attachments", []):
            attached.update(instance_tags.get(attachment.get("InstanceId", ""), {}))
        volume_id = volume["VolumeId"]
        out.append(
            DataStore(
                provider="aws",
                account=account,
                region=region,
                kind="ebs:volume",
                resource_id=f"arn:aws:ec2:{region}:{account}:volume/{volume_id}",
                name=volume_id,
                tags=_tags(volume.get("Tags")),
                latest_snapshot=latest.get(volume_id),
                attached_tags=attached,
            )
        )
    return out


def read_backup_buckets(
    s3: Any, account: str, is_backup_bucket: Callable[[str, dict[str, str]], bool]
) -> list[DataStore]:
    """S3 buckets that hold backups (by name or tag) with their versioning status."""
    out: list[DataStore] = []
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            tags = _tags(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchTagSet":
                raise
            tags = {}
        if not is_backup_bucket(name, tags):
            continue
        status = s3.get_bucket_versioning(Bucket=name).get("Status", "")
        region = bucket.get("BucketRegion") or "global"
        out.append(
            DataStore(
                provider="aws",
                account=account,
                region=region,
                kind="s3:bucket",
                resource_id=f"arn:aws:s3:::{name}",
                name=name,
                tags=tags,
                versioning=status,
            )
        )
    return out


def backup_bucket_matcher(patterns: Sequence[str]) -> Callable[[str, dict[str, str]], bool]:
    """A predicate: the bucket's name matches a glob, or it is tagged ``Purpose=backup``."""

    def matches(name: str, tags: dict[str, str]) -> bool:
        purpose = {k.lower(): v.lower() for k, v in tags.items()}.get("purpose", "")
        return purpose in ("backup", "backups") or any(fnmatchcase(name, p) for p in patterns)

    return matches
