"""Billing pushdown to BigQuery for FOCUS tables and views: the aggregation of ``billing/sql.py``
rendered for BigQuery (``dialect.py``) runs there and only the aggregated rows come back.

(The raw GCP billing export keeps its own reader, ``sources/gcp/billing_export.py``; a FOCUS view
over the export — Google publishes one — is read here.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import FOCUS_COLUMNS, OPTIONAL_COLUMNS, ResourceSpend, SpendRow
from hygiene.sources.billing.cur import Columns, select
from hygiene.sources.billing.dialect import BigQueryDialect
from hygiene.sources.billing.focus import FocusColumnsMissing, assumed_columns, focus_columns_exprs
from hygiene.sources.billing.sql import (
    ResourceQuery,
    SpendQuery,
    output_columns,
    resource_output_columns,
    resource_sql,
    spend_sql,
)

log = logging.getLogger(__name__)

DIALECT = BigQueryDialect()


def parse_table(spec: str) -> str:
    """``bigquery://project.dataset.table`` → ``project.dataset.table``."""
    table = spec.removeprefix("bigquery://")
    if table.count(".") != 2 or not all(table.split(".")):
        raise HygieneError(f"billing source {spec!r}: expected bigquery://project.dataset.table")
    return table


def is_focus(columns: set[str]) -> bool:
    """Whether a table's columns are FOCUS's (else it is the raw GCP export)."""
    return set(FOCUS_COLUMNS) - OPTIONAL_COLUMNS <= columns


def bigquery_relation(table: str, columns: Mapping[str, str] | None = None) -> str:
    """The FOCUS model columns of a FOCUS table (``columns``: name → BigQuery type, from its
    schema); without them the table is taken for FOCUS 1.0, each column cast."""
    if columns is None:
        typed = assumed_columns(DIALECT)
    else:
        typed = Columns(
            DIALECT, {name: DIALECT.column_kind(kind) for name, kind in columns.items()}
        )
    try:
        mapped = select(typed, focus_columns_exprs(typed), DIALECT.ident(table))
    except FocusColumnsMissing as exc:
        raise HygieneError(f"billing source bigquery://{table}?schema=focus: {exc}") from None
    return f"({mapped}) AS focus"


def bigquery_sql(
    table: str, query: SpendQuery, policy: TagsPolicy, columns: Mapping[str, str] | None = None
) -> str:
    """The aggregation query as sent to BigQuery."""
    return spend_sql(DIALECT, bigquery_relation(table, columns), query, policy)


def bigquery_resource_sql(
    table: str, query: ResourceQuery, policy: TagsPolicy, columns: Mapping[str, str] | None = None
) -> str:
    """The per-resource cost query as sent to BigQuery."""
    return resource_sql(DIALECT, bigquery_relation(table, columns), query, policy)


def table_columns(client: Any, table: str) -> dict[str, str] | None:
    """The table's columns (name → type) from its schema; None when it cannot be read (the table
    is then read as FOCUS 1.0)."""
    try:
        schema = client.get_table(table).schema
    except Exception as exc:  # no bigquery.tables.get, or a view the client cannot describe
        log.warning(
            "bigquery://%s: cannot read its schema (%s); reading it as FOCUS 1.0", table, exc
        )
        return None
    return {str(field.name): str(field.field_type) for field in schema}


def read_bigquery_spend(
    client: Any, table: str, query: SpendQuery, policy: TagsPolicy
) -> list[SpendRow]:
    """Run the aggregation on BigQuery (``client``: ``bigquery.Client``) → spend records."""
    from hygiene.sources.billing_files import to_spend_row

    sql = bigquery_sql(table, query, policy, table_columns(client, table))
    log.info("bigquery spend query on %s", table)
    names = output_columns(query.tag_keys)
    result = client.query_and_wait(sql)
    return [to_spend_row([row[name] for name in names], query.tag_keys) for row in result]


def read_bigquery_resources(
    client: Any, table: str, query: ResourceQuery, policy: TagsPolicy
) -> ResourceSpend:
    """Run the per-resource cost query on BigQuery → the month's :class:`ResourceSpend`."""
    from hygiene.sources.billing_files import resource_spend

    sql = bigquery_resource_sql(table, query, policy, table_columns(client, table))
    names = resource_output_columns(query.tag_keys)
    result = client.query_and_wait(sql)
    return resource_spend(([row[name] for name in names] for row in result), query)
