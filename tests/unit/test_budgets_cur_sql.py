"""The CUR 2.0 → FOCUS mapping of ``billing/cur.py`` is one text for every engine: the Athena
query over a CUR 2.0 table is the DuckDB one with only the ``Dialect`` methods' output swapped
(the DuckDB one is run against the file reader in
tests/integration/test_scale_billing_pushdown_cur2.py). Column kinds come from each engine's
type names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from hygiene.policy import TagsPolicy
from hygiene.sources.billing.athena import AthenaSource, athena_sql
from hygiene.sources.billing.cur import CUR2_NAMES, Columns, CurColumnsMissing, cur2_exprs
from hygiene.sources.billing.dialect import AthenaDialect, Dialect, DuckDBDialect
from hygiene.sources.billing.sql import SpendQuery
from tests.fixtures.scale.cur2 import CSV_TYPES, PARQUET_TYPES

QUERY = SpendQuery(date(2024, 9, 1), date(2024, 11, 1), datetime(2024, 10, 20), ("Project", "Env"))
SOURCE = AthenaSource.parse("athena://billing.cur2?schema=cur2")
#: Every method engines may spell differently.
METHODS = [
    name
    for name, value in vars(Dialect).items()
    if callable(value) and not name.startswith("_") and name != "column_kind"
]


def recording(base: type[Dialect]) -> tuple[Dialect, list[tuple[str, str]]]:
    """An instance of ``base`` that records (method, output) of every outermost method call."""
    calls: list[tuple[str, str]] = []
    depth = [0]

    def wrap(name: str, method: Callable[..., str]) -> Callable[..., str]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> str:
            depth[0] += 1
            try:
                out = method(self, *args, **kwargs)
            finally:
                depth[0] -= 1
            if depth[0] == 0:
                calls.append((name, out))
            return out

        return wrapper

    recorder = type(
        f"Recording{base.__name__}", (base,), {m: wrap(m, getattr(base, m)) for m in METHODS}
    )
    return recorder(), calls


@pytest.mark.parametrize("types", [PARQUET_TYPES, CSV_TYPES], ids=["parquet", "csv"])
def test_athena_text_is_the_duckdb_text_with_only_the_dialect_pieces_swapped(
    types: dict[str, str],
) -> None:
    athena, athena_calls = recording(AthenaDialect)
    duck, duck_calls = recording(DuckDBDialect)
    athena_text = athena_sql(SOURCE, QUERY, TagsPolicy(), types, dialect=athena)
    duck_text = athena_sql(SOURCE, QUERY, TagsPolicy(), types, dialect=duck)
    assert [name for name, _ in athena_calls] == [name for name, _ in duck_calls]
    swapped = athena_text
    pairs = sorted(zip(athena_calls, duck_calls, strict=True), key=lambda p: -len(p[0][1]))
    for (_name, ours), (_same, theirs) in pairs:
        swapped = swapped.replace(ours, theirs)
    assert swapped == duck_text
    differing = {a[0] for a, d in zip(athena_calls, duck_calls, strict=True) if a[1] != d[1]}
    expected = {"tag_map", "first_tag_value", "trim", "strip_key_prefix", "map_json"}
    if types is CSV_TYPES:
        expected.add("utc_timestamp")
    assert differing == expected


def test_column_kinds_from_each_engines_type_names() -> None:
    athena, duck = AthenaDialect(), DuckDBDialect()
    assert [
        athena.column_kind(t)
        for t in (
            "string",
            "varchar(12)",
            "timestamp",
            "map<string,string>",
            "double",
            "struct<a:int>",
        )
    ] == ["text", "text", "timestamp", "map", "other", "json"]
    assert [
        duck.column_kind(t)
        for t in (
            "VARCHAR",
            "TIMESTAMP",
            "TIMESTAMP WITH TIME ZONE",
            "MAP(VARCHAR, VARCHAR)",
            "DOUBLE",
        )
    ] == ["text", "timestamp", "other", "map", "other"]


def test_optional_columns_the_table_lacks_are_null_and_required_ones_an_error() -> None:
    required = {
        CUR2_NAMES[r]: "string" for r in ("cost", "currency", "start", "end", "period", "type")
    }
    exprs = cur2_exprs(Columns.of(AthenaDialect(), required))
    assert exprs["Tags"] == "CAST(NULL AS VARCHAR)"
    assert exprs["SubAccountId"] == "CAST(NULL AS VARCHAR)"
    assert exprs["ListCost"] == "CAST(NULL AS DECIMAL(38,12))"
    assert exprs["EffectiveCost"] == exprs["BilledCost"]  # no reservation / savings-plan columns
    with pytest.raises(CurColumnsMissing, match="CUR columns missing: line_item_currency_code"):
        cur2_exprs(
            Columns.of(AthenaDialect(), {k: v for k, v in required.items() if "currency" not in k})
        )
