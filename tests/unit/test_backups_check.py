"""The backups evaluator on plain records: schedules, selection semantics, tiers and RPO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hygiene.checks.backups.rules import (
    evaluate,
    schedule_interval_minutes,
    selection_covers,
    tier_of,
)
from hygiene.policy import BackupsPolicy, Policy
from hygiene.records.backups import (
    BackupInventory,
    BackupPlan,
    BackupRule,
    BackupSelection,
    DataStore,
    TagCondition,
)

AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ARN = "arn:aws:dynamodb:eu-west-1:111111111111:table/orders"


def store(**kw: object) -> DataStore:
    fields: dict[str, object] = {
        "provider": "aws",
        "account": "111111111111",
        "region": "eu-west-1",
        "kind": "dynamodb:table",
        "resource_id": ARN,
        "name": "orders",
        "tags": {"Env": "prod"},
        "pitr_enabled": True,
    }
    fields.update(kw)
    return DataStore(**fields)  # type: ignore[arg-type]


def plan(schedule: str, days: int | None, *selections: BackupSelection, **kw: object) -> BackupPlan:
    fields: dict[str, object] = {
        "provider": "aws",
        "account": "111111111111",
        "region": "eu-west-1",
        "plan_id": "p1",
        "arn": "arn:aws:backup:eu-west-1:111111111111:backup-plan:p1",
        "name": "p1",
        "rules": (BackupRule("r", schedule, days),),
        "selections": selections,
    }
    fields.update(kw)
    return BackupPlan(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expression", "minutes"),
    [
        ("cron(0 5 ? * * *)", 1440),
        ("cron(0 */4 * * ? *)", 240),
        ("cron(0 * * * ? *)", 60),
        ("cron(0 5,17 ? * * *)", 720),
        ("cron(0 5 ? * SUN *)", 10080),
        ("cron(0 5 ? * MON-FRI *)", 4320),
        ("cron(0 5 ? * 2,5 *)", 5760),
        ("cron(0 1,7 ? * * *)", 1080),
        ("cron(0 5 1 * ? *)", 44640),
        ("rate(12 hours)", 720),
        ("rate(1 day)", 1440),
        ("", None),
        ("cron(bad)", None),
    ],
)
def test_schedule_interval(expression: str, minutes: int | None) -> None:
    assert schedule_interval_minutes(expression) == minutes


def test_selection_semantics() -> None:
    s = store(tags={"Env": "prod", "Backup": "daily"})
    eq = TagCondition("StringEquals", "Env", "prod")
    assert selection_covers(BackupSelection("all"), s)
    assert selection_covers(BackupSelection("arn", resources=("arn:aws:dynamodb:*:*:table/*",)), s)
    assert not selection_covers(BackupSelection("rds", resources=("arn:aws:rds:*",)), s)
    assert selection_covers(
        BackupSelection(
            "rds-or-tag",
            resources=("arn:aws:rds:*",),
            list_of_tags=(TagCondition("STRINGEQUALS", "Backup", "daily"),),
        ),
        s,
    )
    assert selection_covers(BackupSelection("cond", resources=("*",), conditions=(eq,)), s)
    assert not selection_covers(
        BackupSelection("cond-and", conditions=(eq, TagCondition("StringEquals", "Team", "x"))), s
    )
    assert not selection_covers(BackupSelection("not", resources=("*",), not_resources=(ARN,)), s)
    assert selection_covers(
        BackupSelection("like", conditions=(TagCondition("StringLike", "Env", "pr*"),)), s
    )
    assert not selection_covers(
        BackupSelection("notlike", conditions=(TagCondition("StringNotLike", "Env", "pr*"),)), s
    )


def test_tier_parsing() -> None:
    policy = BackupsPolicy()
    assert tier_of(store(tags={"Tier": "tier-1"}), policy) == ("1", 5)
    assert tier_of(store(tags={"tier": "2"}), policy) == ("2", 60)
    assert tier_of(store(tags={}), policy) == (None, 1440)
    assert tier_of(store(tags={"Tier": "gold"}), policy) == (None, 1440)


def rules_of(inventory: BackupInventory) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in evaluate(inventory, Policy(), AS_OF)}


def test_protected_table_in_daily_plan_is_clean() -> None:
    good = plan("cron(0 5 ? * * *)", 30, BackupSelection("all"))
    assert rules_of(BackupInventory(stores=[store()], plans=[good])) == set()


def test_plan_in_another_region_does_not_cover() -> None:
    elsewhere = plan("cron(0 5 ? * * *)", 30, BackupSelection("all"), region="us-east-1")
    assert rules_of(BackupInventory(stores=[store()], plans=[elsewhere])) == {
        ("not-in-backup-plan", ARN)
    }


def test_tier1_table_without_pitr_in_daily_plan_exceeds_rpo() -> None:
    daily = plan("cron(0 5 ? * * *)", 30, BackupSelection("all"))
    table = store(pitr_enabled=False, tags={"Env": "prod", "Tier": "1"})
    findings = evaluate(BackupInventory(stores=[table], plans=[daily]), Policy(), AS_OF)
    assert {f.rule for f in findings} == {"pitr-disabled", "rpo-exceeds-tier"}
    rpo = next(f for f in findings if f.rule == "rpo-exceeds-tier")
    assert (rpo.details["implied_rpo_minutes"], rpo.details["tier_rpo_minutes"]) == (1440, 5)
    assert rpo.severity.value == "high"


def test_plan_with_forever_retention_and_continuous_rule_is_fine() -> None:
    p = plan("", None, rules=(BackupRule("c", "", None, continuous=True),))
    assert rules_of(BackupInventory(plans=[p])) == set()


def test_ebs_snapshot_age_and_env() -> None:
    vol = "arn:aws:ec2:eu-west-1:111111111111:volume/vol-1"
    fresh = store(
        kind="ebs:volume",
        resource_id=vol,
        pitr_enabled=None,
        latest_snapshot=AS_OF - timedelta(hours=3),
    )
    stale = store(
        kind="ebs:volume",
        resource_id=vol + "2",
        pitr_enabled=None,
        latest_snapshot=AS_OF - timedelta(hours=30),
    )
    dev = store(kind="ebs:volume", resource_id=vol + "3", pitr_enabled=None, tags={"Env": "dev"})
    via_instance = store(
        kind="ebs:volume",
        resource_id=vol + "4",
        pitr_enabled=None,
        tags={},
        attached_tags={"environment": "Production"},
    )
    findings = evaluate(BackupInventory(stores=[fresh, stale, dev, via_instance]), Policy(), AS_OF)
    assert {(f.rule, f.resource) for f in findings} == {
        ("volume-not-backed-up", vol + "2"),
        ("rpo-exceeds-tier", vol + "2"),
        ("volume-not-backed-up", vol + "4"),
    }
    assert (
        next(
            f for f in findings if f.rule == "volume-not-backed-up" and f.resource == vol + "2"
        ).details["snapshot_age_hours"]
        == 30.0
    )


def test_rds_retention_and_ids_are_stable() -> None:
    db = store(
        kind="rds:db", resource_id="arn:aws:rds:eu-west-1:111111111111:db:a", retention_days=7
    )
    first = evaluate(BackupInventory(stores=[db]), Policy(), AS_OF)
    later = evaluate(BackupInventory(stores=[db]), Policy(), AS_OF + timedelta(days=3))
    assert {f.rule for f in first} == {"retention-too-short", "not-in-backup-plan"}
    assert [f.id for f in first] == [f.id for f in later]
    assert all(f.details["account"] == "111111111111" for f in first)
