"""Billing pushdown to Amazon Athena: ``athena://DATABASE.TABLE?workgroup=…&output=s3://…``.

The spend aggregation of ``billing/sql.py``, rendered for Athena (Trino) by ``dialect.py``, runs
on Athena over a FOCUS table or view (AWS Data Exports' FOCUS 1.0 export, or a FOCUS view over
CUR 2.0); only the aggregated rows come back, through boto3's Athena client (Start/Get calls:
read-only against the billing data). The query is polled until it finishes; a failed or
cancelled query is an error of this source naming Athena's reason.

URL parameters: ``workgroup`` (default ``primary``), ``output`` (an ``s3://`` results location,
needed unless the workgroup sets one), ``region`` (default: the session's), ``catalog``
(default ``AwsDataCatalog``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.sources.billing.dialect import AthenaDialect
from hygiene.sources.billing.model import SpendRow
from hygiene.sources.billing.sql import SpendQuery, spend_sql

log = logging.getLogger(__name__)

DIALECT = AthenaDialect()
SCHEME = "athena://"


@dataclass(frozen=True)
class AthenaSource:
    """Where the FOCUS rows live on Athena, and how to run a query there."""

    database: str
    table: str
    workgroup: str = "primary"
    output: str | None = None
    region: str | None = None
    catalog: str = "AwsDataCatalog"

    @classmethod
    def parse(cls, spec: str) -> AthenaSource:
        """``athena://db.table?workgroup=w&output=s3://b/p&region=r`` → a source."""
        parts = urlsplit(spec)
        name = (parts.netloc + parts.path).strip("/")
        database, _, table = name.partition(".")
        if parts.scheme != "athena" or not database or not table or "." in table:
            raise HygieneError(
                f"billing source {spec!r}: expected athena://DATABASE.TABLE"
                "?workgroup=NAME&output=s3://BUCKET/PREFIX (in billing.sources)"
            )
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(params) - {"workgroup", "output", "region", "catalog"})
        if unknown:
            raise HygieneError(
                f"billing source {spec!r}: unknown parameter(s) {', '.join(unknown)}; "
                "known: workgroup, output, region, catalog"
            )
        return cls(
            database=database,
            table=table,
            workgroup=params.get("workgroup", "primary"),
            output=params.get("output"),
            region=params.get("region"),
            catalog=params.get("catalog", "AwsDataCatalog"),
        )

    @property
    def relation(self) -> str:
        """The table as the query's FROM clause."""
        return f"{DIALECT.ident(self.database)}.{DIALECT.ident(self.table)} AS focus"


def athena_sql(source: AthenaSource, query: SpendQuery, policy: TagsPolicy) -> str:
    """The aggregation query as sent to Athena."""
    return spend_sql(DIALECT, source.relation, query, policy)


def read_athena_spend(
    client: Any,
    source: AthenaSource,
    query: SpendQuery,
    policy: TagsPolicy,
    *,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 1800.0,
) -> list[SpendRow]:
    """Run the aggregation on Athena (``client``: boto3 ``athena``) → spend records."""
    from hygiene.sources.billing_files import to_spend_row

    sql = athena_sql(source, query, policy)
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": source.database, "Catalog": source.catalog},
        "WorkGroup": source.workgroup,
    }
    if source.output:
        request["ResultConfiguration"] = {"OutputLocation": source.output}
    execution_id = client.start_query_execution(**request)["QueryExecutionId"]
    log.info("athena query %s started on %s.%s", execution_id, source.database, source.table)
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"][
            "Status"
        ]
        state = status.get("State")
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason") or state
            raise HygieneError(
                f"billing source athena://{source.database}.{source.table}: query {state.lower()}: {reason}"
            )
        if time.monotonic() >= deadline:
            raise HygieneError(
                f"billing source athena://{source.database}.{source.table}: query {execution_id} "
                f"still {state} after {timeout_seconds:g}s"
            )
        time.sleep(poll_seconds)
    rows: list[SpendRow] = []
    types: list[str] = []
    first = True
    for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
        result = page["ResultSet"]
        if not types:
            types = [
                c.get("Type", "varchar").lower() for c in result["ResultSetMetadata"]["ColumnInfo"]
            ]
        data = result.get("Rows", [])
        if first:  # Athena repeats the header as the first row of the first page
            data = data[1:]
            first = False
        for row in data:
            values = [cell.get("VarCharValue") for cell in row["Data"]]
            rows.append(
                to_spend_row(
                    [_value(v, t) for v, t in zip(values, types, strict=False)], query.tag_keys
                )
            )
    return rows


def _value(text: str | None, kind: str) -> Any:
    """Athena returns every value as text; typed back by its column type."""
    if text is None:
        return None
    if kind == "date":
        return date.fromisoformat(text[:10])
    if kind.startswith("decimal") or kind in ("double", "real", "float"):
        return Decimal(text)
    if kind in ("bigint", "integer", "int", "smallint", "tinyint"):
        return int(text)
    return text
