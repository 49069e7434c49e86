"""``spend_report`` (behind ``hygiene spend``): currencies are never added, months are checked."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hygiene.checks.budgets.collect import spend_report
from hygiene.errors import HygieneError
from hygiene.policy import Policy

COLUMNS = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "BillingCurrency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ServiceName",
    "ProviderName",
    "SubAccountId",
    "Tags",
]


def bill(path: Path) -> str:
    rows = [
        ("12.50", "USD", "2026-10-02", "Usage", '{"Env": "prod"}'),
        ("7.25", "EUR", "2026-10-03", "Usage", '{"environment": "Production"}'),
        ("1.00", "EUR", "2026-10-03", "Tax", "NULL"),
        ("-0.75", "EUR", "2026-10-04", "Credit", "NULL"),
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for cost, currency, day, category, tags in rows:
            writer.writerow(
                [
                    cost,
                    cost,
                    cost,
                    currency,
                    f"{day}T00:00:00Z",
                    f"{day}T01:00:00Z",
                    "2026-10-01T00:00:00Z",
                    category,
                    "Compute",
                    "Azure",
                    "sub-1",
                    tags,
                ]
            )
    return str(path)


def test_several_currencies_need_a_choice(tmp_path: Path) -> None:
    source = bill(tmp_path / "bill.csv")
    with pytest.raises(HygieneError, match=r"2026-10 has spend in EUR, USD; .* --currency"):
        spend_report(
            policy=Policy(),
            sources=[source],
            month=date(2026, 10, 1),
            by=["Env"],
            cache_dir=tmp_path,
        )
    table = spend_report(
        policy=Policy(),
        sources=[source],
        month=date(2026, 10, 1),
        by=["Env"],
        currency="EUR",
        cache_dir=tmp_path,
    )
    assert [(g["key"], g["cost"]) for g in table["groups"]] == [({"Env": "prod"}, "7.25")]
    assert (table["currency"], table["total"], table["net"], table["charges"]) == (
        "EUR",
        "7.25",
        "7.50",
        {"credit": "-0.75", "tax": "1.00", "adjustment": "0.00"},
    )
    assert table["as_of"] == "2026-10-31T23:59:59Z"


def test_as_of_before_the_month_is_an_error(tmp_path: Path) -> None:
    source = bill(tmp_path / "bill.csv")
    with pytest.raises(HygieneError, match="--as-of 2026-09-30 is before --month 2026-10"):
        spend_report(
            policy=Policy(),
            sources=[source],
            month=date(2026, 10, 1),
            by=["Env"],
            as_of=datetime(2026, 9, 30, tzinfo=UTC),
            cache_dir=tmp_path,
        )


def test_as_of_mid_month_cuts_and_forecasts(tmp_path: Path) -> None:
    source = bill(tmp_path / "bill.csv")
    table = spend_report(
        policy=Policy(),
        sources=[source],
        month=date(2026, 10, 1),
        by=["Env"],
        currency="USD",
        as_of=datetime(2026, 10, 2, 23, 59, 59, tzinfo=UTC),
        cache_dir=tmp_path,
    )
    # 12.50 in 2 days of 31: run-rate 12.50 / 2 × 31 = 193.75
    assert [(g["cost"], g["forecast"], g["forecast_method"]) for g in table["groups"]] == [
        ("12.50", "193.75", "run-rate")
    ]
