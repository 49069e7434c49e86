"""Spend from the BigQuery billing export, mapped to FOCUS columns.

One SQL text serves BigQuery (production) and DuckDB (tests, and local copies of the export):
every difference between the two lives in ``ExportDialect`` (``sources/billing/dialect.py``,
with the other engine differences) and nowhere else. The query
reads the standard (``gcp_billing_export_v1_*``) or detailed (``gcp_billing_export_resource_v1_*``)
table, sums cost per day × project × service × region × labels (× resource on request, from a
detailed table), and emits credits as their own ``Credit`` rows, so ``SUM(BilledCost)`` is spend with
credits netted — what a GCP budget with ``INCLUDE_ALL_CREDITS`` compares against.

Rows come back FOCUS-shaped (``FOCUS_COLUMNS``); ``Tags`` is a JSON object of the resource's
labels over its project's labels (the resource's value wins), ready for the shared tag
normalisation of the budgets check. ``x_ServiceId`` (a FOCUS custom column) carries the
export's ``service.id``, which budget service filters name (``services/6F81-5844-456A``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from hygiene.sources.billing.dialect import BIGQUERY_EXPORT, DUCKDB_EXPORT, ExportDialect

TableKind = Literal["standard", "detailed"]
PROVIDER_NAME = "Google Cloud"

FOCUS_COLUMNS: tuple[str, ...] = (
    "ProviderName",
    "BillingAccountId",
    "SubAccountId",
    "SubAccountName",
    "ServiceName",
    "RegionId",
    "ResourceId",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "BillingCurrency",
    "BilledCost",
    "EffectiveCost",
    "Tags",
    "x_ServiceId",
)


#: The export query's spellings live with every other engine difference, in the billing dialects.
BIGQUERY = BIGQUERY_EXPORT
DUCKDB = DUCKDB_EXPORT


_SQL = """\
WITH charges AS (
  SELECT
    billing_account_id AS BillingAccountId,
    project.id AS SubAccountId,
    project.name AS SubAccountName,
    service.description AS ServiceName,
    service.id AS ServiceId,
    location.region AS RegionId,
    {resource_id} AS ResourceId,
    CASE cost_type WHEN 'regular' THEN 'Usage' WHEN 'tax' THEN 'Tax' ELSE 'Adjustment' END
      AS ChargeCategory,
    {day} AS ChargePeriodStart,
    {invoice_month} AS BillingPeriodStart,
    currency AS BillingCurrency,
    {labels} AS Labels,
    {project_labels} AS ProjectLabels,
    CAST(cost AS {numeric}) AS Cost
  FROM {table}
  WHERE usage_start_time >= {start} AND usage_start_time < {end}
  UNION ALL
  SELECT
    billing_account_id,
    project.id,
    project.name,
    service.description,
    service.id,
    location.region,
    {resource_id},
    'Credit',
    {day},
    {invoice_month},
    currency,
    {labels},
    {project_labels},
    CAST(c.amount AS {numeric})
  FROM {table} {unnest_credits}
  WHERE usage_start_time >= {start} AND usage_start_time < {end}
)
SELECT
  BillingAccountId, SubAccountId, SubAccountName, ServiceName, ServiceId, RegionId, ResourceId,
  ChargeCategory, ChargePeriodStart, BillingPeriodStart, BillingCurrency, Labels, ProjectLabels,
  SUM(Cost) AS BilledCost
FROM charges
GROUP BY
  BillingAccountId, SubAccountId, SubAccountName, ServiceName, ServiceId, RegionId, ResourceId,
  ChargeCategory, ChargePeriodStart, BillingPeriodStart, BillingCurrency, Labels, ProjectLabels
ORDER BY ChargePeriodStart, SubAccountId, ServiceName, ChargeCategory, ResourceId, Labels
"""


def table_kind(table: str) -> TableKind:
    """``detailed`` for a ``gcp_billing_export_resource_v1_*`` table, else ``standard``."""
    return "detailed" if "gcp_billing_export_resource_" in table.rsplit(".", 1)[-1] else "standard"


def export_sql(
    dialect: ExportDialect, table: str, kind: TableKind | None = None, by_resource: bool = False
) -> str:
    """The export → FOCUS query for ``table`` in ``dialect`` (parameters ``start``, ``end``).

    ``by_resource`` keeps one row per resource (detailed tables only); budgets and spend need
    none, and leaving it out shrinks the result by orders of magnitude on a large estate.
    """
    kind = kind or table_kind(table)
    return _SQL.format(
        resource_id="resource.global_name"
        if kind == "detailed" and by_resource
        else dialect.null_string,
        day=dialect.day,
        invoice_month=dialect.invoice_month,
        labels=dialect.to_json.format("labels"),
        project_labels=dialect.to_json.format("project.labels"),
        numeric=dialect.numeric,
        table=dialect.table(table),
        unnest_credits=dialect.unnest_credits,
        start=dialect.param.format("start"),
        end=dialect.param.format("end"),
    )


def to_focus(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Query rows → FOCUS rows (pure): Tags merged, periods and EffectiveCost filled in."""
    out = []
    for row in rows:
        start = _utc(row["ChargePeriodStart"])
        billed = _decimal(row["BilledCost"])
        out.append(
            {
                "ProviderName": PROVIDER_NAME,
                "BillingAccountId": row["BillingAccountId"],
                "SubAccountId": row["SubAccountId"],
                "SubAccountName": row["SubAccountName"],
                "ServiceName": row["ServiceName"],
                "RegionId": row["RegionId"],
                "ResourceId": row["ResourceId"],
                "ChargeCategory": row["ChargeCategory"],
                "ChargePeriodStart": start,
                "ChargePeriodEnd": start + timedelta(days=1),
                "BillingPeriodStart": _utc(row["BillingPeriodStart"]),
                "BillingCurrency": row["BillingCurrency"],
                "BilledCost": billed,
                "EffectiveCost": billed,
                "Tags": _tags_json(_key(row.get("ProjectLabels")), _key(row.get("Labels"))),
                "x_ServiceId": row["ServiceId"],
            }
        )
    return out


def query_export(
    client: Any,
    table: str,
    start: datetime,
    end: datetime,
    kind: TableKind | None = None,
    by_resource: bool = False,
) -> list[dict[str, Any]]:
    """Run the query on BigQuery (``client``: ``bigquery.Client``) → FOCUS rows for [start, end)."""
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("start", "TIMESTAMP", start),
            bigquery.ScalarQueryParameter("end", "TIMESTAMP", end),
        ]
    )
    sql = export_sql(BIGQUERY, table, kind, by_resource)
    result = client.query_and_wait(sql, job_config=config)
    return to_focus(dict(row.items()) for row in result)


def query_duckdb(
    connection: Any,
    table: str,
    start: datetime,
    end: datetime,
    kind: TableKind | None = None,
    by_resource: bool = False,
) -> list[dict[str, Any]]:
    """The same query on DuckDB over a table with the export's schema → FOCUS rows."""
    sql = export_sql(DUCKDB, table, kind, by_resource)
    cursor = connection.execute(sql, {"start": start, "end": end})
    names = [d[0] for d in cursor.description]
    return to_focus(dict(zip(names, values, strict=True)) for values in cursor.fetchall())


@lru_cache(maxsize=65536)
def _tags_json(project_labels: str | None, labels: str | None) -> str:
    """Resource labels over project labels as a JSON object (bills repeat few label sets)."""
    return json.dumps({**_pairs(project_labels), **_pairs(labels)}, sort_keys=True)


def _key(value: Any) -> str | None:
    """Label arrays as hashable JSON text (BigQuery and DuckDB already send text)."""
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _pairs(value: Any) -> dict[str, str]:
    """``[{"key": k, "value": v}, …]`` (a JSON string or a list) → ``{k: v}``."""
    if value is None:
        return {}
    items = json.loads(value) if isinstance(value, str) else value
    return {
        str(item["key"]): "" if item.get("value") is None else str(item["value"])
        for item in items or []
    }


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
