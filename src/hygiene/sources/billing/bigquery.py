"""Billing pushdown to BigQuery for FOCUS tables and views: the aggregation of ``billing/sql.py``
rendered for BigQuery (``dialect.py``) runs there and only the aggregated rows come back.

(The raw GCP billing export keeps its own reader, ``sources/gcp/billing_export.py``; a FOCUS view
over the export — Google publishes one — is read here.)
"""

from __future__ import annotations

import logging
from typing import Any

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import FOCUS_COLUMNS, SpendRow
from hygiene.sources.billing.dialect import BigQueryDialect
from hygiene.sources.billing.sql import SpendQuery, output_columns, spend_sql

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
    return set(FOCUS_COLUMNS) <= columns


def bigquery_sql(table: str, query: SpendQuery, policy: TagsPolicy) -> str:
    """The aggregation query as sent to BigQuery."""
    return spend_sql(DIALECT, f"{DIALECT.ident(table)} AS focus", query, policy)


def read_bigquery_spend(
    client: Any, table: str, query: SpendQuery, policy: TagsPolicy
) -> list[SpendRow]:
    """Run the aggregation on BigQuery (``client``: ``bigquery.Client``) → spend records."""
    from hygiene.sources.billing_files import to_spend_row

    sql = bigquery_sql(table, query, policy)
    log.info("bigquery spend query on %s", table)
    names = output_columns(query.tag_keys)
    result = client.query_and_wait(sql)
    return [to_spend_row([row[name] for name in names], query.tag_keys) for row in result]
