"""Billing sources whose aggregation runs on the engine that holds the bill (``billing.sources``):

- ``athena://DATABASE.TABLE?workgroup=…&output=s3://…&region=…`` — a FOCUS table or view on
  Athena (``billing/athena.py``), through the run's AWS credentials; with ``&schema=cur2``, a raw
  AWS CUR 2.0 table, read through the same CUR 2.0 → FOCUS mapping as CUR 2.0 files
  (``billing/cur.py``; its columns come from the Glue Data Catalog first);
- ``bigquery://PROJECT.DATASET.TABLE?schema=focus`` — a FOCUS table or view on BigQuery
  (``billing/bigquery.py``); without ``?schema=focus`` a ``bigquery://`` source is the raw GCP
  billing export (``sources/gcp/billing_export.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hygiene.policy import Policy
from hygiene.records.billing import ResourceSpend, SpendRow
from hygiene.sources.billing.sql import ResourceQuery, SpendQuery

FOCUS_SUFFIX = "?schema=focus"


def is_pushdown(source: str) -> bool:
    """Whether ``source`` is aggregated remotely by this module."""
    return source.startswith("athena://") or (
        source.startswith("bigquery://") and source.endswith(FOCUS_SUFFIX)
    )


def pushdown_rows(
    source: str,
    query: SpendQuery,
    policy: Policy,
    aws: Callable[[], Any],
    environ: Mapping[str, str],
) -> list[SpendRow]:
    """The aggregated spend of one pushdown source; ``aws()`` gives the run's ``AwsScope``."""
    if source.startswith("athena://"):
        from hygiene.sources.billing.athena import AthenaSource, read_athena_spend

        target = AthenaSource.parse(source)
        scope = aws()
        region = target.region or scope.default_region
        glue = scope.client("glue", region)
        return read_athena_spend(
            scope.client("athena", region), target, query, policy.tags, glue=glue
        )
    from hygiene.sources.billing.bigquery import parse_table, read_bigquery_spend
    from hygiene.sources.gcp.scope import GcpScope

    table = parse_table(source.removesuffix(FOCUS_SUFFIX))
    scope = GcpScope.connect(policy.gcp, environ)
    return read_bigquery_spend(scope.bigquery(table.split(".")[0]), table, query, policy.tags)


def pushdown_resources(
    source: str,
    query: ResourceQuery,
    policy: Policy,
    aws: Callable[[], Any],
    environ: Mapping[str, str],
) -> ResourceSpend:
    """The per-resource cost of one pushdown source (``billing/sql.resource_sql`` run there)."""
    if source.startswith("athena://"):
        from hygiene.sources.billing.athena import AthenaSource, read_athena_resources

        target = AthenaSource.parse(source)
        scope = aws()
        region = target.region or scope.default_region
        return read_athena_resources(
            scope.client("athena", region),
            target,
            query,
            policy.tags,
            glue=scope.client("glue", region),
        )
    from hygiene.sources.billing.bigquery import parse_table, read_bigquery_resources
    from hygiene.sources.gcp.scope import GcpScope

    table = parse_table(source.removesuffix(FOCUS_SUFFIX))
    scope = GcpScope.connect(policy.gcp, environ)
    return read_bigquery_resources(scope.bigquery(table.split(".")[0]), table, query, policy.tags)
