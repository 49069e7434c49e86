"""FOCUS rows from the GCP billing export (``bigquery://`` source) go through the same query."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from hygiene.policy import TagsPolicy
from hygiene.sources.billing.sql import SpendQuery
from hygiene.sources.billing_files import read_focus_records


def record(
    day: int, cost: str, category: str, labels: dict[str, str], month: int = 9
) -> dict[str, object]:
    start = datetime(2024, 9, day, tzinfo=UTC)
    return {
        "ProviderName": "Google Cloud",
        "SubAccountId": "shop-prod",
        "ServiceName": "Compute Engine",
        "ChargeCategory": category,
        "ChargePeriodStart": start,
        "ChargePeriodEnd": start,
        "BillingPeriodStart": datetime(2024, month, 1, tzinfo=UTC),
        "BillingCurrency": "EUR",
        "BilledCost": Decimal(cost),
        "EffectiveCost": Decimal(cost),
        "Tags": json.dumps(labels, sort_keys=True),
    }


def test_export_rows_are_aggregated_like_files() -> None:
    records = [
        record(3, "10.123456789", "Usage", {"env": "production", "project": "shop"}),
        record(3, "-1.5", "Credit", {"env": "production", "project": "shop"}),
        record(4, "2.000000001", "Usage", {}),
        record(30, "5", "Usage", {"env": "dev"}, month=10),
    ]
    query = SpendQuery(
        date(2024, 9, 1), date(2024, 11, 1), datetime(2024, 11, 1), ("Project", "Env")
    )
    rows = read_focus_records(records, query, TagsPolicy())
    assert sorted(
        (
            (
                r.billing_month,
                r.day,
                r.category,
                r.currency,
                r.sub_account,
                tuple(r.tags.items()),
                r.billed_cost,
            )
            for r in rows
        ),
        key=str,
    ) == sorted(
        [
            (
                date(2024, 9, 1),
                date(2024, 9, 3),
                "Usage",
                "EUR",
                "shop-prod",
                (("Project", "shop"), ("Env", "prod")),
                Decimal("10.123456789"),
            ),
            (
                date(2024, 9, 1),
                date(2024, 9, 3),
                "Credit",
                "EUR",
                "shop-prod",
                (("Project", "shop"), ("Env", "prod")),
                Decimal("-1.5"),
            ),
            (
                date(2024, 9, 1),
                date(2024, 9, 4),
                "Usage",
                "EUR",
                "shop-prod",
                (("Project", None), ("Env", None)),
                Decimal("2.000000001"),
            ),
            (
                date(2024, 10, 1),
                date(2024, 9, 30),
                "Usage",
                "EUR",
                "shop-prod",
                (("Project", None), ("Env", "dev")),
                Decimal("5"),
            ),
        ],
        key=str,
    )
