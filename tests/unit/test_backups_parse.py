"""The AWS Backup responses' pure transforms, on recorded response shapes."""

from __future__ import annotations

import json
from pathlib import Path

from hygiene.checks.backups.rules import selection_covers
from hygiene.records.backups import BackupRule, DataStore, TagCondition
from hygiene.sources.aws.backups import backup_bucket_matcher, parse_rules, parse_selection

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backups"


def test_parse_selection() -> None:
    raw = json.loads((FIXTURES / "get_backup_selection.json").read_text())["BackupSelection"]
    selection = parse_selection(raw)
    assert selection.name == "prod-databases"
    assert selection.resources == ("arn:aws:rds:*:*:db:*", "arn:aws:dynamodb:*:*:table/*")
    assert selection.not_resources == ("arn:aws:rds:eu-west-1:111122223333:db:scratch",)
    assert selection.list_of_tags == (TagCondition("STRINGEQUALS", "backup", "daily"),)
    assert selection.conditions == (
        TagCondition("StringEquals", "Env", "prod"),
        TagCondition("StringLike", "Project", "shop*"),
    )

    def db(name: str, **tags: str) -> DataStore:
        return DataStore(
            "aws",
            "111122223333",
            "eu-west-1",
            "rds:db",
            f"arn:aws:rds:eu-west-1:111122223333:db:{name}",
            name,
            tags=tags,
        )

    assert selection_covers(selection, db("orders", Env="prod", Project="shop-api"))
    assert not selection_covers(selection, db("scratch", Env="prod", Project="shop-api"))
    assert not selection_covers(selection, db("orders", Env="dev", Project="shop-api"))
    assert not selection_covers(selection, db("orders", Env="prod", Project="search"))


def test_parse_rules() -> None:
    raw = json.loads((FIXTURES / "get_backup_plan.json").read_text())["BackupPlan"]
    assert parse_rules(raw) == (
        BackupRule("nightly", "cron(0 5 ? * * *)", 35),
        BackupRule("continuous", "", 14, continuous=True),
        BackupRule("monthly-forever", "cron(0 5 1 * ? *)", None),
    )


def test_backup_bucket_matcher() -> None:
    matches = backup_bucket_matcher(["*backup*", "vault-*"])
    assert matches("acme-db-backups", {})
    assert matches("vault-eu", {})
    assert matches("archive", {"purpose": "Backups"})
    assert not matches("website", {"Purpose": "static"})
