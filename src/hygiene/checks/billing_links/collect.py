"""Collector of the ``billing-links`` check: GCP billing accounts, project links and budgets,
and — when ``gcp.billing_export`` is set — every GCP budget's spend from the export (reported in
the check's stats: budgets carry no spend of their own). GCP billing is read once per run and
shared with the ``gcp-budgets`` source of the budgets check (:func:`hygiene.checks.gcp_parts.gcp_billing`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hygiene.checks.gcp_parts import gcp_billing
from hygiene.context import Collection, RunContext
from hygiene.sources.gcp.budget_spend import BudgetSpend


def collect(ctx: RunContext) -> Collection:
    """Billing links and budgets of every project in scope; CheckSkipped without GCP config."""
    read = gcp_billing(ctx)
    billing = read.billing
    stats: dict[str, Any] = {
        "projects": read.projects,
        "billing_accounts": [a.name for a in billing.accounts],
        "gcp_budgets": len(billing.budgets),
    }
    stats.update(read.export)
    stats["budgets"] = [budget_summary(s) for s in read.spends]
    stats.update(read.calls)
    read_links = sorted({p.project_id for p in billing.projects})
    return Collection(records=billing, stats=stats, errors=list(read.errors), scopes=read_links)


def budget_summary(spend: BudgetSpend) -> dict[str, Any]:
    """A GCP budget and its month-to-date spend as JSON-ready stats."""
    budget = spend.budget
    return {
        "name": budget.display_name or budget.budget_id,
        "budget": budget.name,
        "month": spend.month,
        "amount": _money(spend.amount),
        "amount_source": "specified" if budget.amount is not None else "last_period",
        "currency": spend.currency,
        "actual": _money(spend.actual),
        "percent": spend.percent,
        "forecast": _money(spend.forecast),
        "projects": list(budget.projects),
        "services": list(budget.services),
        "labels": {k: list(v) for k, v in budget.labels.items()},
        "unmapped_filters": list(budget.unmapped),
    }


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(Decimal("0.01")))
