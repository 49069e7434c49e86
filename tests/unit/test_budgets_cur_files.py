"""AWS CUR legacy CSV (plain and gzip) and CUR 2.0 Parquet read into the FOCUS model with known
totals; files found through directories and globs; unreadable sources are errors for people."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import SpendRow
from hygiene.sources.billing.sql import SpendQuery
from hygiene.sources.billing_files import read_spend

SEP = date(2024, 9, 1)
QUERY = SpendQuery(SEP, date(2024, 11, 1), datetime(2024, 11, 1), ("Project", "Env"))

# (period, day, line item type, account, cost, sp effective cost, Project, env)
LINES = [
    ("2024-09-01", 3, "Usage", "111", "10.50", "", "checkout", "Production"),
    ("2024-09-01", 3, "Usage", "111", "4.25", "", "checkout", "prod"),
    ("2024-09-01", 4, "Usage", "222", "3.00", "", "", ""),
    ("2024-09-01", 4, "Tax", "111", "1.20", "", "", ""),
    ("2024-09-01", 5, "Credit", "111", "-2.00", "", "", ""),
    ("2024-09-01", 5, "SavingsPlanCoveredUsage", "222", "8.00", "5.00", "search", "dev"),
    ("2024-10-01", 30, "Usage", "111", "100.00", "", "checkout", "prod"),  # next billing period
]
# Expected (by hand from LINES), September: usage billed 25.75, effective 22.75; tax 1.20;
# credit -2.00; usage per Env: prod 14.75, dev 8.00, untagged 3.00.


def write_cur(
    path: Path,
    *,
    gz: bool = False,
    currency: Mapping[int, str] | None = None,
    cost: Mapping[int, str] | None = None,
) -> None:
    """LINES as legacy CUR; ``currency``/``cost``: line index → the text to write instead."""
    header = [
        "identity/LineItemId",
        "bill/BillingPeriodStartDate",
        "lineItem/UsageStartDate",
        "lineItem/UsageEndDate",
        "lineItem/LineItemType",
        "lineItem/UsageAccountId",
        "lineItem/ProductCode",
        "lineItem/UnblendedCost",
        "lineItem/CurrencyCode",
        "lineItem/ResourceId",
        "reservation/EffectiveCost",
        "savingsPlan/SavingsPlanEffectiveCost",
        "resourceTags/user:Project",
        "resourceTags/user:env",
    ]
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:  # type: ignore[operator]
        writer = csv.writer(handle)
        writer.writerow(header)
        for i, (period, day, kind, account, cost_value, sp, project, env) in enumerate(LINES):
            start = f"2024-09-{day:02d}T00:00:00Z"  # the October line is charged on Sep 30
            writer.writerow(
                [
                    f"id{i}",
                    f"{period}T00:00:00Z",
                    start,
                    start.replace("T00", "T01"),
                    kind,
                    account,
                    "AmazonEC2",
                    (cost or {}).get(i, cost_value),
                    (currency or {}).get(i, "USD"),
                    f"i-{i}",
                    "",
                    sp,
                    project,
                    env,
                ]
            )


def write_cur2(path: Path, currency: Mapping[int, str | None] | None = None) -> None:
    rows = []
    for i, (period, day, kind, account, cost, sp, project, env) in enumerate(LINES):
        tags = {k: v for k, v in (("user_project", project), ("user_env", env)) if v}
        rows.append(
            {
                "bill_billing_period_start_date": datetime.fromisoformat(period),
                "line_item_usage_start_date": datetime(2024, 9, day),
                "line_item_usage_end_date": datetime(2024, 9, day, 1),
                "line_item_line_item_type": kind,
                "line_item_usage_account_id": account,
                "line_item_product_code": "AmazonEC2",
                "line_item_unblended_cost": float(cost),
                "line_item_currency_code": (currency or {}).get(i, "USD"),
                "reservation_effective_cost": 0.0,
                "savings_plan_savings_plan_effective_cost": float(sp or 0),
                "resource_tags": list(tags.items()),
            }
        )
    schema = pa.schema(
        [
            ("bill_billing_period_start_date", pa.timestamp("ms")),
            ("line_item_usage_start_date", pa.timestamp("ms")),
            ("line_item_usage_end_date", pa.timestamp("ms")),
            ("line_item_line_item_type", pa.string()),
            ("line_item_usage_account_id", pa.string()),
            ("line_item_product_code", pa.string()),
            ("line_item_unblended_cost", pa.float64()),
            ("line_item_currency_code", pa.string()),
            ("reservation_effective_cost", pa.float64()),
            ("savings_plan_savings_plan_effective_cost", pa.float64()),
            ("resource_tags", pa.map_(pa.string(), pa.string())),
        ]
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def summary(rows: list[SpendRow]) -> dict[str, object]:
    sep = [r for r in rows if r.billing_month == SEP]
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    by_env: dict[str | None, Decimal] = defaultdict(Decimal)
    effective = Decimal(0)
    for r in sep:
        by_kind[r.kind] += r.billed_cost
        if r.kind == "usage":
            by_env[r.tags["Env"]] += r.billed_cost
            effective += r.effective_cost
    return {
        "kinds": dict(by_kind),
        "env": dict(by_env),
        "effective": effective,
        "october": sum(
            (r.billed_cost for r in rows if r.billing_month == date(2024, 10, 1)), Decimal(0)
        ),
        "providers": {r.provider for r in rows},
        "accounts": {r.sub_account for r in rows},
    }


EXPECTED = {
    "kinds": {"usage": Decimal("25.75"), "tax": Decimal("1.20"), "credit": Decimal("-2.00")},
    "env": {"prod": Decimal("14.75"), "dev": Decimal("8.00"), None: Decimal("3.00")},
    "effective": Decimal("22.75"),
    "october": Decimal("100.00"),
    "providers": {"AWS"},
    "accounts": {"111", "222"},
}


@pytest.mark.parametrize("gz", [False, True], ids=["csv", "csv.gz"])
def test_cur_legacy_csv(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("cur.csv.gz" if gz else "cur.csv")
    write_cur(path, gz=gz)
    assert summary(read_spend([str(path)], QUERY, TagsPolicy(), cache_dir=tmp_path)) == EXPECTED


def test_cur2_parquet_with_resource_tags_map(tmp_path: Path) -> None:
    path = tmp_path / "cur2.parquet"
    write_cur2(path)
    assert summary(read_spend([str(path)], QUERY, TagsPolicy(), cache_dir=tmp_path)) == EXPECTED


def test_a_directory_and_a_glob_mix_formats(tmp_path: Path) -> None:
    bills = tmp_path / "bills" / "2024"
    bills.mkdir(parents=True)
    write_cur(bills / "a.csv")
    write_cur2(bills / "b.parquet")
    (bills / "notes.txt").write_text("ignored")
    for spec in (str(tmp_path / "bills"), str(tmp_path / "bills" / "**" / "*.*")):
        result = summary(read_spend([spec], QUERY, TagsPolicy(), cache_dir=tmp_path))
        assert result["kinds"] == {k: v * 2 for k, v in EXPECTED["kinds"].items()}  # type: ignore[attr-defined]


def test_missing_source_and_foreign_files_are_errors_for_people(tmp_path: Path) -> None:
    with pytest.raises(HygieneError, match="no such file or directory"):
        read_spend([str(tmp_path / "nope.csv")], QUERY, TagsPolicy(), cache_dir=tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(HygieneError, match=r"not a FOCUS, CUR or CUR 2\.0 file"):
        read_spend([str(other)], QUERY, TagsPolicy(), cache_dir=tmp_path)
    broken = tmp_path / "focus.csv"
    broken.write_text("BilledCost,BillingCurrency\n1,USD\n")
    with pytest.raises(HygieneError, match="FOCUS columns missing: EffectiveCost"):
        read_spend([str(broken)], QUERY, TagsPolicy(), cache_dir=tmp_path)


# --------------------------------------------------------------------------- hostile input


def test_cur_currency_case_is_one_currency(tmp_path: Path) -> None:
    csv_path = tmp_path / "cur.csv"
    write_cur(csv_path, currency={0: "usd", 3: " Usd"})
    parquet_path = tmp_path / "cur2.parquet"
    write_cur2(parquet_path, currency={1: "usd"})
    for path in (csv_path, parquet_path):
        rows = read_spend([str(path)], QUERY, TagsPolicy(), cache_dir=tmp_path)
        assert {r.currency for r in rows} == {"USD"}
        assert summary(rows) == EXPECTED


def test_cur_line_without_currency_names_file_row_and_column(tmp_path: Path) -> None:
    csv_path = tmp_path / "cur.csv"
    write_cur(csv_path, currency={2: ""})
    with pytest.raises(HygieneError) as caught:
        read_spend([str(csv_path)], QUERY, TagsPolicy(), cache_dir=tmp_path)
    assert str(caught.value) == (
        f"{csv_path}: row 3: lineItem/CurrencyCode: no currency on a row with a cost (hygiene "
        "never adds amounts of unknown currency)"
    )
    parquet_path = tmp_path / "cur2.parquet"
    write_cur2(parquet_path, currency={4: None})
    with pytest.raises(HygieneError, match=r": row 5: line_item_currency_code: no currency"):
        read_spend([str(parquet_path)], QUERY, TagsPolicy(), cache_dir=tmp_path)


def test_an_effective_cost_counts_as_a_cost_for_the_currency_rule(tmp_path: Path) -> None:
    """Line 5 is SavingsPlanCoveredUsage: its effective cost (5.00) is money even if the
    unblended cost were zero."""
    path = tmp_path / "cur.csv"
    write_cur(path, currency={5: ""}, cost={5: "0"})
    with pytest.raises(HygieneError, match=r": row 6: lineItem/CurrencyCode: no currency"):
        read_spend([str(path)], QUERY, TagsPolicy(), cache_dir=tmp_path)


def test_cur_bad_cost_and_missing_columns_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cur.csv"
    write_cur(path, cost={1: "4,25"})
    with pytest.raises(HygieneError) as caught:
        read_spend([str(path)], QUERY, TagsPolicy(), cache_dir=tmp_path)
    assert str(caught.value) == (
        f"{path}: row 2: lineItem/UnblendedCost: not a number (or beyond DECIMAL(38,12))"
    )
    short = tmp_path / "short.csv"
    short.write_text("lineItem/UnblendedCost,lineItem/CurrencyCode\n1,USD\n")
    with pytest.raises(HygieneError) as caught:
        read_spend([str(short)], QUERY, TagsPolicy(), cache_dir=tmp_path)
    assert str(caught.value) == (
        f"{short}: CUR columns missing: lineItem/UsageStartDate, lineItem/UsageEndDate, "
        "bill/BillingPeriodStartDate, lineItem/LineItemType"
    )
