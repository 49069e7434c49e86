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
    "SubAccountName": "varchar",
    "ResourceId": "varchar",
    "Tags": "varchar",
    # read for the spend ↔ resources join (optional; FOCUS versions differ in which they have)
    "ResourceName": "varchar",
    "AllocatedTags": "varchar",  # 1.3: tags of a split cost allocation's target
    "ServiceCategory": "varchar",
    "ChargeClass": "varchar",
    "PublisherName": "varchar",  # 1.0–1.2; 1.3 calls the seller ServiceProviderName
    "InvoiceIssuerName": "varchar",
    "ServiceProviderName": "varchar",  # 1.3
    "HostProviderName": "varchar",  # 1.3
}

#: Columns the FOCUS specification lets a provider leave out (or that one version has and
#: another lacks); read as NULL when absent. ``ProviderName`` is gone in FOCUS 1.4: its place is
#: taken by ``HostProviderName`` (else ``ServiceProviderName``), see ``sources/billing/focus.py``.
OPTIONAL_COLUMNS: frozenset[str] = frozenset(
    {
        "Tags",
        "ResourceId",
        "SubAccountId",
        "SubAccountName",
        "ListCost",
        "ProviderName",
        "ResourceName",
        "AllocatedTags",
        "ServiceCategory",
        "ChargeClass",
        "PublisherName",
        "InvoiceIssuerName",
        "ServiceProviderName",
        "HostProviderName",
    }
)

#: Spend that cannot carry tags, by label (``ResourceCost.untaggable``): kept apart from the tag
#: coverage, never counted as untagged. Decided from ChargeCategory, ResourceId, ServiceName and
#: the seller (``sources/billing/sql.untaggable_sql``).
UNTAGGABLE: dict[str, str] = {
    "tax": "Tax",
    "support": "Support plans",
    "marketplace": "Marketplace charges without a resource",
    "data-transfer": "Data transfer without a resource",
    "purchase": "Purchases without a resource (commitments, subscriptions)",
}

#: Budget scope keys that are provider columns rather than tags.
PROVIDER_KEYS: frozenset[str] = frozenset({"ProviderName", "SubAccountId", "ServiceName"})

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
    """Cost of one (billing month, charge day, currency, provider, sub-account, service,
    category, tags)."""

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
    service: str | None = None  # FOCUS ServiceName (None: not in the source, e.g. Cost Explorer)
    sub_account_name: str | None = None  # FOCUS SubAccountName, when the source has it

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
        if key == "ServiceName":
            return self.service
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


@dataclass(frozen=True)
class ResourceCost:
    """Cost of one resource in the billing month, in one currency (usage, purchases and tax).

    ``resource_id`` is the bill's (FOCUS ResourceId, CUR ``line_item_resource_id``, the GCP
    export's ``resource.global_name``); it is None for a row of the charges without a resource
    (``untaggable`` says which kind, None: taggable spend judged by its tags), and for the
    ``tail`` row summing the ``resources`` beyond the limit of one read. ``tags`` are the bill's
    normalised values (a value any of the resource's lines carries; None when none does).
    """

    resource_id: str | None
    currency: str
    provider: str
    sub_account: str | None
    service: str | None
    untaggable: str | None
    tags: Mapping[str, str | None]
    billed_cost: Decimal
    effective_cost: Decimal
    line_items: int = 0
    resources: int = 1
    tail: bool = False
    name: str | None = None  # FOCUS ResourceName, the GCP export's resource.name

    def cost(self, metric: Metric) -> Decimal:
        """BilledCost or EffectiveCost of the row."""
        return self.billed_cost if metric == "BilledCost" else self.effective_cost


@dataclass
class ResourceSpend:
    """Per-resource cost of one billing month: at most ``limit`` resources per currency (the most
    costly), a tail row for the rest, and the charges without a resource."""

    month: date
    limit: int
    costs: list[ResourceCost] = field(default_factory=list)


@dataclass
class SpendData:
    """What the budgets collector hands the budgets check."""

    rows: list[SpendRow] = field(default_factory=list)
    provider_budgets: list[ProviderBudget] = field(default_factory=list)
    tag_keys: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    resources: ResourceSpend | None = None  # read when the run asks for it (the audit does)
