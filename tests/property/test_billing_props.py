"""Property tests of the billing file readers: FOCUS CSV, FOCUS Parquet and legacy CUR CSV rows
with arbitrary values in every column, written to real files, give spend rows (each in an ISO
4217 currency) or a one-line ``HygieneError`` — nothing else escapes — and no generated value
carrying the marker (tags, resource ids, free text in any column) appears in an error."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import FOCUS_COLUMNS, SpendRow
from hygiene.sources.billing.cur import CUR_NAMES
from hygiene.sources.billing.diagnose import is_currency
from hygiene.sources.billing.sql import SpendQuery
from hygiene.sources.billing_files import read_spend
from tests.property.conftest import examples

MARK = "\u2603m:"  # starts every generated free-text value; must never reach a message
QUERY = SpendQuery(date(2024, 9, 1), date(2024, 11, 1), datetime(2024, 11, 1), ("Project", "Env"))

FREE_TEXT = st.text(max_size=10).map(lambda text: MARK + text)
NULLISH = st.sampled_from(["", "NULL", "null", " ", "\t"])
GARBAGE = FREE_TEXT | NULLISH
DECIMALS = st.decimals(
    min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=4, allow_nan=False
).map(str) | st.sampled_from(["0", "0.000", "-0", "1e3", "1E-2", "1e400", "12,5", "1.5.5"])
MOMENTS = st.datetimes(min_value=datetime(2024, 8, 1), max_value=datetime(2024, 11, 30))
TIMESTAMPS = (
    MOMENTS.map(lambda m: m.strftime("%Y-%m-%d %H:%M:%S"))
    | MOMENTS.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"))
    | MOMENTS.map(lambda m: m.strftime("%Y-%m-%d"))
    | st.sampled_from(["2024-13-45", "2024-02-30 00:00:00", "yesterday", "0000-00-00"])
)
PERIODS = st.sampled_from(["2024-09-01 00:00:00", "2024-10-01T00:00:00Z", "2024-09-01"])
CURRENCIES = st.sampled_from(["USD", "usd", " Usd ", "EUR", "eur\t", "GBP", "US", "Dollars", "€"])
TAG_VALUES = FREE_TEXT | st.none() | st.integers() | st.booleans() | st.just([MARK])
TAGS = (
    st.dictionaries(
        st.sampled_from(["Project", "project", "Env", "env", "Environment", "Owner"]) | FREE_TEXT,
        TAG_VALUES,
        max_size=4,
    ).map(json.dumps)
    | FREE_TEXT.map(lambda text: "{" + json.dumps(text))  # broken JSON holding the marker
    | st.just(json.dumps([MARK]))
    | NULLISH
)


def focus_value(name: str) -> st.SearchStrategy[str | None]:
    kind = FOCUS_COLUMNS[name]
    if name == "Tags":
        typical: st.SearchStrategy[str] = TAGS
    elif name == "BillingCurrency":
        typical = CURRENCIES
    elif name == "BillingPeriodStart":
        typical = PERIODS
    elif kind == "decimal":
        typical = DECIMALS
    elif kind == "timestamp":
        typical = TIMESTAMPS
    elif name == "ChargeCategory":
        typical = st.sampled_from(["Usage", "usage", "Purchase", "Tax", "Credit", "Adjustment"])
    else:
        typical = FREE_TEXT
    return st.one_of(typical, typical, GARBAGE, st.none())  # mostly well-formed


FOCUS_ROW = st.fixed_dictionaries({name: focus_value(name) for name in FOCUS_COLUMNS})
FOCUS_ROWS = st.lists(FOCUS_ROW, min_size=1, max_size=8)
#: sometimes a column is left out (the optional ones, or a required one)
DROPPED = st.sets(st.sampled_from(sorted(FOCUS_COLUMNS)), max_size=2) | st.just(set())

CUR_ROLES: dict[str, st.SearchStrategy[str | None]] = {
    "cost": DECIMALS,
    "currency": CURRENCIES,
    "start": TIMESTAMPS,
    "end": TIMESTAMPS,
    "period": PERIODS,
    "type": st.sampled_from(["Usage", "Tax", "Credit", "DiscountedUsage", "SavingsPlanNegation"]),
    "ri_effective": DECIMALS,
    "sp_effective": DECIMALS,
    "list": DECIMALS,
    "service": FREE_TEXT,
    "product": FREE_TEXT,
    "account": FREE_TEXT,
    "resource": FREE_TEXT,
}
CUR_TAG_COLUMNS = ("resourceTags/user:Project", "resourceTags/user:env")
CUR_ROW = st.fixed_dictionaries(
    {
        **{CUR_NAMES[role]: st.one_of(value, value, GARBAGE) for role, value in CUR_ROLES.items()},
        **{column: FREE_TEXT | NULLISH for column in CUR_TAG_COLUMNS},
    }
)


def write_csv(path: Path, rows: list[dict[str, str | None]], dropped: set[str]) -> None:
    columns = [c for c in rows[0] if c not in dropped]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([["" if row[c] is None else row[c] for c in columns] for row in rows])


def write_parquet(path: Path, rows: list[dict[str, str | None]], dropped: set[str]) -> None:
    columns = [c for c in rows[0] if c not in dropped]
    schema = pa.schema([(c, pa.string()) for c in columns])
    table = pa.Table.from_pylist([{c: row[c] for c in columns} for row in rows], schema=schema)
    pq.write_table(table, path)


def check(name: str, write: Callable[[Path], None]) -> list[SpendRow] | None:
    """Write the file, read it; the invariants of every outcome."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        write(path)
        try:
            rows = read_spend([str(path)], QUERY, TagsPolicy(), cache_dir=Path(folder) / "cache")
        except HygieneError as exc:
            message = str(exc)
            assert MARK not in message, message
            assert "\n" not in message and message.startswith(str(path)), message
            return None
    for row in rows:
        assert is_currency(row.currency), row
        assert isinstance(row.billed_cost, Decimal) and isinstance(row.effective_cost, Decimal)
    return rows


@settings(max_examples=examples(60))
@given(FOCUS_ROWS, DROPPED)
def test_focus_csv_rows(rows: list[dict[str, Any]], dropped: set[str]) -> None:
    check("focus.csv", lambda path: write_csv(path, rows, dropped))


@settings(max_examples=examples(40))
@given(FOCUS_ROWS, DROPPED)
def test_focus_parquet_rows(rows: list[dict[str, Any]], dropped: set[str]) -> None:
    check("focus.parquet", lambda path: write_parquet(path, rows, dropped))


@settings(max_examples=examples(40))
@given(st.lists(CUR_ROW, min_size=1, max_size=8))
def test_legacy_cur_csv_rows(rows: list[dict[str, Any]]) -> None:
    check("cur.csv", lambda path: write_csv(path, rows, set()))


@settings(max_examples=examples(30))
@given(st.lists(st.sampled_from(["usd", "USD", " Usd", "eur", "EUR"]), min_size=1, max_size=6))
def test_currency_spellings_sum_into_one_code_each(codes: list[str]) -> None:
    base = {
        "BilledCost": "1.5",
        "EffectiveCost": "1.5",
        "ListCost": "",
        "ChargePeriodStart": "2024-09-03 00:00:00",
        "ChargePeriodEnd": "2024-09-03 01:00:00",
        "BillingPeriodStart": "2024-09-01 00:00:00",
        "ChargeCategory": "Usage",
        "ServiceName": "EC2",
        "ProviderName": "AWS",
        "SubAccountId": "1",
        "ResourceId": "i-1",
        "Tags": "{}",
    }
    rows: list[dict[str, str | None]] = [{**base, "BillingCurrency": code} for code in codes]
    got = check("focus.csv", lambda path: write_csv(path, rows, set()))
    assert got is not None
    expected: dict[str, Decimal] = {}
    for code in codes:
        key = code.strip().upper()
        expected[key] = expected.get(key, Decimal(0)) + Decimal("1.5")
    assert {r.currency: r.billed_cost for r in got} == expected
    assert len(got) == len(expected)
