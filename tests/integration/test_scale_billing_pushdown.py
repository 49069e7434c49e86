"""Billing pushdown: ``athena://`` through boto3's Athena client against moto (queued results),
and a FOCUS table on BigQuery through the real google-cloud-bigquery client against a local
``jobs.query`` endpoint. Both return the same spend table as the same FOCUS data read from files."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
import sqlglot

from hygiene.checks.budgets.collect import read_sources
from hygiene.errors import HygieneError
from hygiene.policy import BillingPolicy, Policy, TagsPolicy
from hygiene.records.billing import SpendRow
from hygiene.sources.billing.athena import AthenaSource, athena_sql
from hygiene.sources.billing.bigquery import bigquery_sql, read_bigquery_spend
from hygiene.sources.billing.dialect import DuckDBDialect
from hygiene.sources.billing.sql import BASE_OUTPUT, SpendQuery, output_columns, spend_sql
from hygiene.sources.billing_files import read_spend

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
SAMPLE = str(REPO / "data" / "focus" / "focus_sample.csv")
KEYS = ("Project", "Owner", "Env")
QUERY = SpendQuery(date(2024, 9, 1), date(2024, 11, 1), datetime(2024, 11, 1), KEYS)
SOURCE = "athena://billing.focus_export?workgroup=primary&output=s3://athena-results/hygiene/"


def from_files(tmp: Path) -> list[SpendRow]:
    return read_spend([SAMPLE], QUERY, TagsPolicy(), cache_dir=tmp)


def athena_cells(row: SpendRow) -> list[str | None]:
    """A spend row as Athena returns it: every value as text, NULL as a missing value."""
    values: list[Any] = [
        row.billing_month,
        row.day,
        row.currency,
        row.provider,
        row.sub_account,
        row.sub_account_name,
        row.service,
        row.category,
        *[row.tags[k] for k in KEYS],
        row.billed_cost,
        row.effective_cost,
        row.line_items,
    ]
    return [
        None if v is None else (v.isoformat() if isinstance(v, date) else str(v)) for v in values
    ]


def athena_types() -> list[str]:
    names = output_columns(KEYS)
    return [
        "date"
        if n in ("billing_month", "charge_day")
        else "decimal"
        if n.endswith("_cost")
        else "bigint"
        if n == "line_items"
        else "varchar"
        for n in names
    ]


def queue_athena_result(endpoint: str, rows: list[SpendRow]) -> None:
    names = output_columns(KEYS)
    header = {"Data": [{"VarCharValue": n} for n in names]}
    data = [
        {"Data": [{} if v is None else {"VarCharValue": v} for v in athena_cells(r)]} for r in rows
    ]
    body = {
        "region": "us-east-1",
        "results": [
            {
                "rows": [header, *data],
                "column_info": [
                    {
                        "Name": n,
                        "Label": n,
                        "Type": t,
                        "CatalogName": "hive",
                        "SchemaName": "",
                        "TableName": "",
                        "Precision": 38 if t == "decimal" else 0,
                        "Scale": 12 if t == "decimal" else 0,
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": t == "varchar",
                    }
                    for n, t in zip(names, athena_types(), strict=True)
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


def test_athena_source_returns_the_spend_table_of_the_files(aws: str, tmp_path: Path) -> None:
    expected = from_files(tmp_path / "cache")
    assert len(expected) > 10
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="athena-results")
    queue_athena_result(aws, expected)
    policy = Policy(billing=BillingPolicy(sources=[SOURCE]))
    data, errors, _stats = read_sources(
        policy.billing.sources,
        policy=policy,
        month=date(2024, 10, 1),
        as_of=datetime(2024, 11, 1),
        tag_keys=KEYS,
        cache_dir=tmp_path,
    )
    assert errors == []
    assert data.rows == expected
    # the SQL Athena received is the budgets' query in the Athena dialect, valid Trino
    athena = boto3.client("athena", region_name="us-east-1")
    executions = athena.list_query_executions()["QueryExecutionIds"]
    assert len(executions) == 1
    sent = athena.get_query_execution(QueryExecutionId=executions[0])["QueryExecution"]
    assert sent["Query"] == athena_sql(AthenaSource.parse(SOURCE), QUERY, TagsPolicy())
    assert sent["QueryExecutionContext"]["Database"] == "billing"
    assert sent["ResultConfiguration"]["OutputLocation"].startswith("s3://athena-results/hygiene/")
    sqlglot.parse_one(sent["Query"], read="trino")


def test_athena_source_urls_are_checked() -> None:
    source = AthenaSource.parse("athena://cur.focus_v1?workgroup=finops&region=eu-west-1")
    assert (source.database, source.table, source.workgroup, source.region, source.output) == (
        "cur",
        "focus_v1",
        "finops",
        "eu-west-1",
        None,
    )
    with pytest.raises(HygieneError, match=r"expected athena://DATABASE\.TABLE"):
        AthenaSource.parse("athena://just_a_table")
    with pytest.raises(HygieneError, match="unknown parameter"):
        AthenaSource.parse("athena://db.t?bucket=x")


# --------------------------------------------------------------------------- BigQuery


class FocusBigQuery:
    """``jobs.query`` on 127.0.0.1: answers exactly the BigQuery spend query by running the same
    query in the DuckDB dialect over the FOCUS sample (any other SQL is a 400)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.queries: list[str] = []
        self.connection = duckdb.connect()
        self.connection.execute(
            f"CREATE TABLE focus_rows AS SELECT * FROM read_csv_auto('{SAMPLE}', all_varchar=true)"
        )

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.queries.append(body.get("query", ""))
        if body.get("query") != bigquery_sql(self.table, QUERY, TagsPolicy()):
            return 400, {
                "error": {"code": 400, "message": "unexpected query", "status": "INVALID_ARGUMENT"}
            }
        from hygiene.sources.billing_files import focus_relation

        relation = focus_relation(self.connection, [SAMPLE], Path("/nonexistent"), None)
        sql = spend_sql(DuckDBDialect(), f"{relation} AS focus", QUERY, TagsPolicy())
        cursor = self.connection.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        kinds = {
            "billing_month": "DATE",
            "charge_day": "DATE",
            "line_items": "INTEGER",
            "billed_cost": "BIGNUMERIC",
            "effective_cost": "BIGNUMERIC",
        }
        return 200, {
            "kind": "bigquery#queryResponse",
            "schema": {
                "fields": [
                    {"name": n, "type": kinds.get(n, "STRING"), "mode": "NULLABLE"} for n in names
                ]
            },
            "jobReference": {"projectId": "p", "jobId": "job_local", "location": "US"},
            "totalRows": str(len(rows)),
            "rows": [{"f": [{"v": None if v is None else str(v)} for v in row]} for row in rows],
            "jobComplete": True,
        }


@pytest.fixture
def bigquery_server() -> Iterator[tuple[str, FocusBigQuery]]:
    fake = FocusBigQuery("billing-prj.finops.focus_v1")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            status, payload = fake.answer(json.loads(self.rfile.read(length) or b"{}"))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", fake
    finally:
        server.shutdown()
        server.server_close()


def test_bigquery_focus_table_returns_the_spend_table_of_the_files(
    bigquery_server: tuple[str, FocusBigQuery], tmp_path: Path
) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    endpoint, fake = bigquery_server
    client = bigquery.Client(
        project="billing-prj",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )
    rows = read_bigquery_spend(client, "billing-prj.finops.focus_v1", QUERY, TagsPolicy())
    assert fake.queries == [bigquery_sql("billing-prj.finops.focus_v1", QUERY, TagsPolicy())]
    assert rows == from_files(tmp_path / "cache")
    sqlglot.parse_one(fake.queries[0], read="bigquery")
    assert "FROM `billing-prj.finops.focus_v1`) AS focus" in fake.queries[0]


def test_only_aggregated_columns_come_back() -> None:
    sql = athena_sql(AthenaSource.parse(SOURCE), QUERY, TagsPolicy())
    select = sqlglot.parse_one(sql, read="trino")
    assert [e.alias_or_name for e in select.expressions] == [
        *BASE_OUTPUT,
        "tag_0",
        "tag_1",
        "tag_2",
        "billed_cost",
        "effective_cost",
        "line_items",
    ]
