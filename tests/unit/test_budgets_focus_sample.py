"""Exact totals of the FOCUS 1.0 sample through DuckDB: per provider, normalised Env and Project,
the untagged bucket, credits apart from usage, and the month as the billing period.

Expected values were computed once, independently of hygiene, with Python's ``csv`` and
``Decimal`` over data/focus/focus_sample.csv: rows filtered on ``BillingPeriodStart``, costs
summed from the ``BilledCost`` text, ``Env``/``Project`` taken from the ``Tags`` JSON by exact key
else case-insensitive alias (``environment``, ``env``), values already canonical in the sample.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hygiene.checks.budgets.spend import spend_table
from hygiene.policy import Policy, TagsPolicy
from hygiene.records.billing import SpendRow
from hygiene.sources.billing.sql import SpendQuery
from hygiene.sources.billing_files import read_spend

REPO = Path(__file__).resolve().parents[2]
SAMPLE = str(REPO / "data" / "focus" / "focus_sample.csv")
SEP = date(2024, 9, 1)
OCT = date(2024, 10, 1)
KEYS = ("Project", "Owner", "Env")


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[SpendRow]:
    query = SpendQuery(SEP, date(2024, 11, 1), datetime(2024, 11, 1), KEYS)
    return read_spend([SAMPLE], query, TagsPolicy(), cache_dir=tmp_path_factory.mktemp("cache"))


def total(rows: list[SpendRow], key: object) -> dict[object, Decimal]:
    out: dict[object, Decimal] = defaultdict(Decimal)
    for row in rows:
        out[key(row)] += row.billed_cost  # type: ignore[operator]
    return dict(out)


def test_totals_per_provider_in_the_september_billing_period(rows: list[SpendRow]) -> None:
    september = [r for r in rows if r.billing_month == SEP]
    assert total(september, lambda r: r.provider) == {
        "AWS": Decimal("18.00663861840"),
        "Microsoft": Decimal("1.97651418586"),
        "Oracle": Decimal("0.29707392473"),
    }
    assert sum(r.line_items for r in september) == 999


def test_the_month_is_the_billing_period_not_the_charge_day(rows: list[SpendRow]) -> None:
    october = [r for r in rows if r.billing_month == OCT]
    assert [(r.provider, r.day, r.billed_cost, r.line_items) for r in october] == [
        ("Oracle", date(2024, 9, 30), Decimal("0.24"), 1)
    ]


def test_credits_and_adjustments_are_apart_from_usage(rows: list[SpendRow]) -> None:
    september = [r for r in rows if r.billing_month == SEP]
    assert total(september, lambda r: r.category) == {
        "Usage": Decimal("22.62192672899"),
        "Credit": Decimal("-2.61370000000"),
        "Adjustment": Decimal("0.27200000000"),
    }
    credit = [r for r in september if r.kind == "credit"]
    assert [(r.provider, r.day, dict(r.tags)) for r in credit] == [
        ("AWS", date(2024, 9, 24), {"Project": None, "Owner": None, "Env": None})
    ]


def test_usage_per_normalised_env_and_project(rows: list[SpendRow]) -> None:
    usage = [r for r in rows if r.billing_month == SEP and r.kind == "usage"]
    assert total(usage, lambda r: r.tags["Env"]) == {
        None: Decimal("0.75945273902"),
        "dev": Decimal("17.69124140013"),
        "prod": Decimal("4.17123258984"),
    }
    assert total(usage, lambda r: r.tags["Project"]) == {
        None: Decimal("22.62165771699"),
        "Foo": Decimal("0.00026901200"),
    }
    assert {r.tags["Owner"] for r in usage} == {None}


def test_spend_table_of_the_sample(rows: list[SpendRow]) -> None:
    as_of = datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)
    table = spend_table(
        rows,
        month=SEP,
        as_of=as_of,
        by=["Project", "Env"],
        metric="BilledCost",
        currency="USD",
        policy=Policy(),
    )
    assert [
        (g["key"], g["cost"], g["forecast"], g["forecast_method"]) for g in table["groups"]
    ] == [
        ({"Project": None, "Env": "dev"}, "17.69", "17.69", "complete"),
        ({"Project": None, "Env": "prod"}, "4.17", "4.17", "complete"),
        ({"Project": None, "Env": None}, "0.76", "0.76", "complete"),
        ({"Project": "Foo", "Env": "prod"}, "0.00", "0.00", "complete"),
    ]
    # gross positive usage 22.78389802909; without Project or Env 22.78357729109
    assert table["untagged"] == {"cost": "22.78", "share": 100.0}
    assert table["charges"] == {"credit": "-2.61", "tax": "0.00", "adjustment": "0.27"}
    assert (table["total"], table["net"], table["currency"], table["month"]) == (
        "22.62",
        "20.28",
        "USD",
        "2024-09",
    )
    by_env = spend_table(
        rows,
        month=SEP,
        as_of=as_of,
        by=["Env"],
        metric="BilledCost",
        currency="USD",
        policy=Policy(),
    )
    # usage without Env: 0.92135031312 of 22.78389802909 gross positive usage
    assert by_env["untagged"] == {"cost": "0.92", "share": 4.0}


def test_as_of_cuts_charges_that_started_later(tmp_path: Path) -> None:
    query = SpendQuery(SEP, OCT, datetime(2024, 9, 2), ("Env",))
    early = read_spend([SAMPLE], query, TagsPolicy(), cache_dir=tmp_path)
    assert {r.day for r in early} == {date(2024, 9, 1)}
