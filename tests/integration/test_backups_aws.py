"""The backups collector against moto's server: every gap kind, exact findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from hygiene.checks.backups.collect import collect, collect_backups
from hygiene.checks.backups.rules import evaluate
from hygiene.context import RunContext
from hygiene.policy import AwsPolicy, Policy
from hygiene.sources.aws.session import AwsScope
from tests.fixtures.backups import moto_backup_selections
from tests.integration.readonly import ReadOnlyGuard, not_allowed

REGION = "us-east-1"
PROD: list[Any] = [
    {"Key": "Project", "Value": "shop"},
    {"Key": "Owner", "Value": "team-a"},
    {"Key": "Env", "Value": "prod"},
]


def _rds(name: str, retention: int, tags: list[Any]) -> str:
    rds = boto3.client("rds", region_name=REGION)
    db = rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        BackupRetentionPeriod=retention,
        Tags=tags,
    )
    return str(db["DBInstance"]["DBInstanceArn"])


def seed() -> dict[str, str]:
    """One of every gap, and one well-protected resource of every kind."""
    arns: dict[str, str] = {}
    arns["orders"] = _rds("orders", 7, [*PROD, {"Key": "Tier", "Value": "1"}])
    arns["ledger"] = _rds("ledger", 0, PROD)
    arns["catalog"] = _rds("catalog", 30, [*PROD, {"Key": "Backup", "Value": "daily"}])
    rds = boto3.client("rds", region_name=REGION)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password123",
        BackupRetentionPeriod=1,
        Tags=PROD,
    )
    arns["analytics"] = cluster["DBCluster"]["DBClusterArn"]
    rds.create_db_instance(  # an Aurora member: the cluster carries the backup settings
        DBInstanceIdentifier="analytics-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier="analytics",
    )
    ddb = boto3.client("dynamodb", region_name=REGION)
    for table in ("sessions", "carts"):
        ddb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            Tags=[*PROD, {"Key": "Tier", "Value": "2"}],
        )
        arns[table] = f"arn:aws:dynamodb:{REGION}:123456789012:table/{table}"
    ddb.update_continuous_backups(
        TableName="carts", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    backup = boto3.client("backup", region_name=REGION)
    weekly = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "weekly",
            "Rules": [
                {
                    "RuleName": "sunday",
                    "TargetBackupVaultName": "Default",
                    "ScheduleExpression": "cron(0 5 ? * SUN *)",
                    "Lifecycle": {"DeleteAfterDays": 7},
                },
            ],
        }
    )
    daily = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily",
            "Rules": [
                {
                    "RuleName": "nightly",
                    "TargetBackupVaultName": "Default",
                    "ScheduleExpression": "cron(0 5 ? * * *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                },
            ],
        }
    )
    arns["weekly"], arns["daily"] = weekly["BackupPlanArn"], daily["BackupPlanArn"]
    role = "arn:aws:iam::123456789012:role/backup"
    backup.create_backup_selection(
        BackupPlanId=weekly["BackupPlanId"],
        BackupSelection={
            "SelectionName": "ledger-only",
            "IamRoleArn": role,
            "Resources": [arns["ledger"]],
        },
    )
    backup.create_backup_selection(
        BackupPlanId=daily["BackupPlanId"],
        BackupSelection={
            "SelectionName": "tagged",
            "IamRoleArn": role,
            "Resources": [],
            "ListOfTags": [
                {
                    "ConditionType": "STRINGEQUALS",
                    "ConditionKey": "Backup",
                    "ConditionValue": "daily",
                }
            ],
        },
    )
    backup.create_backup_selection(
        BackupPlanId=daily["BackupPlanId"],
        BackupSelection={
            "SelectionName": "prod-tables",
            "IamRoleArn": role,
            "Resources": ["arn:aws:dynamodb:*:*:table/*"],
            "NotResources": [arns["sessions"]],
            "Conditions": {
                "StringEquals": [{"ConditionKey": "aws:ResourceTag/Env", "ConditionValue": "prod"}]
            },
        },
    )
    ec2 = boto3.client("ec2", region_name=REGION)

    def volume(tags: list[Any]) -> str:
        spec: list[Any] = [{"ResourceType": "volume", "Tags": tags}] if tags else []
        return str(
            ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, TagSpecifications=spec)[
                "VolumeId"
            ]
        )

    arns["vol-bare"] = volume(PROD)
    arns["vol-snapped"] = volume(PROD)
    ec2.create_snapshot(VolumeId=arns["vol-snapped"])
    arns["vol-dev"] = volume([{"Key": "Env", "Value": "dev"}])
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Env", "Value": "production"}]}
        ],
    )["Instances"][0]
    arns["vol-attached"] = volume([])
    ec2.attach_volume(
        VolumeId=arns["vol-attached"], InstanceId=instance["InstanceId"], Device="/dev/sdf"
    )
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0][
        "Instances"
    ][0]
    root = [
        m["Ebs"]["VolumeId"]
        for m in described["BlockDeviceMappings"]
        if m["DeviceName"] != "/dev/sdf"
    ]
    arns["vol-root"] = root[0]  # the instance's root volume: production too, through the instance
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("acme-db-backups", "archive-backup-copies", "website"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(
        Bucket="archive-backup-copies", VersioningConfiguration={"Status": "Enabled"}
    )
    return arns


@pytest.fixture
def seeded(aws: str) -> dict[str, str]:
    moto_backup_selections.install()
    return seed()


def _ctx(as_of: datetime) -> RunContext:
    policy = Policy(aws=AwsPolicy(regions=[REGION]))
    return RunContext(run_id="t", as_of=as_of, policy=policy)


def test_collect_and_evaluate_reports_every_gap_kind(seeded: dict[str, str]) -> None:
    as_of = datetime.now(UTC) + timedelta(hours=1)
    ctx = _ctx(as_of)
    guard = ReadOnlyGuard()
    scope = AwsScope.connect(ctx.policy.aws, before_call=[guard])
    collection = collect_backups(scope, ctx.policy)
    assert guard.violations == []
    assert not_allowed(guard.operations) == set(), (
        "add these to deploy/iam/hygiene-readonly-policy.json"
    )
    assert guard.operations == {
        "sts.GetCallerIdentity",
        "rds.DescribeDBInstances",
        "rds.DescribeDBClusters",
        "dynamodb.ListTables",
        "dynamodb.DescribeTable",
        "dynamodb.DescribeContinuousBackups",
        "dynamodb.ListTagsOfResource",
        "backup.ListBackupPlans",
        "backup.GetBackupPlan",
        "backup.ListBackupSelections",
        "backup.GetBackupSelection",
        "ec2.DescribeSnapshots",
        "ec2.DescribeInstances",
        "ec2.DescribeVolumes",
        "s3.ListBuckets",
        "s3.GetBucketTagging",
        "s3.GetBucketVersioning",
    }
    assert collection.errors == []
    assert collection.scopes == ["123456789012"]
    findings = evaluate(collection.records, ctx.policy, as_of)
    got = {(f.rule, f.details.get("name") or f.details.get("plan")) for f in findings}
    vol = {k: v for k, v in seeded.items() if k.startswith("vol-")}
    assert got == {
        ("retention-too-short", "orders"),
        ("retention-too-short", "analytics"),  # the Aurora cluster; its member is not judged alone
        ("not-in-backup-plan", "analytics"),
        ("not-in-backup-plan", "orders"),
        ("backup-disabled", "ledger"),
        ("rpo-exceeds-tier", "ledger"),  # only a weekly plan: 7 days > the default 24 h
        ("pitr-disabled", "sessions"),
        ("not-in-backup-plan", "sessions"),
        ("plan-not-daily", "weekly"),
        ("plan-retention-too-short", "weekly"),
        ("volume-not-backed-up", vol["vol-bare"]),
        ("volume-not-backed-up", vol["vol-attached"]),
        ("volume-not-backed-up", vol["vol-root"]),
        ("bucket-versioning-disabled", "acme-db-backups"),
    }
    by_key = {(f.rule, f.details.get("name")): f for f in findings}
    short = by_key[("retention-too-short", "orders")]
    assert short.resource == seeded["orders"]
    assert (short.details["retention_days"], short.details["required_days"]) == (7, 30)
    assert (
        short.details["tier"],
        short.details["tier_rpo_minutes"],
        short.details["implied_rpo_minutes"],
    ) == ("1", 5, 5)
    assert (short.owner, short.project, short.env) == ("team-a", "shop", "prod")
    assert "7 < 30 days" in short.message
    ledger = by_key[("rpo-exceeds-tier", "ledger")]
    assert (ledger.details["implied_rpo_minutes"], ledger.details["backup_plans"]) == (
        10080,
        ["weekly"],
    )
    assert by_key[("volume-not-backed-up", vol["vol-bare"])].details["latest_snapshot"] is None
    assert collection.stats["api_calls"] > 0


def test_denied_service_becomes_an_error_not_an_empty_list(
    seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.backup.responses import BackupResponse

    def denied(self: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(BackupResponse, "list_backup_plans", denied)
    ctx = _ctx(datetime.now(UTC))
    collection = collect(ctx)
    assert [e.split(":")[0] for e in collection.errors] == ["backup us-east-1 123456789012"]
    assert collection.scopes == []
    assert {s.name for s in collection.records.stores} >= {"orders", "sessions"}
