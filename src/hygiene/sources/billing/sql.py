"""The spend aggregation query, written once for every engine (see ``dialect.py``).

It reads a relation with the FOCUS columns and returns one row per billing month, charge day,
currency, provider, sub-account, charge category and normalised tag values. Tags are normalised
once per *distinct* tag set rather than once per line item: bills repeat a few thousand tag sets
over millions of rows, so the JSON work shrinks by orders of magnitude.

Correctness rules carried by the query:

* the month is the billing period (``BillingPeriodStart``), not the day of the charge;
* a charge belongs to the day its charge period ``[start, end)`` starts, and only charges that
  started before the run's ``as_of`` count, so a report for a past instant is reproducible;
* costs are summed as decimals, never floats, and never across currencies (currency is a key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hygiene.policy import TagsPolicy
from hygiene.sources.billing.dialect import Dialect
from hygiene.sources.billing.tags import tag_value_sql

#: Output columns before the tag columns, in order.
BASE_OUTPUT = (
    "billing_month",
    "charge_day",
    "currency",
    "provider",
    "sub_account",
    "charge_category",
)


@dataclass(frozen=True)
class SpendQuery:
    """What to aggregate: billing months [first_month, end_month), charges before ``before``."""

    first_month: date
    end_month: date
    before: datetime
    tag_keys: tuple[str, ...]


def clean(expr: str) -> str:
    """Text trimmed, with the literal 'NULL' and '' as nulls (FOCUS CSV writes nulls as NULL)."""
    return f"NULLIF(NULLIF(trim({expr}), 'NULL'), '')"


def tag_column(index: int) -> str:
    """Name of the output column of the ``index``-th tag key (keys may hold any character)."""
    return f"tag_{index}"


def spend_sql(dialect: Dialect, source: str, query: SpendQuery, policy: TagsPolicy) -> str:
    """The aggregation SELECT over ``source`` (a table, view or parenthesised subquery)."""
    q = dialect.ident
    tags_json = f"COALESCE({clean('tags')}, '{{}}')"
    month = dialect.month_start(q("BillingPeriodStart"))
    tags = [
        f"{tag_value_sql(dialect, 'm', key, policy)} AS {tag_column(i)}"
        for i, key in enumerate(query.tag_keys)
    ]
    tag_cols = [tag_column(i) for i in range(len(query.tag_keys))]
    normalised_select = ", ".join(["tags", *tags])
    base_keys = [
        "b.billing_month",
        "b.charge_day",
        clean("b.currency"),
        f"COALESCE({clean('b.provider')}, '')",
        clean("b.sub_account"),
        f"COALESCE({clean('b.charge_category')}, 'Usage')",
    ]
    outer_keys = ", ".join(
        [
            *(f"{e} AS {c}" for e, c in zip(base_keys, BASE_OUTPUT, strict=True)),
            *(f"n.{c}" for c in tag_cols),
        ]
    )
    group_all = ", ".join(str(i) for i in range(1, len(BASE_OUTPUT) + len(tag_cols) + 1))
    return f"""
WITH scoped AS (
  SELECT {month} AS billing_month,
         {dialect.day(q("ChargePeriodStart"))} AS charge_day,
         {q("BillingCurrency")} AS currency,
         {q("ProviderName")} AS provider,
         {q("SubAccountId")} AS sub_account,
         {q("ChargeCategory")} AS charge_category,
         {q("Tags")} AS tags,
         {q("BilledCost")} AS billed_cost,
         {q("EffectiveCost")} AS effective_cost
  FROM {source}
  WHERE {q("BillingPeriodStart")} >= {dialect.timestamp(datetime.combine(query.first_month, datetime.min.time()))}
    AND {q("BillingPeriodStart")} < {dialect.timestamp(datetime.combine(query.end_month, datetime.min.time()))}
    AND {q("ChargePeriodStart")} < {dialect.timestamp(query.before)}
),
by_tagset AS (
  SELECT billing_month, charge_day, currency, provider, sub_account, charge_category, tags,
         SUM(billed_cost) AS billed_cost, SUM(effective_cost) AS effective_cost,
         COUNT(*) AS line_items
  FROM scoped
  GROUP BY 1, 2, 3, 4, 5, 6, 7
),
tagsets AS (
  SELECT tags, {dialect.tag_map(tags_json)} AS m FROM (SELECT DISTINCT tags FROM by_tagset) AS d
),
normalised AS (
  SELECT {normalised_select} FROM tagsets
)
SELECT {outer_keys},
       SUM(b.billed_cost) AS billed_cost, SUM(b.effective_cost) AS effective_cost,
       SUM(b.line_items) AS line_items
FROM by_tagset AS b JOIN normalised AS n ON {dialect.null_safe_equal("b.tags", "n.tags")}
GROUP BY {group_all}
ORDER BY {group_all}
""".strip()


def output_columns(tag_keys: Sequence[str]) -> list[str]:
    """Names of the query's output columns, in order."""
    return [
        *BASE_OUTPUT,
        *(tag_column(i) for i in range(len(tag_keys))),
        "billed_cost",
        "effective_cost",
        "line_items",
    ]
