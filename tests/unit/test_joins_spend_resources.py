"""Spend joined to resources, from the bill's side: FOCUS 1.0, 1.2, 1.3 and 1.4 column sets give
one per-resource cost table (Tags ∪ AllocatedTags, ProviderName from HostProviderName in 1.4),
spend that cannot carry tags is labelled apart, coverage by spend for BilledCost and the
amortised EffectiveCost, the limit's tail, and the query is the same text in every engine."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot

from hygiene.joins.spend_resources import short_id, spend_resources_stats
from hygiene.policy import Policy, TagsPolicy
from hygiene.sources.billing.athena import AthenaSource, athena_resource_sql
from hygiene.sources.billing.dialect import DIALECTS
from hygiene.sources.billing.focus import version_of
from hygiene.sources.billing.sql import ResourceQuery, SpendQuery, resource_sql
from hygiene.sources.billing_files import read_resource_costs, read_spend

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "billing"
VERSIONS = ("1_0", "1_2", "1_3", "1_4")
KEYS = ("Project", "Owner", "Env")
POLICY = Policy(tags=TagsPolicy(required=list(KEYS)))
QUERY = ResourceQuery(date(2024, 10, 1), datetime(2024, 11, 1), KEYS, limit=50)
GRAMMAR = {"duckdb": "duckdb", "athena": "trino", "bigquery": "bigquery"}


def costs(version: str, tmp_path: Path, query: ResourceQuery = QUERY):  # type: ignore[no-untyped-def]
    bill = str(FIXTURES / f"focus_{version}.csv")
    return read_resource_costs([bill], query, POLICY.tags, cache_dir=tmp_path)


def test_every_focus_version_gives_the_same_resource_costs(tmp_path: Path) -> None:
    tables = {v: costs(v, tmp_path).costs for v in VERSIONS}
    assert all(table == tables["1_0"] for table in tables.values())
    by_id = {(c.resource_id, c.untaggable): c for c in tables["1_0"]}
    assert set(by_id) == {
        ("i-0aaa", None),
        ("logs-bucket", None),
        ("arn:aws:rds:us-east-1:123456789012:db:payments-db", None),
        ("i-0ddd", None),
        ("arn:aws:eks:us-east-1:123456789012:cluster/shared", None),
        (None, "support"),
        (None, "marketplace"),
        (None, "data-transfer"),
        (None, "tax"),
    }
    # the credit on i-0aaa is no resource's spend; its amortised cost is EffectiveCost
    instance = by_id[("i-0aaa", None)]
    assert (instance.billed_cost, instance.effective_cost) == (Decimal(100), Decimal(80))
    # 1.3 split cost allocation: the target's AllocatedTags complete the resource's Tags
    shared = by_id[("arn:aws:eks:us-east-1:123456789012:cluster/shared", None)]
    assert dict(shared.tags) == {"Project": "search", "Owner": "team-search", "Env": "prod"}
    assert by_id[("arn:aws:rds:us-east-1:123456789012:db:payments-db", None)].name == "payments-db"


def test_spend_rows_read_allocated_tags_and_the_1_4_provider(tmp_path: Path) -> None:
    query = SpendQuery(date(2024, 10, 1), date(2024, 11, 1), datetime(2024, 11, 1), KEYS)
    rows = {
        v: read_spend([str(FIXTURES / f"focus_{v}.csv")], query, POLICY.tags, cache_dir=tmp_path)
        for v in VERSIONS
    }
    assert all(r == rows["1_0"] for r in rows.values())
    assert {r.provider for r in rows["1_4"]} == {"AWS"}  # no ProviderName in 1.4
    assert any(r.tags["Project"] == "search" for r in rows["1_3"])


def test_versions_are_told_apart() -> None:
    header = {
        v: (FIXTURES / f"focus_{v}.csv").read_text().splitlines()[0].split(",") for v in VERSIONS
    }
    assert {v: version_of(h) for v, h in header.items()} == {
        "1_0": "1.0",
        "1_2": "1.2",
        "1_3": "1.3",
        "1_4": "1.4",
    }


def test_coverage_by_spend_from_the_bill_alone(tmp_path: Path) -> None:
    stats = spend_resources_stats(costs("1_3", tmp_path), POLICY, tag_keys=KEYS)
    assert stats["inventory"] is False and stats["coverage_by_count"] is None
    # spend: usage and purchases (tax is a charge apart); taggable: less support, marketplace
    # and data transfer without a resource
    assert (stats["spend"], stats["taggable"]) == ("280.00", "240.00")
    assert (stats["compliant"], stats["non_compliant"]) == ("40.00", "200.00")
    assert stats["coverage_by_spend"] == 16.7  # i-0ddd and the shared cluster: 40 of 240
    assert stats["coverage_by_spend_effective"] == 18.2  # 40 of 220 (i-0aaa amortised to 80)
    assert stats["effective"] == {
        "spend": "260.00",
        "taggable": "220.00",
        "compliant": "40.00",
        "non_compliant": "180.00",
    }
    assert stats["untaggable"] == {
        "data-transfer": {"label": "Data transfer without a resource", "cost": "5.00"},
        "marketplace": {"label": "Marketplace charges without a resource", "cost": "20.00"},
        "support": {"label": "Support plans", "cost": "15.00"},
        "tax": {"label": "Tax", "cost": "7.00"},
    }
    assert stats["untagged_by_key"] == {"Project": "140.00", "Owner": "200.00", "Env": "140.00"}
    assert [(r["resource_id"], r["cost"], r["missing"]) for r in stats["top_non_compliant"]] == [
        ("i-0aaa", "100.00", ["Project", "Owner", "Env"]),
        ("arn:aws:rds:us-east-1:123456789012:db:payments-db", "60.00", ["Owner"]),
        ("logs-bucket", "40.00", ["Project", "Owner", "Env"]),
    ]
    assert stats["judged_by"] == {"bill_tags": "240.00"}


def test_the_limit_sums_the_rest_into_one_tail_row(tmp_path: Path) -> None:
    query = ResourceQuery(QUERY.month, QUERY.before, KEYS, limit=2)
    spend = costs("1_0", tmp_path, query)
    resources = [c for c in spend.costs if c.resource_id is not None]
    assert [c.resource_id for c in resources] == [
        "i-0aaa",
        "arn:aws:rds:us-east-1:123456789012:db:payments-db",
    ]
    (tail,) = [c for c in spend.costs if c.tail]
    assert (tail.resources, tail.billed_cost, tail.resource_id) == (3, Decimal(80), None)
    stats = spend_resources_stats(spend, POLICY, tag_keys=KEYS)
    assert stats["beyond_limit"] == {"resources": 3, "cost": "80.00"}
    assert stats["unjudged"] == "80.00" and stats["taggable"] == "240.00"


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_the_resource_query_parses_in_each_engine(name: str) -> None:
    dialect = DIALECTS[name]
    source = "`billing.focus`" if name == "bigquery" else dialect.ident("focus")
    sql = resource_sql(dialect, source, QUERY, POLICY.tags)
    tree = sqlglot.parse_one(sql, read=GRAMMAR[name], error_level=sqlglot.ErrorLevel.RAISE)
    outputs = [e.alias_or_name for e in tree.expressions]
    assert outputs[:8] == [
        "currency",
        "resource_id",
        "untaggable",
        "tail",
        "provider",
        "sub_account",
        "service",
        "resource_name",
    ]
    assert outputs[-4:] == ["billed_cost", "effective_cost", "line_items", "resources"]


def test_duckdb_and_athena_differ_only_in_the_tag_lookup() -> None:
    duck = resource_sql(DIALECTS["duckdb"], "focus", QUERY, POLICY.tags).splitlines()
    athena = resource_sql(DIALECTS["athena"], "focus", QUERY, POLICY.tags).splitlines()
    differing = [(d, a) for d, a in zip(duck, athena, strict=True) if d != a]
    assert len(duck) == len(athena)
    assert [d.split("(")[0].strip() for d, _ in differing] == [
        "SELECT tags, allocated_tags, CAST",
        "SELECT tags, allocated_tags, COALESCE",
    ]
    # what Athena receives for a FOCUS table is that text over the table's FOCUS columns
    sent = athena_resource_sql(AthenaSource.parse("athena://billing.focus"), QUERY, POLICY.tags)
    sqlglot.parse_one(sent, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    assert sent.splitlines()[-10:] == athena[-10:]


@pytest.mark.parametrize(
    ("resource_id", "short"),
    [
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", "i-0abc"),
        ("arn:aws:s3:::logs-bucket", "logs-bucket"),
        ("arn:aws:rds:us-east-1:123456789012:db:payments-db", "payments-db"),
        ("i-0abc", "i-0abc"),
        ("//compute.googleapis.com/projects/p/zones/z/instances/web-1", "web-1"),
    ],
)
def test_short_ids(resource_id: str, short: str) -> None:
    assert short_id(resource_id) == short
