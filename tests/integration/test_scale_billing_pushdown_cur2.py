"""Billing pushdown over a raw AWS CUR 2.0 table: ``athena://DB.TABLE?schema=cur2``.

The query Athena gets, spelled for DuckDB instead (only the ``Dialect`` pieces differ, see
tests/unit/test_budgets_cur_sql.py), runs on DuckDB over a table with the CUR 2.0 columns and
types Athena would see, and returns exactly the spend table of the same CUR 2.0 data read by the
file reader; the Athena text parses as Trino and as Athena's grammar (sqlglot); and the source
goes through boto3 against moto — the table's columns from moto's Glue, the query to moto's
Athena, whose queued result is what DuckDB returned for that query."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import boto3
import duckdb
import pytest
import sqlglot

from hygiene.checks.budgets.collect import read_sources
from hygiene.checks.budgets.spend import as_of_cutoff
from hygiene.errors import HygieneError
from hygiene.policy import BillingPolicy, Policy, TagsPolicy
from hygiene.records.billing import SpendRow
from hygiene.sources.billing.athena import AthenaSource, athena_sql
from hygiene.sources.billing.dialect import DuckDBDialect
from hygiene.sources.billing.sql import BASE_OUTPUT, SpendQuery
from hygiene.sources.billing_files import read_spend, to_spend_row
from tests.conftest import run_cli
from tests.fixtures.scale import cur2
from tests.integration.test_scale_billing_pushdown import KEYS, queue_athena_result

pytestmark = [pytest.mark.integration]

SOURCE = "athena://billing.cur2?schema=cur2&output=s3://athena-results/hygiene/"
QUERY = SpendQuery(date(2024, 9, 1), date(2024, 11, 1), as_of_cutoff(cur2.AS_OF), KEYS)
# A policy with more to normalise than the default: an extra alias and a value alias.
POLICY = TagsPolicy(
    key_aliases={
        "Project": ["project", "PROJECT", "project_name", "ProjectName"],
        "Owner": ["owner", "OWNER", "team", "Team"],
        "Env": ["env", "ENV", "Environment", "environment", "stage", "Stage"],
    },
    value_aliases={"Env": {"production": "prod", "stg": "staging", "qa": "staging"}},
)
FORMATS = {
    "parquet": (cur2.write_parquet, cur2.PARQUET_TYPES),
    "csv": (cur2.write_csv, cur2.CSV_TYPES),
}


def bill(tmp: Path, fmt: str) -> Path:
    write, _types = FORMATS[fmt]
    return write(tmp / f"cur2.{fmt}")


def duckdb_rows(path: Path, columns: dict[str, str], policy: TagsPolicy) -> list[SpendRow]:
    """The Athena query, spelled for DuckDB, over ``billing.cur2`` holding the bill."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    cur2.load_table(connection, path)
    source = AthenaSource.parse(SOURCE)
    sql = athena_sql(source, QUERY, policy, columns, dialect=DuckDBDialect())
    return [to_spend_row(row, KEYS) for row in connection.execute(sql).fetchall()]


def totals(rows: list[SpendRow]) -> dict[str, tuple[Decimal, Decimal]]:
    out: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r in rows:
        if r.billing_month == date(2024, 9, 1) and r.currency == "USD":
            out[r.kind][0] += r.billed_cost
            out[r.kind][1] += r.effective_cost
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("policy", [TagsPolicy(), POLICY], ids=["default-tags", "aliases"])
def test_cur2_query_on_duckdb_gives_the_file_readers_spend_table(
    tmp_path: Path, fmt: str, policy: TagsPolicy
) -> None:
    path = bill(tmp_path, fmt)
    expected = read_spend([str(path)], QUERY, policy, cache_dir=tmp_path / "cache")
    assert len(expected) == 16
    assert duckdb_rows(path, FORMATS[fmt][1], policy) == expected
    # and both are right: tax, credits (refunds, discounts), fees and effective cost by hand
    assert totals(expected) == {
        kind: (Decimal(billed), Decimal(effective))
        for kind, (billed, effective) in cur2.SEPTEMBER_USD.items()
    }
    checkout = [r for r in expected if r.tags["Project"] == "checkout" and r.currency == "USD"]
    assert {(r.tags["Owner"], r.tags["Env"]) for r in checkout} == {("team-a", "prod")}
    search = {(r.tags["Owner"], r.tags["Env"]) for r in expected if r.tags["Project"] == "search"}
    assert search == {("team-b", "staging")}  # user_team → Owner, user_Environment stg → staging
    assert {r.day for r in expected if r.billing_month == date(2024, 10, 1)} == {
        date(2024, 10, 1),
        date(2024, 10, 19),  # the charge of 2024-10-20 00:00 is after as_of
    }


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_cur2_athena_text_parses_as_trino_and_athena(fmt: str) -> None:
    sql = athena_sql(AthenaSource.parse(SOURCE), QUERY, POLICY, FORMATS[fmt][1])
    for grammar in ("trino", "athena"):
        tree = sqlglot.parse_one(sql, read=grammar, error_level=sqlglot.ErrorLevel.RAISE)
        assert [e.alias_or_name for e in tree.expressions] == [
            *BASE_OUTPUT,
            "tag_0",
            "tag_1",
            "tag_2",
            "billed_cost",
            "effective_cost",
            "line_items",
        ]
        tables = {(t.db, t.name) for t in tree.find_all(sqlglot.exp.Table)}
        assert ("billing", "cur2") in tables
    assert "transform_keys(" in sql and "json_format(CAST(" in sql
    if fmt == "csv":
        assert "from_iso8601_timestamp(" in sql and "json_parse(NULLIF(" in sql


def glue_table(columns: dict[str, str], name: str = "cur2") -> None:
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": "billing"})
    glue.create_table(
        DatabaseName="billing",
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in columns.items()],
                "Location": "s3://billing-exports/cur2/data/",
            },
            "PartitionKeys": cur2.PARTITION_KEYS,
        },
    )


def read(source: str, tmp: Path) -> tuple[list[SpendRow], list[str]]:
    policy = Policy(billing=BillingPolicy(sources=[source]), tags=POLICY)
    data, errors, _stats = read_sources(
        policy.billing.sources,
        policy=policy,
        month=date(2024, 10, 1),
        as_of=cur2.AS_OF,
        tag_keys=KEYS,
        cache_dir=tmp,
    )
    return data.rows, errors


def started_queries() -> list[str]:
    athena = boto3.client("athena", region_name="us-east-1")
    return athena.list_query_executions()["QueryExecutionIds"]


def test_athena_cur2_source_returns_the_spend_table_of_the_files(aws: str, tmp_path: Path) -> None:
    path = bill(tmp_path, "parquet")
    expected = read_spend([str(path)], QUERY, POLICY, cache_dir=tmp_path / "cache")
    glue_table(cur2.PARQUET_TYPES)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="athena-results")
    glue_columns = {**cur2.PARQUET_TYPES, "billing_period": "string"}
    queue_athena_result(aws, duckdb_rows(path, glue_columns, POLICY))

    rows, errors = read(SOURCE, tmp_path)

    assert errors == []
    assert rows == expected
    (execution,) = started_queries()
    athena = boto3.client("athena", region_name="us-east-1")
    sent = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
    # the query was built from the table's columns as Glue lists them (partition key included)
    assert sent["Query"] == athena_sql(AthenaSource.parse(SOURCE), QUERY, POLICY, glue_columns)
    assert sent["QueryExecutionContext"]["Database"] == "billing"
    sqlglot.parse_one(sent["Query"], read="trino", error_level=sqlglot.ErrorLevel.RAISE)


def test_athena_cur2_needs_a_cur2_table_and_says_so_before_querying(
    aws: str, tmp_path: Path
) -> None:
    focus = dict.fromkeys(["billedcost", "effectivecost", "billingcurrency", "tags"], "string")
    glue_table(focus, name="focus_v1")
    _rows, errors = read("athena://billing.focus_v1?schema=cur2", tmp_path)
    assert errors == [
        "billing source athena://billing.focus_v1?schema=cur2: not a CUR 2.0 table: CUR columns "
        "missing: line_item_unblended_cost, line_item_currency_code, line_item_usage_start_date, "
        "line_item_usage_end_date, bill_billing_period_start_date, line_item_line_item_type "
        "(a FOCUS table needs no schema=)"
    ]
    _rows, errors = read("athena://billing.nowhere?schema=cur2", tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith(
        "billing source athena://billing.nowhere: cannot read the table's columns from the Glue "
        "Data Catalog (glue:GetTable): EntityNotFoundException"
    )
    assert started_queries() == []  # nothing billed


def test_an_unknown_schema_is_a_clear_error(tmp_path: Path) -> None:
    source = "athena://billing.cur2?schema=cur"
    with pytest.raises(HygieneError) as raised:
        AthenaSource.parse(source)
    message = str(raised.value)
    assert message == (
        "billing source 'athena://billing.cur2?schema=cur': unknown schema 'cur'; known: "
        "focus (a FOCUS table or view, the default); cur2 (a raw AWS CUR 2.0 table)"
    )
    assert AthenaSource.parse("athena://billing.cur2").schema == "focus"
    with pytest.raises(HygieneError, match="needs catalog=AwsDataCatalog"):
        AthenaSource.parse("athena://billing.cur2?schema=cur2&catalog=hive")
    # the CLI: a usage error (exit 2) naming the source, before any AWS call
    result = run_cli("spend", "--source", source, "--month", "2024-09", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
