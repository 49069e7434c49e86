"""Spend joined to resources on real local parts: a moto-served estate (an EC2 instance tagged in
full, an untagged S3 bucket, an RDS database without its Owner) whose ARNs and ids the FOCUS 1.3
bill names; the tags check's own collector and rules judge the estate, the bill is read by the
budgets check's source reader, and the join prices each non-compliant resource. The same
per-resource query is pushed down to Athena (moto) as Trino text."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import pytest
import sqlglot

from hygiene.checks.budgets.collect import read_sources
from hygiene.checks.tags.collect import collect as collect_tags
from hygiene.checks.tags.rules import ComplianceTally
from hygiene.checks.tags.rules import evaluate as evaluate_tags
from hygiene.context import RunContext
from hygiene.joins.spend_resources import TagsInventory, allocation_stats
from hygiene.policy import AwsPolicy, BillingPolicy, Policy, TagsPolicy
from hygiene.sources.billing.athena import AthenaSource, athena_resource_sql
from hygiene.sources.billing.sql import ResourceQuery, resource_output_columns

pytestmark = [pytest.mark.integration]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "billing" / "focus_1_3.csv"
KEYS = ("Project", "Owner", "Env")
AS_OF = datetime(2024, 10, 31, 12, 0, tzinfo=UTC)
FULL = {"Project": "checkout", "Owner": "team-payments", "Env": "prod"}


def seed() -> str:
    """The estate; returns the instance's id (moto makes it up)."""
    ec2 = boto3.client("ec2", region_name="us-east-1")
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in FULL.items()],
            }
        ],
    )["Instances"][0]["InstanceId"]
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="logs-bucket")
    boto3.client("rds", region_name="us-east-1").create_db_instance(
        DBInstanceIdentifier="payments-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="not-a-secret-1",  # pragma: allowlist secret
        AllocatedStorage=20,
        Tags=[{"Key": "Project", "Value": "checkout"}, {"Key": "Env", "Value": "prod"}],
    )
    return str(instance)


def policy(sources: list[str]) -> Policy:
    return Policy(
        aws=AwsPolicy(regions=["us-east-1"]),
        tags=TagsPolicy(
            required=list(KEYS), resource_types=["ec2:instance", "s3:bucket", "rds:db"]
        ),
        billing=BillingPolicy(sources=sources),
    )


def tags_inventory(chosen: Policy, tmp_path: Path) -> tuple[TagsInventory, ComplianceTally]:
    """The tags check's collector and rules over moto, as the joins stage keeps them."""
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=chosen, cache_dir=tmp_path)
    inventory, tally = TagsInventory(), ComplianceTally(chosen, AS_OF)
    for batch in collect_tags(ctx).record_batches():
        kept = evaluate_tags(batch, chosen, AS_OF)
        inventory.see(batch)
        inventory.kept(kept)
        tally.add(batch, kept)
    return inventory, tally


def test_each_non_compliant_resource_is_priced(aws: str, tmp_path: Path) -> None:
    instance = seed()
    bill = tmp_path / "focus_1_3.csv"
    bill.write_text(FIXTURE.read_text().replace("i-0aaa", instance))
    chosen = policy([str(bill)])
    data, errors, _ = read_sources(
        chosen.billing.sources,
        policy=chosen,
        month=date(2024, 10, 1),
        as_of=AS_OF,
        tag_keys=KEYS,
        cache_dir=tmp_path,
        resource_limit=100,
    )
    assert errors == [] and data.resources is not None
    inventory, tally = tags_inventory(chosen, tmp_path)
    stats = allocation_stats(data, chosen, inventory)
    assert stats is not None
    # the instance's tags are in the inventory, not the bill: compliant by the join
    assert (stats["compliant"], stats["non_compliant"], stats["taggable"]) == (
        "140.00",
        "100.00",
        "240.00",
    )
    assert stats["coverage_by_spend"] == 58.3
    assert stats["coverage_by_spend_effective"] == 54.5  # 120 of 220 amortised
    assert stats["coverage_by_count"] == pytest.approx(tally.stats()["compliance_percent"], 0.1)
    assert stats["judged_by"] == {"bill_tags": "40.00", "inventory": "200.00"}
    assert stats["untagged_by_key"] == {"Project": "40.00", "Owner": "100.00", "Env": "40.00"}
    top = {r["resource_id"]: r for r in stats["top_non_compliant"]}
    assert list(top) == ["arn:aws:rds:us-east-1:123456789012:db:payments-db", "logs-bucket"]
    database = top["arn:aws:rds:us-east-1:123456789012:db:payments-db"]
    assert (database["cost"], database["missing"], database["resource_type"]) == (
        "60.00",
        ["Owner"],
        "rds:db",
    )
    # its name says payments; the account's tagged resources are team-payments'
    assert database["owner_candidates"] == [{"owner": "team-payments", "source": "name"}]
    bucket = top["logs-bucket"]
    assert bucket["missing"] == ["Project", "Owner", "Env"] and bucket["judged_by"] == "inventory"
    assert {"owner": "team-payments", "source": "account"} in bucket["owner_candidates"]
    # without the inventory the bill alone cannot see the instance's tags
    alone = allocation_stats(data, chosen)
    assert alone is not None and alone["coverage_by_spend"] == 16.7


def queue_result(endpoint: str, names: list[str], rows: list[list[str | None]]) -> None:
    types = {"billed_cost": "decimal", "effective_cost": "decimal"}
    ints = {"tail", "line_items", "resources"}
    body = {
        "region": "us-east-1",
        "results": [
            {
                "rows": [
                    {"Data": [{"VarCharValue": n} for n in names]},
                    *[
                        {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                        for row in rows
                    ],
                ],
                "column_info": [
                    {
                        "Name": n,
                        "Label": n,
                        "Type": types.get(n, "integer" if n in ints else "varchar"),
                        "CatalogName": "hive",
                        "SchemaName": "",
                        "TableName": "",
                        "Precision": 38,
                        "Scale": 12 if n in types else 0,
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": False,
                    }
                    for n in names
                ],
            }
        ],
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    assert urllib.request.urlopen(request).status == 201


def test_the_per_resource_query_is_pushed_down_to_athena(aws: str, tmp_path: Path) -> None:
    from hygiene.sources.billing.athena import read_athena_resources

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="athena-results")
    source = AthenaSource.parse("athena://billing.focus?output=s3://athena-results/q/")
    query = ResourceQuery(date(2024, 10, 1), datetime(2024, 11, 1), KEYS, limit=100)
    names = resource_output_columns(KEYS)
    row = ["USD", "logs-bucket", None, "0", "AWS", "123456789012", "Amazon S3", None]
    queue_result(aws, names, [[*row, None, None, None, "40.00", "40.00", "1", "1"]])
    athena = boto3.client("athena", region_name="us-east-1")
    glue = boto3.client("glue", region_name="us-east-1")
    spend = read_athena_resources(athena, source, query, policy([]).tags, glue=glue)
    assert [(c.resource_id, str(c.billed_cost), c.resources) for c in spend.costs] == [
        ("logs-bucket", "40.00", 1)
    ]
    (execution,) = athena.list_query_executions()["QueryExecutionIds"]
    sent = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Query"]
    assert sent == athena_resource_sql(source, query, policy([]).tags)
    sqlglot.parse_one(sent, read="trino", error_level=sqlglot.ErrorLevel.RAISE)


def test_one_audit_of_tags_and_budgets_joins_spend_to_the_inventory(
    aws: str, tmp_path: Path
) -> None:
    # the joins stage of run_audit: the budgets check's stats carry the allocation that the
    # tags check's own records and kept findings give, with nothing wired by hand
    from hygiene.pipeline import run_audit

    instance = seed()
    bill = tmp_path / "focus_1_3.csv"
    bill.write_text(FIXTURE.read_text().replace("i-0aaa", instance))
    chosen = policy([str(bill)])
    run = run_audit(policy=chosen, as_of=AS_OF, only=["tags", "budgets"], cache_dir=tmp_path)
    results = {r.name: r for r in run.results}
    assert (results["tags"].status, results["budgets"].status) == ("ok", "ok")
    allocation = results["budgets"].stats["allocation"]
    assert allocation["coverage_by_spend"] == 58.3  # as the pure join above: judged by inventory
    assert allocation["judged_by"] == {"bill_tags": "40.00", "inventory": "200.00"}
    # budgets alone: the bill's own tags are all the join has
    alone = run_audit(policy=chosen, as_of=AS_OF, only=["budgets"], cache_dir=tmp_path)
    [budgets] = [r for r in alone.results if r.name == "budgets"]
    assert budgets.stats["allocation"]["coverage_by_spend"] == 16.7
