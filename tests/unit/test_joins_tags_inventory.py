"""The tags inventory of the spend join keeps no record: each batch is reduced to compact
resources, joined at once when the bill is known and spooled to disk until it is. Whenever the
bill arrives — before the first batch, between two, after the last, or only at the join — the
allocation figures are the same; so are they through the joins stage, and a failure of the
inventory (its spool cannot be written) loses the allocation figures, never the tags check."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hygiene.check_result import CheckResult
from hygiene.checks.tags.rules import evaluate
from hygiene.findings import Finding
from hygiene.joins.spend_resources import (
    SpendResourceJoin,
    TagsInventory,
    allocation_stats,
    spend_resources_stats,
)
from hygiene.joins.stage import JoinStage
from hygiene.policy import Policy, TagsPolicy
from hygiene.records.billing import ResourceCost, ResourceSpend, SpendData
from hygiene.records.cloud import ResourceRecord

AS_OF = datetime(2024, 10, 31, tzinfo=UTC)
KEYS = ("Project", "Owner", "Env")
POLICY = Policy(tags=TagsPolicy(required=list(KEYS)))
A, B = "111111111111", "222222222222"
FULL = {"Project": "checkout", "Owner": "team-payments", "Env": "prod"}


def record(account: str, rtype: str, arn: str, name: str, tags: dict[str, str] | None) -> Any:
    return ResourceRecord("aws", account, "us-east-1", rtype, arn, tags, name=name)


def estate() -> list[list[ResourceRecord]]:
    """Three batches, as the tags check's slices come."""
    return [
        [
            record(A, "ec2:instance", f"arn:aws:ec2:us-east-1:{A}:instance/i-0aaa", "web-1", FULL),
            record(
                A,
                "rds:db",
                f"arn:aws:rds:us-east-1:{A}:db:payments-db",
                "payments-db",
                {"Project": "checkout", "Env": "prod"},
            ),
        ],
        [
            record(A, "s3:bucket", "arn:aws:s3:::logs-bucket", "logs-bucket", {}),
            record(
                A,
                "ec2:instance",
                f"arn:aws:ec2:us-east-1:{A}:instance/i-0bbb",
                "search-1",
                {**FULL, "Owner": "team-search"},
            ),
        ],
        [
            record(
                B,
                "ec2:instance",
                f"arn:aws:ec2:us-east-1:{B}:instance/i-0ccc",
                "etl-1",
                {"Project": "etl", "Owner": "team-data", "Env": "prodution"},
            ),
            record(B, "ec2:instance", f"arn:aws:ec2:us-east-1:{B}:instance/i-0ddd", "", None),
        ],
    ]


def batches() -> list[tuple[list[ResourceRecord], list[Finding]]]:
    return [(batch, evaluate(batch, POLICY, AS_OF)) for batch in estate()]


def cost(resource_id: str | None, amount: int, account: str | None = A, **kw: Any) -> Any:
    tags = kw.pop("tags", dict.fromkeys(KEYS))
    untaggable = kw.pop("untaggable", None)
    value = Decimal(amount)
    return ResourceCost(
        resource_id, "USD", "AWS", account, "EC2", untaggable, tags, value, value, **kw
    )


def bill() -> SpendData:
    costs = [
        cost("i-0aaa", 100),  # its short id, in its account
        cost(f"arn:aws:rds:us-east-1:{A}:db:payments-db", 60, name="payments-db"),
        cost("logs-bucket", 40),
        cost("i-0ccc", 30, B),
        cost("i-0zzz", 10, tags={"Project": "a", "Owner": "b", "Env": None}),  # not in the estate
        cost(None, 15, None, untaggable="support"),
        ResourceCost(None, "USD", "AWS", None, None, None, {}, Decimal(8), Decimal(8), 0, 3, True),
    ]
    return SpendData(tag_keys=KEYS, resources=ResourceSpend(date(2024, 10, 1), 5, costs))


def fed(inventory: TagsInventory, spend: SpendData, bill_at: int | None) -> None:
    """The tags batches into ``inventory`` as the joins stage feeds them, the bill before batch
    ``bill_at`` (None: never, the join alone gets it)."""
    for number, (records, findings) in enumerate(batches()):
        if number == bill_at:
            inventory.bill(spend)
        inventory.see(records)
        inventory.kept(findings)
    if bill_at == len(estate()):
        inventory.bill(spend)


def test_the_join_prices_each_non_compliant_resource() -> None:
    spend = bill()
    assert spend.resources is not None
    stats = spend_resources_stats(spend.resources, POLICY, batches(), tag_keys=KEYS)
    assert (stats["taggable"], stats["compliant"], stats["non_compliant"]) == (
        "248.00",
        "100.00",
        "140.00",
    )
    assert stats["unjudged"] == "8.00" and stats["coverage_by_spend"] == 40.3
    assert stats["coverage_by_count"] == 40.0  # 2 of 5 in scope (i-0ddd's tags are unknown)
    assert stats["judged_by"] == {"bill_tags": "10.00", "inventory": "230.00"}
    assert stats["untagged_by_key"] == {"Project": "40.00", "Owner": "100.00", "Env": "80.00"}
    top = [
        (r["resource_id"], r["missing"], r["rules"], r["resource_type"], r["owner_candidates"])
        for r in stats["top_non_compliant"]
    ]
    assert top == [
        (
            f"arn:aws:rds:us-east-1:{A}:db:payments-db",
            ["Owner"],
            ["missing-tag"],
            "rds:db",
            [{"owner": "team-payments", "source": "name"}],
        ),
        (
            "logs-bucket",
            ["Project", "Owner", "Env"],
            ["missing-tag"],
            "s3:bucket",
            [{"owner": "team-payments", "source": "account"}],
        ),
        (
            "i-0ccc",
            ["Env"],
            ["invalid-tag-value"],
            "ec2:instance",
            [{"owner": "team-data", "source": "resource-tag"}],
        ),
        (
            "i-0zzz",
            ["Env"],
            [],
            None,  # judged by the bill's tags: no type
            [{"owner": "b", "source": "bill-tag"}, {"owner": "team-payments", "source": "account"}],
        ),
    ]


@pytest.mark.parametrize("bill_at", [0, 1, 2, 3, None])
def test_the_bill_may_come_before_between_or_after_the_batches(
    bill_at: int | None, tmp_path: Path
) -> None:
    spend = bill()
    assert spend.resources is not None
    expected = spend_resources_stats(spend.resources, POLICY, batches(), tag_keys=KEYS)
    inventory = TagsInventory(POLICY, spool_dir=str(tmp_path))
    fed(inventory, spend, bill_at)
    waiting = len(estate()) if bill_at is None else 0
    assert inventory.spooled[0] == waiting
    assert allocation_stats(spend, POLICY, inventory) == expected
    assert allocation_stats(spend, POLICY, inventory) == expected  # asked twice, same figures
    assert inventory.spooled == (0, 0, 0)


def test_without_a_policy_the_batches_wait_for_the_join() -> None:
    spend = bill()
    assert spend.resources is not None
    inventory = TagsInventory()
    fed(inventory, spend, 0)  # no policy: the bill cannot start the join yet
    expected = spend_resources_stats(spend.resources, POLICY, batches(), tag_keys=KEYS)
    assert allocation_stats(spend, POLICY, inventory) == expected


def test_no_record_seen_is_no_inventory() -> None:
    inventory = TagsInventory(POLICY)
    inventory.see([])
    inventory.kept([])
    stats = allocation_stats(bill(), POLICY, inventory)
    assert stats is not None and stats["inventory"] is False
    assert stats["coverage_by_count"] is None and stats["judged_by"] == {"bill_tags": "240.00"}


def alive(batch: list[ResourceRecord]) -> Iterator[weakref.ref[ResourceRecord]]:
    return (weakref.ref(r) for r in batch)


@pytest.mark.parametrize("billed", [True, False])
def test_no_record_or_finding_is_kept(billed: bool, tmp_path: Path) -> None:
    spend = bill()
    inventory = TagsInventory(POLICY, spool_dir=str(tmp_path))
    if billed:
        inventory.bill(spend)
    refs = []
    for records, findings in batches():
        refs += [*alive(records), *(weakref.ref(f) for f in findings)]
        inventory.see(records)
        inventory.kept(findings)
        del records, findings
    gc.collect()
    assert refs and [r for r in refs if r() is not None] == []
    batches_, resources, size = inventory.spooled
    if billed:  # joined as they came: only the resources the bill names are held
        assert (batches_, resources, size) == (0, 0, 0)
        join = inventory.join(spend, POLICY)
        assert sorted(r.name for r in join.judged.values()) == [
            "etl-1",
            "logs-bucket",
            "payments-db",
            "web-1",
        ]
    else:  # on disk, in an unnamed file of the spool's folder
        assert (batches_, resources) == (3, 5) and size > 0
        assert list(tmp_path.iterdir()) == []


def test_another_bill_or_policy_is_refused() -> None:
    spend = bill()
    inventory = TagsInventory(POLICY)
    fed(inventory, spend, 0)
    with pytest.raises(ValueError, match="another bill"):
        inventory.join(bill(), POLICY)
    other = Policy(tags=TagsPolicy(required=["Project"]))
    with pytest.raises(ValueError, match="another policy"):
        inventory.join(spend, other)


def test_a_spool_that_cannot_be_written_loses_the_join_not_the_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spend = bill()
    inventory = TagsInventory(POLICY, spool_dir=str(tmp_path / "gone"))
    fed(inventory, spend, 2)  # the first batches go to a spool whose folder does not exist
    assert "the tags inventory for the spend join was lost" in caplog.text
    with pytest.raises(RuntimeError, match="lost: FileNotFoundError"):
        inventory.join(spend, POLICY)


# -- through the joins stage ------------------------------------------------------------------


def run_stage(bill_at: int, tags_status: str = "ok") -> dict[str, Any]:
    """The joins stage of a run of tags and budgets; the budgets check's observer sees the bill
    before the tags batch ``bill_at``."""
    stage = JoinStage(POLICY, ["tags", "budgets"], dict)
    see_tags, see_spend = stage.observer("tags"), stage.observer("budgets")
    assert see_tags is not None and see_spend is not None
    spooled: list[Finding] = []

    def spool(findings: list[Finding]) -> list[Finding]:
        spooled.extend(findings)
        return findings

    sink = stage.sink_for("tags", spool)
    spend = bill()
    for number, batch in enumerate(estate()):
        if number == bill_at:
            see_spend(spend)
        see_tags(batch)
        sink(evaluate(batch, POLICY, AS_OF))
    if bill_at >= len(estate()):
        see_spend(spend)
    budgets = CheckResult("budgets", "ok")
    stage.finish([CheckResult("tags", tags_status), budgets], lambda f: True, spool)  # type: ignore[arg-type]
    assert len(spooled) == 3  # the tags findings went on to the spool, none held
    return dict(budgets.stats["allocation"])


def test_the_stage_joins_whenever_the_bill_comes() -> None:
    spend = bill()
    assert spend.resources is not None
    expected = spend_resources_stats(spend.resources, POLICY, batches(), tag_keys=KEYS)
    for bill_at in range(len(estate()) + 1):
        assert run_stage(bill_at) == expected
    # the tags check failed: the bill's own tags alone
    alone = run_stage(1, "error")
    assert alone == spend_resources_stats(spend.resources, POLICY, tag_keys=KEYS)
    assert alone["judged_by"] == {"bill_tags": "240.00"}


def test_the_index_matches_by_id_by_name_in_the_account_and_by_a_unique_short_id() -> None:
    arn = f"arn:aws:ec2:us-east-1:{A}:instance"
    records = [
        record(A, "ec2:instance", f"{arn}/i-0eee", "", {"Project": "p", "Env": "dev"}),
        record(A, "ec2:instance", f"{arn}/web", "", {"Project": "p", "Env": "dev"}),
        record(A, "ec2:instance", f"{arn}/i-0fff", "", FULL),
        record(A, "ec2:instance", f"{arn}/i-0ggg", "batch-1", {"Env": "dev"}),
    ]
    euro = cost(f"{arn}/i-0fff", 7)
    costs = [
        cost("i-0eee", 5, None),  # no account on the bill: its short id names one resource
        cost("arn:aws:ec2:us-east-1:333333333333:instance/web", 4, None),
        cost("arn:aws:ec2:us-east-1:444444444444:instance/web", 3, None),  # "web": two of them
        cost(f"{arn}/i-0fff", 9),
        ResourceCost(
            euro.resource_id, "EUR", "AWS", A, "EC2", None, euro.tags, Decimal(7), Decimal(7)
        ),
        cost("something-else", 2, name="batch-1"),  # its name, in the record's account
    ]
    spend = ResourceSpend(date(2024, 10, 1), 10, costs)
    stats = spend_resources_stats(spend, POLICY, [(records, evaluate(records, POLICY, AS_OF))])
    assert stats["currency"] == "USD"
    assert stats["judged_by"] == {"bill_tags": "7.00", "inventory": "16.00"}
    by_id = {r["resource_id"]: r for r in stats["top_non_compliant"]}
    assert by_id["i-0eee"]["missing"] == ["Owner"] and by_id["i-0eee"]["judged_by"] == "inventory"
    assert by_id["something-else"]["missing"] == ["Project", "Owner"]
    assert by_id["something-else"]["resource_type"] == "ec2:instance"
    assert {
        by_id[f"arn:aws:ec2:us-east-1:{n}:instance/web"]["judged_by"]
        for n in ("333333333333", "444444444444")
    } == {"bill_tags"}
    assert stats["compliant"] == "9.00"  # i-0fff, judged by the inventory in both currencies
    assert stats["other_currencies"]["EUR"]["coverage_by_spend"] == 100.0
    # the costliest only are described; every one is counted
    assert stats["non_compliant_resources"] == 4
    join = SpendResourceJoin(spend, POLICY, top=2)
    join.add(records, evaluate(records, POLICY, AS_OF))
    top = join.stats()["top_non_compliant"]
    assert [r["resource_id"] for r in top] == [
        "i-0eee",
        "arn:aws:ec2:us-east-1:333333333333:instance/web",
    ]
