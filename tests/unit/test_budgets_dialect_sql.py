"""The one aggregation query, spelled for DuckDB, Athena (Trino) and BigQuery, parses in each
engine's grammar (sqlglot); DuckDB also runs it (see test_budgets_focus_sample.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlglot

from hygiene.policy import TagsPolicy
from hygiene.sources.billing.dialect import DIALECTS
from hygiene.sources.billing.sql import SpendQuery, spend_sql

QUERY = SpendQuery(date(2024, 9, 1), date(2024, 11, 1), datetime(2024, 11, 1), ("Project", "Env"))
GRAMMAR = {"duckdb": "duckdb", "athena": "trino", "bigquery": "bigquery"}


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_the_query_parses_in_each_engine(name: str) -> None:
    dialect = DIALECTS[name]
    source = "`billing.focus`" if name == "bigquery" else dialect.ident("focus")
    sql = spend_sql(dialect, source, QUERY, TagsPolicy())
    tree = sqlglot.parse_one(sql, read=GRAMMAR[name], error_level=sqlglot.ErrorLevel.RAISE)
    ctes = [cte.alias for cte in tree.find_all(sqlglot.exp.CTE)]
    assert ctes == ["scoped", "by_tagset", "tagsets", "normalised"]
    outputs = [e.alias_or_name for e in tree.expressions]
    assert outputs == [
        "billing_month",
        "charge_day",
        "currency",
        "provider",
        "sub_account",
        "sub_account_name",
        "service",
        "charge_category",
        "tag_0",
        "tag_1",
        "billed_cost",
        "effective_cost",
        "line_items",
    ]


def test_only_the_tag_lookup_lines_differ() -> None:
    duck = spend_sql(DIALECTS["duckdb"], "focus", QUERY, TagsPolicy()).splitlines()
    athena = spend_sql(DIALECTS["athena"], "focus", QUERY, TagsPolicy()).splitlines()
    assert len(duck) == len(athena)
    differing = [(d, a) for d, a in zip(duck, athena, strict=True) if d != a]
    assert [d.split("(")[0].strip() for d, _ in differing] == [
        "SELECT tags, allocated_tags, CAST",
        "SELECT tags, allocated_tags, COALESCE",
    ]
    assert "CAST(json(" in differing[0][0] and "CAST(json_parse(" in differing[0][1]
    assert (
        "list_filter(list_sort(map_entries(m))" in differing[1][0]
        and "map_filter(m, (k, v)" in differing[1][1]
    )
