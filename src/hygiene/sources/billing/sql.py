"""The spend aggregation query, written once for every engine (see ``dialect.py``).

It reads a relation with the FOCUS columns and returns one row per billing month, charge day,
currency, provider, sub-account, service, charge category and normalised tag values. Tags are normalised
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
    "sub_account_name",
    "service",
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
    month = dialect.month_start(q("BillingPeriodStart"))
    tag_cols = [tag_column(i) for i in range(len(query.tag_keys))]
    base_keys = [
        "b.billing_month",
        "b.charge_day",
        clean("b.currency"),
        f"COALESCE({clean('b.provider')}, '')",
        clean("b.sub_account"),
        clean("b.sub_account_name"),
        clean("b.service"),
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
         {q("SubAccountName")} AS sub_account_name,
         {q("ServiceName")} AS service,
         {q("ChargeCategory")} AS charge_category,
         {q("Tags")} AS tags,
         {q("AllocatedTags")} AS allocated_tags,
         {q("BilledCost")} AS billed_cost,
         {q("EffectiveCost")} AS effective_cost
  FROM {source}
  WHERE {_period(dialect, query.first_month, query.end_month, query.before)}
),
by_tagset AS (
  SELECT billing_month, charge_day, currency, provider, sub_account, sub_account_name, service,
         charge_category, tags, allocated_tags,
         SUM(billed_cost) AS billed_cost, SUM(effective_cost) AS effective_cost,
         COUNT(*) AS line_items
  FROM scoped
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
),
{_tagset_ctes(dialect, "by_tagset", query.tag_keys, policy)}
SELECT {outer_keys},
       SUM(b.billed_cost) AS billed_cost, SUM(b.effective_cost) AS effective_cost,
       SUM(b.line_items) AS line_items
FROM by_tagset AS b JOIN normalised AS n ON {_same_tagset(dialect, "b", "n")}
GROUP BY {group_all}
ORDER BY {group_all}
""".strip()


def _period(dialect: Dialect, first_month: date, end_month: date, before: datetime) -> str:
    """WHERE: billing periods in [first_month, end_month), charges started before ``before``."""
    q = dialect.ident

    def at(day: date) -> str:
        return dialect.timestamp(datetime.combine(day, datetime.min.time()))

    return (
        f"{q('BillingPeriodStart')} >= {at(first_month)}\n"
        f"    AND {q('BillingPeriodStart')} < {at(end_month)}\n"
        f"    AND {q('ChargePeriodStart')} < {dialect.timestamp(before)}"
    )


def _tagset_ctes(dialect: Dialect, grouped: str, keys: Sequence[str], policy: TagsPolicy) -> str:
    """The ``tagsets`` and ``normalised`` CTEs over the distinct (Tags, AllocatedTags) pairs of
    ``grouped``: each key's value from AllocatedTags (FOCUS 1.3 split cost allocation: the tags of
    the allocation's target), else from Tags — the union of both."""

    def as_map(expr: str) -> str:
        return dialect.tag_map(f"COALESCE({clean(expr)}, '{{}}')")

    values = [
        f"COALESCE({tag_value_sql(dialect, 'a', key, policy)}, "
        f"{tag_value_sql(dialect, 'm', key, policy)}) AS {tag_column(i)}"
        for i, key in enumerate(keys)
    ]
    return f"""tagsets AS (
  SELECT tags, allocated_tags, {as_map("tags")} AS m, {as_map("allocated_tags")} AS a
  FROM (SELECT DISTINCT tags, allocated_tags FROM {grouped}) AS d
),
normalised AS (
  SELECT {", ".join(["tags", "allocated_tags", *values])} FROM tagsets
)"""


def _same_tagset(dialect: Dialect, left: str, right: str) -> str:
    return (
        f"{dialect.null_safe_equal(f'{left}.tags', f'{right}.tags')} "
        f"AND {dialect.null_safe_equal(f'{left}.allocated_tags', f'{right}.allocated_tags')}"
    )


def output_columns(tag_keys: Sequence[str]) -> list[str]:
    """Names of the query's output columns, in order."""
    return [
        *BASE_OUTPUT,
        *(tag_column(i) for i in range(len(tag_keys))),
        "billed_cost",
        "effective_cost",
        "line_items",
    ]


# --------------------------------------------------------------------------- per-resource cost


@dataclass(frozen=True)
class ResourceQuery:
    """Per-resource cost of billing month ``month`` for charges before ``before``: at most
    ``limit`` resources per currency (the costliest), the rest summed in one tail row."""

    month: date
    before: datetime
    tag_keys: tuple[str, ...]
    limit: int = 50_000


#: Output columns of ``resource_sql`` before the tag columns, in order.
RESOURCE_OUTPUT = (
    "currency",
    "resource_id",
    "untaggable",
    "tail",
    "provider",
    "sub_account",
    "service",
    "resource_name",
)
#: The totals after the tag columns.
RESOURCE_TOTALS = ("billed_cost", "effective_cost", "line_items", "resources")


def untaggable_sql(
    category: str, resource: str, service: str, seller: str, billers: Sequence[str]
) -> str:
    """SQL: the ``UNTAGGABLE`` label of a charge (NULL: it can carry tags), over cleaned text
    expressions. Tax always; without a resource: support plans, marketplace charges (a seller
    that is none of ``billers``: the invoice issuer, host provider, provider), data transfer,
    purchases (commitments, subscriptions)."""
    svc = f"lower({service})"
    foreign = " AND ".join(f"lower({seller}) <> COALESCE(lower({b}), '')" for b in billers)
    return (
        f"CASE WHEN lower({category}) = 'tax' THEN 'tax' "
        f"WHEN {resource} IS NOT NULL THEN NULL "
        f"WHEN {svc} LIKE '%support%' THEN 'support' "
        f"WHEN {seller} IS NOT NULL AND {foreign} THEN 'marketplace' "
        f"WHEN {svc} LIKE '%data transfer%' OR {svc} LIKE '%datatransfer%' THEN 'data-transfer' "
        f"WHEN lower({category}) = 'purchase' THEN 'purchase' END"
    )


def resource_sql(dialect: Dialect, source: str, query: ResourceQuery, policy: TagsPolicy) -> str:
    """The per-resource cost SELECT over ``source`` (FOCUS columns): one row per currency and
    resource (its tags: the value any of its lines carries), one per currency and untaggable
    label, one per currency and tag values for taggable charges without a resource, and one tail
    row per currency summing the resources beyond ``query.limit``. Credits and adjustments are
    left out (they are no resource's spend)."""
    q = dialect.ident
    keys = query.tag_keys
    tag_cols = [tag_column(i) for i in range(len(keys))]
    category = f"COALESCE({clean('charge_category')}, 'Usage')"
    resource = clean("resource_id")
    untaggable = untaggable_sql(
        category,
        resource,
        clean("service"),
        f"COALESCE({clean('service_provider')}, {clean('publisher')})",
        [clean("issuer"), clean("host_provider"), clean("provider")],
    )
    end = _next_month(query.month)
    kept = "lower(charge_category) NOT IN ('credit', 'adjustment')"
    # resources: their tags are any line's value; other rows keep their tag values as a key
    own = "c.resource_id IS NOT NULL"
    grouped_tags = [f"CASE WHEN {own} THEN NULL ELSE n.{c} END" for c in tag_cols]
    tag_max = [f"MAX(n.{c}) AS {c}" for c in tag_cols]
    tail = (
        f"CASE WHEN r.resource_id IS NOT NULL AND r.position > {int(query.limit)} THEN 1 ELSE 0 END"
    )
    ranked_tags = [f"CASE WHEN {tail} = 1 THEN NULL ELSE MAX(r.{c}) END AS {c}" for c in tag_cols]
    key_cols = [f"{e} AS key_{c}" for e, c in zip(grouped_tags, tag_cols, strict=True)]
    kept_id = f"CASE WHEN {tail} = 1 THEN NULL ELSE r.resource_id END"
    key_group = ", ".join(f"r.key_{c}" for c in tag_cols)
    return f"""
WITH scoped AS (
  SELECT {q("ResourceId")} AS resource_id,
         {q("ResourceName")} AS resource_name,
         {q("BillingCurrency")} AS currency,
         {q("ProviderName")} AS provider,
         {q("SubAccountId")} AS sub_account,
         {q("ServiceName")} AS service,
         {q("ChargeCategory")} AS charge_category,
         {q("PublisherName")} AS publisher,
         {q("ServiceProviderName")} AS service_provider,
         {q("InvoiceIssuerName")} AS issuer,
         {q("HostProviderName")} AS host_provider,
         {q("Tags")} AS tags,
         {q("AllocatedTags")} AS allocated_tags,
         {q("BilledCost")} AS billed_cost,
         {q("EffectiveCost")} AS effective_cost
  FROM {source}
  WHERE {_period(dialect, query.month, end, query.before)}
),
by_line AS (
  SELECT resource_id, resource_name, currency, provider, sub_account, service, charge_category,
         publisher, service_provider, issuer, host_provider, tags, allocated_tags,
         SUM(billed_cost) AS billed_cost, SUM(effective_cost) AS effective_cost,
         COUNT(*) AS line_items
  FROM scoped
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
),
classed AS (
  SELECT CASE WHEN u.untaggable IS NULL THEN u.resource_id END AS resource_id, u.untaggable,
         u.resource_name, u.currency, u.provider, u.sub_account, u.service, u.tags,
         u.allocated_tags, u.billed_cost, u.effective_cost, u.line_items
  FROM (
    SELECT {resource} AS resource_id, {untaggable} AS untaggable,
           {clean("resource_name")} AS resource_name, {clean("currency")} AS currency,
           COALESCE({clean("provider")}, '') AS provider, {clean("sub_account")} AS sub_account,
           {clean("service")} AS service, {category} AS charge_category, tags, allocated_tags,
           billed_cost, effective_cost, line_items
    FROM by_line
  ) AS u
  WHERE {kept}
),
{_tagset_ctes(dialect, "classed", keys, policy)},
per_resource AS (
  SELECT c.currency, c.resource_id, c.untaggable, {", ".join([*key_cols, *tag_max]) + "," if tag_cols else ""}
         MAX(c.provider) AS provider, MAX(c.sub_account) AS sub_account,
         MAX(c.service) AS service, MAX(c.resource_name) AS resource_name,
         SUM(c.billed_cost) AS billed_cost, SUM(c.effective_cost) AS effective_cost,
         SUM(c.line_items) AS line_items
  FROM classed AS c JOIN normalised AS n ON {_same_tagset(dialect, "c", "n")}
  GROUP BY {", ".join(["c.currency", "c.resource_id", "c.untaggable", *grouped_tags])}
),
ranked AS (
  SELECT p.*, ROW_NUMBER() OVER (
           PARTITION BY p.currency, p.resource_id IS NULL
           ORDER BY GREATEST(ABS(p.billed_cost), ABS(p.effective_cost)) DESC, p.resource_id
         ) AS position
  FROM per_resource AS p
)
SELECT r.currency AS currency, {kept_id} AS resource_id, r.untaggable AS untaggable,
       {tail} AS tail,
       CASE WHEN {tail} = 1 THEN NULL ELSE MAX(r.provider) END AS provider,
       CASE WHEN {tail} = 1 THEN NULL ELSE MAX(r.sub_account) END AS sub_account,
       CASE WHEN {tail} = 1 THEN NULL ELSE MAX(r.service) END AS service,
       CASE WHEN {tail} = 1 THEN NULL ELSE MAX(r.resource_name) END AS resource_name,
       {"".join(t + ", " for t in ranked_tags)}SUM(r.billed_cost) AS billed_cost,
       SUM(r.effective_cost) AS effective_cost, SUM(r.line_items) AS line_items,
       COUNT(r.resource_id) AS resources
FROM ranked AS r
GROUP BY {", ".join(["r.currency", kept_id, "r.untaggable", tail, *([key_group] if tag_cols else [])])}
ORDER BY 1, 4, GREATEST(ABS(SUM(r.billed_cost)), ABS(SUM(r.effective_cost))) DESC, 2, 3
""".strip()


def resource_output_columns(tag_keys: Sequence[str]) -> list[str]:
    """Names of ``resource_sql``'s output columns, in order."""
    return [*RESOURCE_OUTPUT, *(tag_column(i) for i in range(len(tag_keys))), *RESOURCE_TOTALS]


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)
