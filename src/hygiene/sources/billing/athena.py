"""Billing pushdown to Amazon Athena: ``athena://DATABASE.TABLE?workgroup=…&output=s3://…``.

The spend aggregation of ``billing/sql.py``, rendered for Athena (Trino) by ``dialect.py``, runs
on Athena; only the aggregated rows come back, through boto3's Athena client (Start/Get calls:
read-only against the billing data). The table is, by ``schema=``:

* ``focus`` (the default) — a FOCUS table or view (AWS Data Exports' FOCUS 1.0 export, or a FOCUS
  view over CUR 2.0), queried as it is;
* ``cur2`` — a raw AWS CUR 2.0 table (Data Exports' "CUR 2.0" schema). Its columns and types are
  read first from the Glue Data Catalog (``glue:GetTable``, which Athena needs anyway to query
  it), and the query reads it through the CUR 2.0 → FOCUS mapping of ``billing/cur.py`` — the
  one the file reader uses — so the table gives the same spend rows as the same CUR 2.0 data read
  from files: the same categories for tax, credits, refunds, discounts and fees, the same
  effective cost, ``resource_tags`` without the ``user_`` prefix, the same tag normalisation.
  Optional columns the table lacks are NULL as in the files; a table without the required ones
  is an error before any query is started.

The query is polled until it finishes; a failed or cancelled query is an error of this source
naming Athena's reason.

URL parameters: ``schema`` (``focus`` or ``cur2``), ``workgroup`` (default ``primary``),
``output`` (an ``s3://`` results location, needed unless the workgroup sets one), ``region``
(default: the session's), ``catalog`` (default ``AwsDataCatalog``; ``cur2`` needs it, since the
columns come from Glue).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, cast
from urllib.parse import parse_qs, urlsplit

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import FOCUS_COLUMNS, ResourceSpend, SpendRow
from hygiene.sources.billing.cur import Columns, CurColumnsMissing, cur2_select, select
from hygiene.sources.billing.dialect import AthenaDialect, Dialect
from hygiene.sources.billing.focus import FocusColumnsMissing, assumed_columns, focus_columns_exprs
from hygiene.sources.billing.sql import ResourceQuery, SpendQuery, resource_sql, spend_sql

log = logging.getLogger(__name__)

DIALECT = AthenaDialect()
SCHEME = "athena://"
DEFAULT_CATALOG = "AwsDataCatalog"
Schema = Literal["focus", "cur2"]
#: ``schema=`` values, with what they mean (for error messages).
SCHEMAS: dict[str, str] = {
    "focus": "a FOCUS table or view, the default",
    "cur2": "a raw AWS CUR 2.0 table",
}
PARAMETERS = ("schema", "workgroup", "output", "region", "catalog")


@dataclass(frozen=True)
class AthenaSource:
    """Where the billing rows live on Athena, in which schema, and how to run a query there."""

    database: str
    table: str
    workgroup: str = "primary"
    output: str | None = None
    region: str | None = None
    catalog: str = DEFAULT_CATALOG
    schema: Schema = "focus"

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
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            raise HygieneError(
                f"billing source {spec!r}: unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(PARAMETERS)}"
            )
        schema = params.get("schema", "focus")
        if schema not in SCHEMAS:
            known = "; ".join(f"{name} ({meaning})" for name, meaning in SCHEMAS.items())
            raise HygieneError(
                f"billing source {spec!r}: unknown schema {schema!r}; known: {known}"
            )
        catalog = params.get("catalog", DEFAULT_CATALOG)
        if schema == "cur2" and catalog != DEFAULT_CATALOG:
            raise HygieneError(
                f"billing source {spec!r}: schema=cur2 reads the table's columns from the Glue "
                f"Data Catalog, so it needs catalog={DEFAULT_CATALOG} (got {catalog!r})"
            )
        return cls(
            database=database,
            table=table,
            workgroup=params.get("workgroup", "primary"),
            output=params.get("output"),
            region=params.get("region"),
            catalog=catalog,
            schema=cast(Schema, schema),  # one of SCHEMAS, checked above
        )

    @property
    def name(self) -> str:
        """``athena://DATABASE.TABLE``, for messages."""
        return f"{SCHEME}{self.database}.{self.table}"


def table_columns(glue: Any, source: AthenaSource) -> dict[str, str]:
    """Column name → type of the table in the Glue Data Catalog (``glue``: boto3 ``glue``),
    partition keys included; names lower-cased, as Athena resolves them."""
    from botocore.exceptions import ClientError

    try:
        table = glue.get_table(DatabaseName=source.database, Name=source.table)["Table"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise HygieneError(
            f"billing source {source.name}: cannot read the table's columns from the Glue Data "
            f"Catalog (glue:GetTable): {error.get('Code', 'error')}: {error.get('Message', exc)}"
        ) from None
    found = [
        *(table.get("StorageDescriptor") or {}).get("Columns", []),
        *table.get("PartitionKeys", []),
    ]
    return {str(c["Name"]).lower(): str(c.get("Type", "string")) for c in found}


def athena_relation(
    source: AthenaSource, columns: Mapping[str, str] | None = None, dialect: Dialect = DIALECT
) -> str:
    """The query's FROM clause: the table itself (FOCUS), or its CUR 2.0 → FOCUS mapping over the
    table's ``columns`` (name → Glue type). ``dialect``: another engine's spelling (tests run
    the DuckDB one over a table of the same name and types)."""
    table = f"{dialect.ident(source.database)}.{dialect.ident(source.table)}"
    if source.schema == "focus":
        return f"({focus_table_select(source, table, columns, dialect)}) AS focus"
    if columns is None:
        raise ValueError("schema=cur2 needs the table's columns (table_columns)")
    # kinds from Glue's type names, whatever engine the text is spelled for
    typed = Columns(dialect, {name: DIALECT.column_kind(kind) for name, kind in columns.items()})
    try:
        mapped = cur2_select(typed, table)
    except CurColumnsMissing as exc:
        hint = " (a FOCUS table needs no schema=)" if "billedcost" in columns else ""
        raise HygieneError(
            f"billing source {source.name}?schema=cur2: not a CUR 2.0 table: {exc}{hint}"
        ) from None
    return f"({mapped}) AS focus"


def focus_table_select(
    source: AthenaSource, table: str, columns: Mapping[str, str] | None, dialect: Dialect
) -> str:
    """The FOCUS model columns of a FOCUS table (1.0–1.4, ``columns``: Glue's, lower-cased);
    without ``columns`` the table is taken for FOCUS 1.0, each column cast."""
    if columns is None:
        typed = assumed_columns(dialect)
    else:  # Athena resolves names case-insensitively; Glue stores them lower-cased
        known = {name.lower(): name for name in FOCUS_COLUMNS}
        typed = Columns(
            dialect,
            {known.get(name, name): DIALECT.column_kind(kind) for name, kind in columns.items()},
        )
    try:
        return select(typed, focus_columns_exprs(typed), table)
    except FocusColumnsMissing as exc:
        raise HygieneError(f"billing source {source.name}: {exc}") from None


def read_columns(glue: Any, source: AthenaSource) -> dict[str, str] | None:
    """The table's columns from Glue; for a FOCUS table that Glue cannot describe (another
    catalog, no glue:GetTable), None: it is then read as FOCUS 1.0."""
    if glue is None:
        if source.schema == "cur2":
            raise ValueError("schema=cur2 needs a glue client")
        return None
    try:
        return table_columns(glue, source)
    except HygieneError as exc:
        if source.schema == "cur2":
            raise
        log.warning("%s; reading it as a FOCUS 1.0 table", exc)
        return None


def athena_sql(
    source: AthenaSource,
    query: SpendQuery,
    policy: TagsPolicy,
    columns: Mapping[str, str] | None = None,
    dialect: Dialect = DIALECT,
) -> str:
    """The aggregation query as sent to Athena (``columns``: the table's, for ``cur2``)."""
    return spend_sql(dialect, athena_relation(source, columns, dialect), query, policy)


def athena_resource_sql(
    source: AthenaSource,
    query: ResourceQuery,
    policy: TagsPolicy,
    columns: Mapping[str, str] | None = None,
    dialect: Dialect = DIALECT,
) -> str:
    """The per-resource cost query as sent to Athena."""
    return resource_sql(dialect, athena_relation(source, columns, dialect), query, policy)


def read_athena_spend(
    client: Any,
    source: AthenaSource,
    query: SpendQuery,
    policy: TagsPolicy,
    *,
    glue: Any = None,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 1800.0,
) -> list[SpendRow]:
    """Run the aggregation on Athena (``client``: boto3 ``athena``; ``glue``: boto3 ``glue``,
    needed for ``schema=cur2``; for a FOCUS table it tells which FOCUS version's columns the
    table has) → spend records."""
    from hygiene.sources.billing_files import to_spend_row

    sql = athena_sql(source, query, policy, read_columns(glue, source))
    rows = run_query(client, source, sql, poll_seconds, timeout_seconds)
    return [to_spend_row(row, query.tag_keys) for row in rows]


def read_athena_resources(
    client: Any,
    source: AthenaSource,
    query: ResourceQuery,
    policy: TagsPolicy,
    *,
    glue: Any = None,
    poll_seconds: float = 0.5,
    timeout_seconds: float = 1800.0,
) -> ResourceSpend:
    """Run the per-resource cost query on Athena → the month's :class:`ResourceSpend`."""
    from hygiene.sources.billing_files import resource_spend

    sql = athena_resource_sql(source, query, policy, read_columns(glue, source))
    return resource_spend(run_query(client, source, sql, poll_seconds, timeout_seconds), query)


def run_query(
    client: Any, source: AthenaSource, sql: str, poll_seconds: float, timeout_seconds: float
) -> list[list[Any]]:
    """Start ``sql`` on Athena, wait for it, and return its rows typed by their columns."""
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": source.database, "Catalog": source.catalog},
        "WorkGroup": source.workgroup,
    }
    if source.output:
        request["ResultConfiguration"] = {"OutputLocation": source.output}
    execution_id = client.start_query_execution(**request)["QueryExecutionId"]
    log.info("athena query %s started on %s (%s)", execution_id, source.name, source.schema)
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
            raise HygieneError(f"billing source {source.name}: query {state.lower()}: {reason}")
        if time.monotonic() >= deadline:
            raise HygieneError(
                f"billing source {source.name}: query {execution_id} "
                f"still {state} after {timeout_seconds:g}s"
            )
        time.sleep(poll_seconds)
    rows: list[list[Any]] = []
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
            rows.append([_value(v, t) for v, t in zip(values, types, strict=False)])
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
