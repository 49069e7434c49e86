"""Hostile and broken billing files (issue 15, items 12 and 4): currencies normalised or refused
naming the file and row, and every unreadable value an error naming file, row and column —
never a traceback, never a cell's value (a tag can hold a secret)."""

from __future__ import annotations

import csv
import gzip
import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import FOCUS_COLUMNS, SpendRow
from hygiene.sources.billing.sql import SpendQuery
from hygiene.sources.billing_files import read_focus_records, read_spend
from tests.conftest import run_cli

QUERY = SpendQuery(date(2024, 9, 1), date(2024, 11, 1), datetime(2024, 11, 1), ("Project",))
MARKER = "s3cr3t-TAG-VALUE-4f9a"  # must never appear in an error


def line(**changes: str) -> dict[str, str]:
    """One FOCUS line item as CSV text; ``changes`` override columns."""
    values = {
        "BilledCost": "1.50",
        "EffectiveCost": "1.25",
        "ListCost": "2.00",
        "BillingCurrency": "USD",
        "ChargePeriodStart": "2024-09-03 00:00:00",
        "ChargePeriodEnd": "2024-09-03 01:00:00",
        "BillingPeriodStart": "2024-09-01 00:00:00",
        "ChargeCategory": "Usage",
        "ServiceName": "Amazon EC2",
        "ProviderName": "AWS",
        "SubAccountId": "111",
        "ResourceId": "i-1",
        "Tags": json.dumps({"Project": "web", "Secret": MARKER}),
    }
    values.update(changes)
    return values


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(FOCUS_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> str:
    schema = pa.schema([(name, pa.string()) for name in FOCUS_COLUMNS])
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return str(path)


def spend(tmp_path: Path, *specs: str) -> list[SpendRow]:
    return read_spend(list(specs), QUERY, TagsPolicy(), cache_dir=tmp_path / "cache")


def error_of(tmp_path: Path, *specs: str) -> str:
    with pytest.raises(HygieneError) as caught:
        spend(tmp_path, *specs)
    message = str(caught.value)
    assert MARKER not in message and "\n" not in message
    return message


def by_currency(rows: list[SpendRow]) -> dict[str, tuple[Decimal, Decimal, int]]:
    out: dict[str, tuple[Decimal, Decimal, int]] = {}
    for row in rows:
        billed, effective, count = out.get(row.currency, (Decimal(0), Decimal(0), 0))
        out[row.currency] = (billed + row.billed_cost, effective + row.effective_cost, count + 1)
    return out


# --------------------------------------------------------------------------- currencies


def test_currency_case_and_spaces_are_one_iso_code(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "focus.csv",
        [line(), line(BillingCurrency="usd"), line(BillingCurrency=" Usd "), line()],
    )
    rows = spend(tmp_path, path)
    # one row (one day, one tag set), not a "usd" row beside a "USD" one
    assert [(r.currency, r.billed_cost, r.effective_cost, r.line_items) for r in rows] == [
        ("USD", Decimal("6.00"), Decimal("5.00"), 4)
    ]


@pytest.mark.parametrize("missing", ["", "NULL", "  "])
def test_a_costed_row_without_currency_names_file_row_and_column(
    tmp_path: Path, missing: str
) -> None:
    path = write_csv(tmp_path / "focus.csv", [line(), line(), line(BillingCurrency=missing)])
    assert error_of(tmp_path, path) == (
        f"{path}: row 3: BillingCurrency: no currency on a row with a cost (hygiene never adds "
        "amounts of unknown currency)"
    )


@pytest.mark.parametrize("code", ["Dollars", "US", "U$D", "€"])
def test_a_currency_that_is_not_iso_4217_is_refused(tmp_path: Path, code: str) -> None:
    path = write_csv(tmp_path / "focus.csv", [line(BillingCurrency=code), line()])
    assert error_of(tmp_path, path) == (
        f"{path}: row 1: BillingCurrency: not an ISO 4217 currency code (three letters, e.g. USD)"
    )


def test_zero_cost_rows_without_currency_are_ignored(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "focus.csv",
        [
            line(),
            line(BillingCurrency="", BilledCost="0", EffectiveCost="0.000"),
            line(BillingCurrency="NULL", BilledCost="", EffectiveCost="NULL"),
        ],
    )
    assert by_currency(spend(tmp_path, path)) == {"USD": (Decimal("1.50"), Decimal("1.25"), 1)}


def test_rows_without_currency_that_cancel_out_are_still_refused(tmp_path: Path) -> None:
    """The rule is per row: +5 and -5 without a currency sum to zero but are two charges."""
    path = write_csv(
        tmp_path / "focus.csv",
        [
            line(),
            line(BillingCurrency="", BilledCost="5", EffectiveCost="5"),
            line(BillingCurrency="", BilledCost="-5", EffectiveCost="-5"),
        ],
    )
    assert error_of(tmp_path, path).startswith(f"{path}: row 2: BillingCurrency: no currency")


def test_rows_outside_the_months_read_do_not_count(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "focus.csv",
        [line(), line(BillingCurrency="", BillingPeriodStart="2024-06-01 00:00:00")],
    )
    assert by_currency(spend(tmp_path, path)) == {"USD": (Decimal("1.50"), Decimal("1.25"), 1)}


def test_parquet_currency_is_normalised_and_a_null_one_names_the_row(tmp_path: Path) -> None:
    good = write_parquet(tmp_path / "good.parquet", [line(), line(BillingCurrency="eur")])
    assert by_currency(spend(tmp_path, good)) == {
        "EUR": (Decimal("1.50"), Decimal("1.25"), 1),
        "USD": (Decimal("1.50"), Decimal("1.25"), 1),
    }
    rows: list[dict[str, Any]] = [line() for _ in range(6000)]
    rows[4321] = {**line(), "BillingCurrency": None}  # past DuckDB's first vectors and threads
    bad = write_parquet(tmp_path / "bad.parquet", rows)
    assert error_of(tmp_path, bad).startswith(f"{bad}: row 4322: BillingCurrency: no currency")


def test_the_row_named_is_the_files_own_row_in_a_large_csv(tmp_path: Path) -> None:
    rows = [line() for _ in range(30_000)]
    rows[24_680] = line(BillingCurrency="")
    path = write_csv(tmp_path / "focus.csv", rows)
    assert error_of(tmp_path, path).startswith(f"{path}: row 24681: BillingCurrency:")


def test_the_file_named_is_the_one_holding_the_row(tmp_path: Path) -> None:
    bills = tmp_path / "bills"
    bills.mkdir()
    write_csv(bills / "a.csv", [line(BillingCurrency="usd")])
    bad = write_csv(bills / "b.csv", [line(), line(BillingCurrency="", BilledCost="3")])
    assert error_of(tmp_path, str(bills)) == (
        f"{bad}: row 2: BillingCurrency: no currency on a row with a cost (hygiene never adds "
        "amounts of unknown currency)"
    )


def test_focus_records_currencies_are_normalised_and_checked() -> None:
    def record(currency: str | None, cost: str) -> dict[str, object]:
        start = datetime(2024, 9, 3)
        return {
            "ProviderName": "Google Cloud",
            "ChargeCategory": "Usage",
            "ChargePeriodStart": start,
            "ChargePeriodEnd": start,
            "BillingPeriodStart": datetime(2024, 9, 1),
            "BillingCurrency": currency,
            "BilledCost": Decimal(cost),
            "EffectiveCost": Decimal(cost),
            "Tags": "{}",
        }

    rows = read_focus_records([record("eur", "1"), record("EUR", "2")], QUERY, TagsPolicy())
    assert [(r.currency, r.billed_cost) for r in rows] == [("EUR", Decimal("3"))]
    with pytest.raises(HygieneError, match=r"^FOCUS records: row 2: BillingCurrency: no currency"):
        read_focus_records([record("EUR", "2"), record(None, "1")], QUERY, TagsPolicy())


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("BilledCost", "12,50 EUR", "not a number (or beyond DECIMAL(38,12))"),
        ("EffectiveCost", "1e400", "not a number (or beyond DECIMAL(38,12))"),
        ("ChargePeriodStart", "2024-13-45", "not a date and time"),
        ("BillingPeriodStart", "last Tuesday", "not a date and time"),
        ("Tags", "{" + MARKER, "not a JSON object of tags"),
        ("Tags", json.dumps([MARKER]), "not a JSON object of tags"),
    ],
)
def test_a_value_that_cannot_be_read_names_file_row_and_column_not_the_value(
    tmp_path: Path, column: str, value: str, problem: str
) -> None:
    rows = [line() for _ in range(5)]
    rows[3] = line(**{column: value})
    path = write_csv(tmp_path / "focus.csv", rows)
    message = error_of(tmp_path, path)
    assert message.startswith(f"{path}: row 4: {column}: {problem}")
    assert value not in message


def test_a_required_column_missing_names_the_file(tmp_path: Path) -> None:
    columns = [c for c in FOCUS_COLUMNS if c != "ChargePeriodStart"]
    row = {k: v for k, v in line().items() if k in columns}
    path = write_csv(tmp_path / "focus.csv", [row], columns)
    assert error_of(tmp_path, path) == (
        f"{path}: FOCUS columns missing: ChargePeriodStart (is this a FOCUS 1.0–1.4 export?)"
    )


def test_truncated_parquet_binary_csv_and_fake_gzip_are_errors_for_people(tmp_path: Path) -> None:
    whole = Path(write_parquet(tmp_path / "whole.parquet", [line() for _ in range(100)]))
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert error_of(tmp_path, str(truncated)) == (
        f"{truncated}: cannot read: not a Parquet file, or a truncated one (no Parquet footer) "
        "(Invalid Input Error)"
    )
    binary = tmp_path / "bill.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    assert error_of(tmp_path, str(binary)).startswith(f"{binary}: cannot read: no CSV dialect")
    fake = tmp_path / "bill.csv.gz"
    fake.write_text("BilledCost\n1\n")
    assert error_of(tmp_path, str(fake)) == (
        f"{fake}: cannot read: not gzip-compressed, though named .gz (IO Error)"
    )


def test_a_truncated_gzip_csv_names_the_line_not_its_text(tmp_path: Path) -> None:
    plain = Path(write_csv(tmp_path / "plain.csv", [line() for _ in range(3000)]))
    packed = gzip.compress(plain.read_bytes())
    cut = tmp_path / "bill.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    message = error_of(tmp_path, str(cut))
    # DuckDB either fails on the cut line or cannot make the file out as CSV at all
    assert re.match(
        rf"{re.escape(str(cut))}: (cannot read: CSV error on line \d+|its header names a cost "
        "column but DuckDB cannot read it as CSV)",
        message,
    ), message


def test_a_ragged_row_does_not_echo_its_line(tmp_path: Path) -> None:
    path = Path(write_csv(tmp_path / "focus.csv", [line() for _ in range(50)]))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[30] += f',"{MARKER}",extra'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert error_of(tmp_path, str(path)) == (
        f"{path}: its header names a cost column but DuckDB cannot read it as CSV (a row with a "
        "different number of columns, broken quoting, or a truncated file)"
    )


def test_spend_cli_exits_2_with_one_line_for_a_bad_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "focus.csv", [line(), line(BilledCost="n/a", Tags="[" + MARKER)])
    result = run_cli("spend", "--source", path, "--month", "2024-09", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"hygiene: error: {path}: row 2: BilledCost: not a number (or beyond DECIMAL(38,12))"
    )
    assert MARKER not in result.stdout + result.stderr
