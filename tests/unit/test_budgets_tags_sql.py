"""The SQL tag normalisation agrees with hygiene.tagging on the FOCUS sample and on dirty tags."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from hygiene.policy import TagsPolicy
from hygiene.sources.billing.dialect import DIALECTS, DuckDBDialect
from hygiene.sources.billing.tags import tag_value_sql, tag_values

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "focus" / "focus_sample.csv"
KEYS = ("Project", "Owner", "Env", "org", "CostCenter")

DIRTY = [
    {},
    {"Env": "prod"},
    {"env": "Production"},
    {" Environment ": " stg "},
    {"ENV": "PROD", "Env": "dev"},  # the exact key wins over an alias
    {"environment": "dev", "Stage": "prod"},  # two aliases: the alphabetically first key wins
    {"Stage": "prod", "environment": "dev"},  # ("Stage" < "environment"), whatever the order
    {"env": None, "Environment": "staging"},  # a JSON null is no tag
    {"env": "staging", "Environment": "  "},  # the first key's empty value counts as missing
    {"Project": "", "project": "checkout"},
    {"project_name": "Check Out ", "team": "payments"},
    {"Owner": 42, "org": "x", " org": "y"},
    {"costcenter": "CC-1", "Env": "qa"},
    {"Env": "it's"},
]


def sql_values(
    raw_tags: list[str | None], keys: tuple[str, ...], policy: TagsPolicy
) -> list[dict[str, str | None]]:
    dialect = DuckDBDialect()
    exprs = ", ".join(f"{tag_value_sql(dialect, 'm', key, policy)}" for key in keys)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, tags VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(raw_tags)))
    tag_map = dialect.tag_map("COALESCE(tags, '{}')")
    rows = con.execute(
        f"SELECT i, {exprs} FROM (SELECT i, {tag_map} AS m FROM t) ORDER BY i"
    ).fetchall()
    return [dict(zip(keys, row[1:], strict=True)) for row in rows]


def test_sql_agrees_with_python_on_every_tag_set_of_the_focus_sample() -> None:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        raw = sorted({row["Tags"] for row in csv.DictReader(handle) if row["Tags"] != "NULL"})
    policy = TagsPolicy()
    expected = [tag_values(r, KEYS, policy) for r in raw]
    assert sql_values(list(raw), KEYS, policy) == expected
    # the sample really exercises normalisation: alias keys reach Env, exact Project stays
    assert {e["Env"] for e in expected} == {"dev", "prod", None}
    assert {e["Project"] for e in expected} == {"Foo", None}


def test_sql_agrees_with_python_on_dirty_tags() -> None:
    policy = TagsPolicy()
    raw = [json.dumps(t) for t in DIRTY]
    expected = [tag_values(t, KEYS, policy) for t in DIRTY]
    assert sql_values(raw, KEYS, policy) == expected
    assert [e["Env"] for e in expected] == [
        None,
        "prod",
        "prod",
        "staging",
        "dev",
        "prod",
        "prod",
        "staging",
        None,
        None,
        None,
        None,
        "qa",
        "it's",
    ]
    # an exact key with an empty value wins over an alias and counts as missing
    assert [e["Project"] for e in expected][9:11] == [None, "Check Out"]
    assert expected[10]["Owner"] == "payments"
    assert expected[11]["org"] == "x"
    assert expected[12]["CostCenter"] == "CC-1"


def test_other_dialects_spell_the_same_lookup() -> None:
    policy = TagsPolicy()
    athena = tag_value_sql(DIALECTS["athena"], "m", "Env", policy)
    bigquery = tag_value_sql(DIALECTS["bigquery"], "m", "Env", policy)
    assert "map_filter(m, (k, v) -> k = 'Env'" in athena
    assert "'environment'" in athena and "'production' THEN 'prod'" in athena
    assert "UNNEST(JSON_KEYS(m, 1))" in bigquery and "LAX_STRING(m[k])" in bigquery
    assert "'stage', 'stg'" not in bigquery  # value aliases are a CASE, keys are an IN list


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_every_dialect_quotes_strings(name: str) -> None:
    assert DIALECTS[name].string("it's") in ("'it''s'", "'it\\'s'")
