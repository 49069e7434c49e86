"""FOCUS versions 1.0–1.4 as hygiene reads them: which columns tell a version apart, and the
columns one version renamed or dropped, mapped onto the internal model (``records/billing``).

* 1.0 → 1.2 only add columns (1.1: ``ServiceSubcategory``, ``CapacityReservationId``,
  ``SkuPriceDetails``…; 1.2: ``InvoiceId``, ``BillingAccountType``, ``PricingCurrency``…);
* 1.3 adds ``ServiceProviderName`` and ``HostProviderName`` (``ProviderName`` and
  ``PublisherName`` deprecated), ``ContractApplied`` and split cost allocation
  (``AllocatedTags``, ``AllocatedResourceId``…): tags are ``Tags`` ∪ ``AllocatedTags``;
* 1.4 drops ``ProviderName``: the model's provider is then ``HostProviderName`` (unless "Not
  Applicable"), else ``ServiceProviderName``.

Which columns a file has is read from it; ``version_of`` is what the budgets check reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from hygiene.errors import HygieneError
from hygiene.records.billing import FOCUS_COLUMNS, OPTIONAL_COLUMNS
from hygiene.sources.billing.cur import Columns
from hygiene.sources.billing.dialect import Dialect

#: Columns introduced by each version (only the ones that tell versions apart).
INTRODUCED: dict[str, frozenset[str]] = {
    "1.1": frozenset(
        {"ServiceSubcategory", "CapacityReservationId", "SkuPriceDetails", "SkuMeter"}
    ),
    "1.2": frozenset({"InvoiceId", "BillingAccountType", "SubAccountType", "PricingCurrency"}),
    "1.3": frozenset(
        {"ServiceProviderName", "HostProviderName", "ContractApplied", "AllocatedTags"}
    ),
}
NOT_APPLICABLE = "Not Applicable"


def version_of(columns: Iterable[str]) -> str:
    """The FOCUS version a column set looks like: ``1.0``, ``1.1``, ``1.2``, ``1.3`` or
    ``1.4`` (1.3's columns without ``ProviderName``)."""
    names = set(columns)
    found = "1.0"
    for version, introduced in INTRODUCED.items():
        if names & introduced:
            found = version
    if found == "1.3" and "ProviderName" not in names:
        return "1.4"
    return found


def provider_expr(host: str | None, service: str | None, null: str) -> str:
    """The model's ``ProviderName`` for a relation without one (FOCUS 1.4), from the SQL of its
    ``HostProviderName`` and ``ServiceProviderName`` (None: absent)."""
    parts = []
    if host is not None:
        parts.append(f"NULLIF({host}, '{NOT_APPLICABLE}')")
    if service is not None:
        parts.append(service)
    if not parts:
        return null
    return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"


class FocusColumnsMissing(HygieneError):
    """A relation read as FOCUS lacks a column every version has."""


#: The FOCUS 1.0 columns hygiene reads: what a pushed-down FOCUS table is assumed to hold when
#: its columns cannot be read (kinds unknown: each is cast).
FOCUS_1_0 = frozenset(FOCUS_COLUMNS) - {
    "AllocatedTags",
    "ServiceProviderName",
    "HostProviderName",
}


def assumed_columns(dialect: Dialect) -> Columns:
    """The columns of a FOCUS 1.0 table whose types are unknown."""
    return Columns(dialect, dict.fromkeys(sorted(FOCUS_1_0), "other"))


def focus_columns_exprs(columns: Columns) -> dict[str, str]:
    """FOCUS model column → expression over a FOCUS 1.0–1.4 relation with ``columns``: absent
    optional columns are NULL, ``ProviderName`` of 1.4 comes from ``provider_expr``, tag maps
    or structs become JSON text."""
    missing = [c for c in FOCUS_COLUMNS if c not in columns and c not in OPTIONAL_COLUMNS]
    if missing:
        raise FocusColumnsMissing(
            f"FOCUS columns missing: {', '.join(missing)} (is this a FOCUS 1.0–1.4 export?)"
        )
    dialect = columns.dialect
    exprs: dict[str, str] = {}
    for name, kind in FOCUS_COLUMNS.items():
        if name == "ProviderName" and name not in columns:  # FOCUS 1.4
            exprs[name] = provider_expr(
                columns.text("HostProviderName") if "HostProviderName" in columns else None,
                columns.text("ServiceProviderName") if "ServiceProviderName" in columns else None,
                columns.null(),
            )
        elif name not in columns:
            exprs[name] = columns.null("decimal" if kind == "decimal" else "VARCHAR")
        elif name in ("Tags", "AllocatedTags"):
            # as found: 'NULL', blank and invalid-looking values are handled once per distinct
            # tag set; a map or struct becomes its JSON text
            ref = dialect.ident(name)
            exprs[name] = dialect.map_json(ref) if columns.kind(name) in ("map", "json") else ref
        elif kind == "decimal":
            exprs[name] = columns.decimal(name)
        elif kind == "timestamp":
            exprs[name] = columns.timestamp(name)
        else:
            exprs[name] = columns.text(name)
    return exprs
