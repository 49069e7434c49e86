"""AWS Cost and Usage Reports as FOCUS columns, written once for every engine that holds them.

The file reader (``billing_files.py``: legacy CUR and CUR 2.0 files on DuckDB) and the Athena
pushdown (``athena.py``: a CUR 2.0 table, ``athena://DB.TABLE?schema=cur2``) build the same
expressions here, so a CUR 2.0 bill gives the same spend rows wherever it is read. What a
column's type means and how engines spell it is ``Columns`` + ``dialect.py``.

The mapping:

* ``BilledCost`` is the unblended cost; ``EffectiveCost`` is the reservation's effective cost for
  ``DiscountedUsage``, the savings plan's for ``SavingsPlanCoveredUsage``, 0 for
  ``SavingsPlanNegation`` and savings-plan fees, else the unblended cost (only when both
  effective-cost columns exist; otherwise the unblended cost);
* ``ChargeCategory`` from the line item type: ``Tax``; ``Credit``, ``Refund`` and the discounts
  (``BundledDiscount``, ``Discount``, ``EdpDiscount``, ``PrivateRateDiscount``) are ``Credit``;
  fees (``Fee``, ``RIFee``, savings-plan upfront and recurring fees) are ``Purchase``; anything
  else is ``Usage``;
* currency from the line item's currency code; charge period from the usage start and end; the
  billing period from the bill's period start; ``ProviderName`` ``AWS``; sub-account, resource,
  service (else the product code) and list cost when their columns exist, else NULL;
* ``Tags``: CUR 2.0's ``resource_tags`` map with the ``user_`` prefix of user-defined keys
  dropped (the policy names them bare), as JSON text; legacy CUR's ``resourceTags/user:*``
  columns are assembled by the file reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hygiene.errors import HygieneError
from hygiene.sources.billing.dialect import ColumnKind, Dialect


class CurColumnsMissing(HygieneError):
    """A relation read as a CUR lacks a column the mapping needs."""


@dataclass(frozen=True)
class Columns:
    """The columns of one relation (name → kind) and how to read each in ``dialect``."""

    dialect: Dialect
    kinds: Mapping[str, ColumnKind]

    @classmethod
    def of(cls, dialect: Dialect, types: Mapping[str, str]) -> Columns:
        """From the engine's column types (name → type name)."""
        return cls(dialect, {name: dialect.column_kind(kind) for name, kind in types.items()})

    def __contains__(self, name: object) -> bool:
        return name in self.kinds

    def kind(self, name: str) -> ColumnKind:
        return self.kinds.get(name, "text")

    def text(self, name: str) -> str:
        """A grouping column as found: the aggregation cleans it (``sql.clean``) after grouping,
        once per group rather than once per line item."""
        ref = self.dialect.ident(name)
        return ref if self.kind(name) == "text" else f"CAST({ref} AS {self.dialect.text_type})"

    def clean(self, name: str) -> str:
        """Trimmed text; the literal 'NULL' and '' are nulls (values cast per row)."""
        ref = self.dialect.ident(name)
        if self.kind(name) != "text":
            return f"CAST({ref} AS {self.dialect.text_type})"
        return f"NULLIF(NULLIF(trim({ref}), 'NULL'), '')"

    def decimal(self, name: str) -> str:
        source = self.clean(name) if self.kind(name) == "text" else self.dialect.ident(name)
        return f"CAST({source} AS {self.dialect.decimal_type})"

    def timestamp(self, name: str) -> str:
        """A naive UTC timestamp."""
        kind = self.kind(name)
        if kind == "timestamp":
            return self.dialect.ident(name)
        source = self.clean(name) if kind == "text" else self.dialect.ident(name)
        return self.dialect.utc_timestamp(source, kind)

    def null(self, kind: str = "VARCHAR") -> str:
        if kind == "decimal":
            return f"CAST(NULL AS {self.dialect.decimal_type})"
        return f"CAST(NULL AS {self.dialect.text_type if kind == 'VARCHAR' else kind})"


CUR_CATEGORY = (
    "CASE {t} WHEN 'Tax' THEN 'Tax' WHEN 'Credit' THEN 'Credit' WHEN 'Refund' THEN 'Credit' "
    "WHEN 'BundledDiscount' THEN 'Credit' WHEN 'Discount' THEN 'Credit' "
    "WHEN 'EdpDiscount' THEN 'Credit' WHEN 'PrivateRateDiscount' THEN 'Credit' "
    "WHEN 'Fee' THEN 'Purchase' WHEN 'RIFee' THEN 'Purchase' "
    "WHEN 'SavingsPlanUpfrontFee' THEN 'Purchase' WHEN 'SavingsPlanRecurringFee' THEN 'Purchase' "
    "ELSE 'Usage' END"
)

#: Legacy CUR column of each role in the mapping (``cur_exprs``).
CUR_NAMES: dict[str, str] = {
    "cost": "lineItem/UnblendedCost",
    "currency": "lineItem/CurrencyCode",
    "start": "lineItem/UsageStartDate",
    "end": "lineItem/UsageEndDate",
    "period": "bill/BillingPeriodStartDate",
    "type": "lineItem/LineItemType",
    "ri_effective": "reservation/EffectiveCost",
    "sp_effective": "savingsPlan/SavingsPlanEffectiveCost",
    "list": "pricing/publicOnDemandCost",
    "service": "product/ProductName",
    "product": "lineItem/ProductCode",
    "account": "lineItem/UsageAccountId",
    "resource": "lineItem/ResourceId",
    "entity": "bill/BillingEntity",
    "seller": "lineItem/LegalEntity",
}
#: CUR 2.0 column of each role in the mapping (``cur_exprs``).
CUR2_NAMES: dict[str, str] = {
    "cost": "line_item_unblended_cost",
    "currency": "line_item_currency_code",
    "start": "line_item_usage_start_date",
    "end": "line_item_usage_end_date",
    "period": "bill_billing_period_start_date",
    "type": "line_item_line_item_type",
    "ri_effective": "reservation_effective_cost",
    "sp_effective": "savings_plan_savings_plan_effective_cost",
    "list": "pricing_public_on_demand_cost",
    "service": "product_servicecode",
    "product": "line_item_product_code",
    "account": "line_item_usage_account_id",
    "account_name": "line_item_usage_account_name",
    "resource": "line_item_resource_id",
    "entity": "bill_billing_entity",
    "seller": "line_item_legal_entity",
}
#: Roles whose column must exist.
REQUIRED_ROLES = ("cost", "currency", "start", "end", "period", "type")
#: The tags map of CUR 2.0, and the prefix of its user-defined keys.
CUR2_TAGS = "resource_tags"
USER_PREFIX = "user_"


def required_missing(columns: Columns, names: Mapping[str, str]) -> list[str]:
    """Columns the mapping needs that the relation lacks."""
    return [names[role] for role in REQUIRED_ROLES if names[role] not in columns]


def cur_exprs(columns: Columns, names: Mapping[str, str], tags: str) -> dict[str, str]:
    """FOCUS column → expression, for a CUR relation whose columns are ``names[role]``."""
    missing = required_missing(columns, names)
    if missing:
        raise CurColumnsMissing(f"CUR columns missing: {', '.join(missing)}")

    def opt(role: str, fallback: str) -> str:
        name = names[role]
        return columns.text(name) if name in columns else fallback

    decimal_type = columns.dialect.decimal_type
    cost = columns.decimal(names["cost"])
    line_type = columns.clean(names["type"])
    effective = cost
    if names["ri_effective"] in columns and names["sp_effective"] in columns:
        effective = (
            f"CASE {line_type} WHEN 'DiscountedUsage' THEN {columns.decimal(names['ri_effective'])} "
            f"WHEN 'SavingsPlanCoveredUsage' THEN {columns.decimal(names['sp_effective'])} "
            f"WHEN 'SavingsPlanNegation' THEN CAST(0 AS {decimal_type}) "
            f"WHEN 'SavingsPlanUpfrontFee' THEN CAST(0 AS {decimal_type}) "
            f"WHEN 'SavingsPlanRecurringFee' THEN CAST(0 AS {decimal_type}) ELSE {cost} END"
        )
    list_cost = (
        columns.decimal(names["list"]) if names["list"] in columns else columns.null("decimal")
    )
    return {
        "BilledCost": cost,
        "EffectiveCost": effective,
        "ListCost": list_cost,
        "BillingCurrency": columns.text(names["currency"]),
        "ChargePeriodStart": columns.timestamp(names["start"]),
        "ChargePeriodEnd": columns.timestamp(names["end"]),
        "BillingPeriodStart": columns.timestamp(names["period"]),
        "ChargeCategory": CUR_CATEGORY.format(t=line_type),
        "ServiceName": opt("service", opt("product", columns.null())),
        "ProviderName": "'AWS'",
        "SubAccountId": opt("account", columns.null()),
        "ResourceId": opt("resource", columns.null()),
        "Tags": tags,
        **_join_exprs(columns, names),
    }


def _join_exprs(columns: Columns, names: Mapping[str, str]) -> dict[str, str]:
    """The columns the spend ↔ resources join reads: a CUR knows the seller only through its
    billing entity (``AWS Marketplace``) and legal entity, and has no ServiceCategory."""
    null = columns.null()
    publisher = issuer = null
    if names["entity"] in columns:
        entity = columns.clean(names["entity"])
        seller = columns.clean(names["seller"]) if names["seller"] in columns else "NULL"
        publisher = (
            f"CASE WHEN {entity} = 'AWS Marketplace' "
            f"THEN COALESCE({seller}, 'AWS Marketplace') ELSE 'AWS' END"
        )
        issuer = "'AWS'"
    account_name = (
        columns.text(names["account_name"]) if names.get("account_name", "") in columns else null
    )
    return {
        "SubAccountName": account_name,
        "ResourceName": null,
        "AllocatedTags": null,
        "ServiceCategory": null,
        "ChargeClass": null,
        "PublisherName": publisher,
        "InvoiceIssuerName": issuer,
        "ServiceProviderName": null,
        "HostProviderName": null,
    }


def cur2_tags(columns: Columns) -> str:
    """``resource_tags`` (a map, or JSON text) without the ``user_`` key prefix, as JSON text."""
    dialect = columns.dialect
    if CUR2_TAGS not in columns:
        return columns.null()
    if columns.kind(CUR2_TAGS) == "map":
        as_map = dialect.ident(CUR2_TAGS)
    else:
        as_map = dialect.tag_map(columns.clean(CUR2_TAGS))
    return dialect.map_json(dialect.strip_key_prefix(as_map, USER_PREFIX))


def cur2_exprs(columns: Columns) -> dict[str, str]:
    """FOCUS column → expression over a CUR 2.0 relation."""
    return cur_exprs(columns, CUR2_NAMES, cur2_tags(columns))


def select(columns: Columns, exprs: Mapping[str, str], relation: str) -> str:
    """``SELECT expr AS "FocusName", … FROM relation``."""
    ident = columns.dialect.ident
    body = ", ".join(f"{expr} AS {ident(name)}" for name, expr in exprs.items())
    return f"SELECT {body} FROM {relation}"


def cur2_select(columns: Columns, relation: str) -> str:
    """The FOCUS columns of a CUR 2.0 relation (a table, or a parenthesised reader)."""
    return select(columns, cur2_exprs(columns), relation)
