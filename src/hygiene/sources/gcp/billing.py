"""Billing with ``google-cloud-billing`` and budgets with ``google-cloud-billing-budgets``.

Billing accounts the caller can see, each project's link (``getBillingInfo``), and the budgets of
every account seen, their filters mapped to project ids, services and labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hygiene.records.gcp import (
    BillingAccount,
    GcpBilling,
    GcpBudget,
    GcpProject,
    ProjectBilling,
    Threshold,
)
from hygiene.sources.gcp.scope import Call, GcpScope, describe_error

BILLING_API = "cloudbilling.googleapis.com"
BUDGETS_API = "billingbudgets.googleapis.com"


def collect_billing(
    scope: GcpScope, projects: Sequence[GcpProject]
) -> tuple[GcpBilling, list[str]]:
    """Accounts, project links and budgets; the errors of the calls that failed."""
    from google.api_core import exceptions as gexc

    result = GcpBilling()
    errors: list[str] = []
    accounts_call = Call("billing.listBillingAccounts", BILLING_API, "caller")
    try:
        scope.count(accounts_call.method)
        result.accounts = [
            account_from_proto(a)
            for a in scope.client("billing").list_billing_accounts(retry=scope.retry)
        ]
        result.accounts_read = True
    except gexc.GoogleAPICallError as exc:
        errors.append(describe_error(accounts_call, exc))
    links = scope.fan_out(
        [Call("billing.getBillingInfo", BILLING_API, f"project {p.project_id}") for p in projects],
        lambda call: _billing_info(scope, call.target.removeprefix("project ")),
    )
    labels = {p.project_id: p.labels for p in projects}
    result.projects = [
        ProjectBilling(
            info.project_id,
            info.billing_account,
            info.billing_enabled,
            labels.get(info.project_id, {}),
        )
        for _, info in links.values
    ]
    errors += links.errors
    numbers = {p.number: p.project_id for p in projects if p.number}
    # Budgets of the accounts listed; when listing failed, of the accounts the projects bill to.
    linked = {p.billing_account for p in result.projects if p.billing_account}
    accounts = sorted({a.name for a in result.accounts} if result.accounts_read else linked)
    budgets = scope.fan_out(
        [
            Call(
                "budgets.listBudgets",
                BUDGETS_API,
                f"billingAccount {a.removeprefix('billingAccounts/')}",
            )
            for a in accounts
        ],
        lambda call: _budgets(
            scope, "billingAccounts/" + call.target.removeprefix("billingAccount "), numbers
        ),
    )
    for call, found in budgets.values:
        result.budgets += found
        result.budgets_read.add("billingAccounts/" + call.target.removeprefix("billingAccount "))
    errors += budgets.errors
    return result, errors


def _billing_info(scope: GcpScope, project_id: str) -> ProjectBilling:
    scope.count("billing.getBillingInfo")
    info = scope.client("billing").get_project_billing_info(
        name=f"projects/{project_id}", retry=scope.retry
    )
    return ProjectBilling(
        project_id=info.project_id or project_id,
        billing_account=info.billing_account_name,
        billing_enabled=bool(info.billing_enabled),
    )


def _budgets(scope: GcpScope, account: str, numbers: Mapping[str, str]) -> list[GcpBudget]:
    pager = scope.client("budgets").list_budgets(parent=account, retry=scope.retry)
    budgets = []
    for page in pager.pages:
        scope.count("budgets.listBudgets")
        budgets += [budget_from_proto(b, account, numbers) for b in page.budgets]
    return budgets


def account_from_proto(proto: Any) -> BillingAccount:
    """A ``billing_v1.BillingAccount`` → ``BillingAccount``."""
    return BillingAccount(
        name=proto.name,
        display_name=proto.display_name,
        open=bool(proto.open_),
        currency=getattr(proto, "currency_code", "") or "",
    )


def money(units: int, nanos: int) -> Decimal:
    """``google.type.Money`` units + nanos → Decimal (exact)."""
    return Decimal(units) + Decimal(nanos) / Decimal(1_000_000_000)


def budget_from_proto(proto: Any, account: str, numbers: Mapping[str, str]) -> GcpBudget:
    """A ``budgets_v1.Budget`` → ``GcpBudget``; project numbers mapped to ids where known."""
    flt = proto.budget_filter
    amount: Decimal | None = None
    currency = ""
    if "specified_amount" in proto.amount:
        specified = proto.amount.specified_amount
        amount, currency = money(specified.units, specified.nanos), specified.currency_code
    projects = tuple(numbers.get(p.removeprefix("projects/"), p) for p in flt.projects)
    labels = {key: tuple(str(v) for v in values) for key, values in flt.labels.items()}
    thresholds = tuple(
        Threshold(
            percent=round(rule.threshold_percent * 100, 4),
            basis="forecast" if _name(rule.spend_basis) == "FORECASTED_SPEND" else "actual",
        )
        for rule in proto.threshold_rules
    )
    return GcpBudget(
        name=proto.name,
        display_name=proto.display_name,
        billing_account=account,
        amount=amount,
        currency=currency,
        projects=projects,
        services=tuple(flt.services),
        labels=labels,
        credit_types_treatment=_name(flt.credit_types_treatment) or "INCLUDE_ALL_CREDITS",
        calendar_period=_name(flt.calendar_period) or "MONTH",
        unmapped=unmapped_filters(flt),
        thresholds=thresholds,
    )


def _name(enum_value: Any) -> str:
    name = getattr(enum_value, "name", "")
    return "" if name.endswith("UNSPECIFIED") else str(name)


def unmapped_filters(flt: Any) -> tuple[str, ...]:
    """Budget filters the export rows cannot be matched on: their spend would be wrong."""
    names = []
    if list(flt.resource_ancestors):
        names.append("resource_ancestors")
    if list(flt.subaccounts):
        names.append("subaccounts")
    if "custom_period" in flt:
        names.append("custom_period")
    if _name(flt.calendar_period) not in ("", "MONTH"):
        names.append(f"calendar_period={_name(flt.calendar_period)}")
    return tuple(names)
