"""The billing export → FOCUS query, run on DuckDB over a table with the export's schema; and the
proof that the BigQuery text differs from the DuckDB text only by the ``Dialect`` pieces."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from hygiene.sources.gcp.billing_export import (
    BIGQUERY,
    DUCKDB,
    FOCUS_COLUMNS,
    export_sql,
    query_duckdb,
    table_kind,
    to_focus,
)
from tests.integration.gcp_server.bigquery import create_export_table
from tests.integration.gcp_server.sample import export_row, sample_export

TABLE = "billing-admin.billing.gcp_billing_export_resource_v1_X"
NOV = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def run(
    rows: list[dict], detailed: bool = True, table: str = TABLE, by_resource: bool = True
) -> list[dict]:
    connection = duckdb.connect()
    create_export_table(connection, table, rows, detailed)
    kind = "detailed" if detailed else "standard"
    return query_duckdb(connection, table, *NOV, kind, by_resource=by_resource)


def summary(rows: list[dict]) -> set[tuple[object, ...]]:
    return {
        (
            r["SubAccountId"],
            r["ServiceName"],
            r["ChargeCategory"],
            r["ChargePeriodStart"].day,
            r["BilledCost"],
            r["ResourceId"],
        )
        for r in rows
    }


def test_credits_become_their_own_rows_and_net_the_spend() -> None:
    rows = run(sample_export())
    web = "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-1"
    assert summary(rows) == {
        ("shop-prod", "Compute Engine", "Usage", 2, Decimal("300.25"), web),
        ("shop-prod", "Compute Engine", "Credit", 2, Decimal("-50"), web),
        ("shop-prod", "Compute Engine", "Usage", 3, Decimal("200"), web),
        (
            "shop-prod",
            "Cloud Storage",
            "Usage",
            3,
            Decimal("40"),
            "//storage.googleapis.com/shop-assets",
        ),
        ("shop-prod", "Cloud Storage", "Tax", 3, Decimal("20"), None),
        ("shop-dev", "Compute Engine", "Usage", 4, Decimal("150"), None),
    }
    assert sum((r["BilledCost"] for r in rows), Decimal(0)) == Decimal("660.25")
    assert all(list(r) == list(FOCUS_COLUMNS) for r in rows)
    assert {r["ProviderName"] for r in rows} == {"Google Cloud"}
    assert {r["BillingPeriodStart"] for r in rows} == {datetime(2026, 11, 1, tzinfo=UTC)}


def test_without_by_resource_a_detailed_table_is_summed_across_resources() -> None:
    other = export_row(
        "2026-11-03",
        "shop-prod",
        "Cloud Storage",
        5.0,
        resource_name="//storage.googleapis.com/other",
    )
    rows = run([*sample_export(), other], by_resource=False)
    assert summary(rows) == {
        ("shop-prod", "Compute Engine", "Usage", 2, Decimal("300.25"), None),
        ("shop-prod", "Compute Engine", "Credit", 2, Decimal("-50"), None),
        ("shop-prod", "Compute Engine", "Usage", 3, Decimal("200"), None),
        ("shop-prod", "Cloud Storage", "Usage", 3, Decimal("45"), None),  # two buckets, one row
        ("shop-prod", "Cloud Storage", "Tax", 3, Decimal("20"), None),
        ("shop-dev", "Compute Engine", "Usage", 4, Decimal("150"), None),
    }


def test_same_day_lines_are_summed_as_decimals_not_floats() -> None:
    rows = run([export_row("2026-11-05", "shop-dev", "Compute Engine", 0.1) for _ in range(3)])
    assert [r["BilledCost"] for r in rows] == [Decimal("0.3")]


def test_tags_are_resource_labels_over_project_labels() -> None:
    rows = run(
        [export_row("2026-11-04", "shop-dev", "Compute Engine", 1.0, labels={"owner": "alice"})]
    )
    assert json.loads(rows[0]["Tags"]) == {"project": "shop", "owner": "alice", "env": "dev"}


def test_standard_table_has_no_resource_column() -> None:
    standard = "billing-admin.billing.gcp_billing_export_v1_X"
    rows = run(
        [export_row("2026-11-04", "shop-dev", "Compute Engine", 2.0)],
        detailed=False,
        table=standard,
    )
    assert [(r["ResourceId"], r["BilledCost"]) for r in rows] == [(None, Decimal("2"))]
    assert table_kind(standard) == "standard"
    assert table_kind(TABLE) == "detailed"


def test_rows_outside_the_period_are_left_out() -> None:
    rows = run(
        [
            export_row("2026-10-31", "shop-dev", "Compute Engine", 5.0),
            export_row("2026-12-01", "shop-dev", "Compute Engine", 6.0),
        ]
    )
    assert rows == []


@pytest.mark.parametrize(("kind", "by_resource"), [("standard", False), ("detailed", True)])
def test_bigquery_text_is_the_duckdb_text_with_only_the_dialect_pieces_swapped(
    kind: str, by_resource: bool
) -> None:
    text = export_sql(BIGQUERY, TABLE, kind, by_resource)  # type: ignore[arg-type]
    swapped = text.replace(BIGQUERY.table(TABLE), DUCKDB.table(TABLE))
    for field in dataclasses.fields(BIGQUERY):
        if field.name == "name":
            continue
        ours, theirs = getattr(BIGQUERY, field.name), getattr(DUCKDB, field.name)
        if "{}" in ours:
            for arg in ("labels", "project.labels", "start", "end"):
                swapped = swapped.replace(ours.format(arg), theirs.format(arg))
        else:
            swapped = swapped.replace(ours, theirs)
    assert swapped == export_sql(DUCKDB, TABLE, kind, by_resource)  # type: ignore[arg-type]
    assert "TO_JSON_STRING(labels)" in text and "@start" in text and "`" in text


def test_to_focus_reads_bigquery_style_label_arrays() -> None:
    (focus,) = to_focus(
        [
            {
                "BillingAccountId": "A",
                "SubAccountId": "p",
                "SubAccountName": "p",
                "ServiceName": "S",
                "ServiceId": "1",
                "RegionId": None,
                "ResourceId": None,
                "ChargeCategory": "Usage",
                "ChargePeriodStart": datetime(2026, 11, 2, tzinfo=UTC),
                "BillingPeriodStart": datetime(2026, 11, 1, tzinfo=UTC),
                "BillingCurrency": "USD",
                "Labels": '[{"key":"env","value":"prod"}]',
                "ProjectLabels": [{"key": "env", "value": "dev"}],
                "BilledCost": Decimal("1.5"),
            }
        ]
    )
    assert json.loads(focus["Tags"]) == {"env": "prod"}
    assert focus["ChargePeriodEnd"] == datetime(2026, 11, 3, tzinfo=UTC)
    assert focus["EffectiveCost"] == Decimal("1.5")
