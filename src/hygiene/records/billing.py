"""The internal billing model: FOCUS 1.0 columns in, plain spend records out.

Every adapter (FOCUS files, AWS CUR legacy and 2.0, Cost Explorer, the GCP BigQuery export)
produces a relation with :data:`FOCUS_COLUMNS`; the aggregation turns it into
:class:`SpendRow` records, one per billing month, charge day, currency, provider, sub-account,
charge category and normalised tag values. Nothing here imports an SDK or opens a file, so checks
can use these records directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

#: The FOCUS columns hygiene reads, with the SQL type it casts them to.
FOCUS_COLUMNS: dict[str, str] = {
    "BilledCost": "decimal",
    "EffectiveCost": "decimal",
    "ListCost": "decimal",
    "BillingCurrency": "varchar",
    "ChargePeriodStart": "timestamp",
    "ChargePeriodEnd": "timestamp",
    "BillingPeriodStart": "timestamp",
    "ChargeCategory": "varchar",
    "ServiceName": "varchar",
    "ProviderName": "varchar",
    "SubAccountId": "varchar",
    "ResourceId": "varchar",
    "Tags": "varchar",
}

#: Columns the FOCUS specification lets a provider leave out; read as NULL when absent.
OPTIONAL_COLUMNS: frozenset[str] = frozenset({"Tags", "ResourceId", "SubAccountId", "ListCost"})

#: Budget scope keys that are provider columns rather than tags.
PROVIDER_KEYS: frozenset[str] = frozenset({"ProviderName", "SubAccountId"})

Metric = Literal["BilledCost", "EffectiveCost"]
Kind = Literal["usage", "purchase", "tax", "credit", "adjustment"]

#: FOCUS ChargeCategory (case-insensitive) → how hygiene books it. Usage and purchases are spend;
#: credits, tax and adjustments are reported apart from it.
CHARGE_KINDS: dict[str, Kind] = {
    "usage": "usage",
    "purchase": "purchase",
    "tax": "tax",
    "credit": "credit",
    "adjustment": "adjustment",
}
SPEND_KINDS: frozenset[str] = frozenset({"usage", "purchase"})


def charge_kind(category: str | None) -> Kind:
    """A FOCUS ChargeCategory as hygiene's kind; unknown or missing categories count as usage."""
    return CHARGE_KINDS.get((category or "").strip().lower(), "usage")


@dataclass(frozen=True)
class SpendRow:
    """Cost of one (billing month, charge day, currency, provider, sub-account, category, tags)."""

    billing_month: date  # first day of the billing period's month
    day: date  # the UTC day the charge period starts
    currency: str
    provider: str
    sub_account: str | None
    category: str  # FOCUS ChargeCategory as found
    tags: Mapping[str, str | None]  # canonical key → normalised value (None: missing)
    billed_cost: Decimal
    effective_cost: Decimal
    line_items: int = 0

    @property
    def kind(self) -> Kind:
        """usage | purchase | tax | credit | adjustment."""
        return charge_kind(self.category)

    def cost(self, metric: Metric) -> Decimal:
        """BilledCost or EffectiveCost of the row."""
        return self.billed_cost if metric == "BilledCost" else self.effective_cost

    def value(self, key: str) -> str | None:
        """A scope key's value: provider columns by name, anything else as a normalised tag."""
        if key == "ProviderName":
            return self.provider
        if key == "SubAccountId":
            return self.sub_account
        return self.tags.get(key)


@dataclass(frozen=True)
class AlertThreshold:
    """A provider budget's alert: a percentage of its amount, on actual or forecast spend."""

    percent: float  # 80.0 for 80 %
    basis: Literal["actual", "forecast"] = "actual"


@dataclass(frozen=True)
class ProviderBudget:
    """A budget defined in a provider (AWS Budgets, GCP), with its spend figures.

    ``thresholds`` are the budget's own alerts (AWS notifications, GCP threshold rules): ``()``
    when it has none, ``None`` when they were not read (both judged with ``billing.thresholds``).
    """

    provider: str
    account: str
    name: str
    amount: Decimal
    currency: str
    actual: Decimal
    forecast: Decimal | None
    time_unit: str = "MONTHLY"
    thresholds: tuple[AlertThreshold, ...] | None = None


@dataclass
class SpendData:
    """What the budgets collector hands the budgets check."""

    rows: list[SpendRow] = field(default_factory=list)
    provider_budgets: list[ProviderBudget] = field(default_factory=list)
    tag_keys: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
