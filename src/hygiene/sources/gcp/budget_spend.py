"""GCP budgets carry no spend: this computes it from the billing export's FOCUS rows. Pure.

A budget's filter becomes a predicate over rows, following the Budget API's semantics:

* billing account: the budget's own;
* ``projects``: ``SubAccountId`` in the list (empty: every project of the account);
* ``services``: ``x_ServiceId`` in the list (``services/6F81-…`` → ``6F81-…``; empty: all);
* ``labels``: for each key, the row's ``Tags`` value is one of the listed values (Tags are the
  resource's labels over its project's — the export does not say which one a budget meant);
* credits: ``Credit`` rows count unless ``EXCLUDE_ALL_CREDITS`` (``INCLUDE_SPECIFIED_CREDITS``
  counts them all: the FOCUS rows do not keep the credit type);
* taxes never count (Cloud Billing budgets exclude tax);
* only rows billed in the budget's currency count — currencies are never added.

The period is the calendar month of ``as_of`` (usage time), up to ``as_of``; a budget following
last period's spend (``last_period_amount``) takes last month's spend under the same filter as its
amount. The forecast is the month-to-date run rate projected to the month's end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hygiene.records.gcp import GcpBudget


@dataclass(frozen=True)
class BudgetSpend:
    """A GCP budget and its spend this month, from the export."""

    budget: GcpBudget
    amount: Decimal | None  # the budget's amount (last month's spend for last-period budgets)
    currency: str
    actual: Decimal
    forecast: Decimal | None
    month: str  # "2026-11"

    @property
    def percent(self) -> float | None:
        """Actual as a percentage of the amount."""
        if not self.amount:
            return None
        return float(round(self.actual * 100 / self.amount, 1))


def month_bounds(as_of: datetime) -> tuple[datetime, datetime, datetime]:
    """(last month's start, this month's start, next month's start) around ``as_of``, UTC."""
    moment = as_of.astimezone(UTC)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = (
        start.replace(year=start.year - 1, month=12)
        if start.month == 1
        else start.replace(month=start.month - 1)
    )
    following = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return previous, start, following


def matches(budget: GcpBudget, row: Mapping[str, Any]) -> bool:
    """True when the FOCUS row falls under the budget's filter (see the module docstring)."""
    if row.get("BillingAccountId") != budget.billing_account.removeprefix("billingAccounts/"):
        return False
    category = str(row.get("ChargeCategory") or "Usage")
    if category == "Tax":
        return False
    if category == "Credit" and budget.credit_types_treatment == "EXCLUDE_ALL_CREDITS":
        return False
    if budget.projects and row.get("SubAccountId") not in budget.projects:
        return False
    if budget.services:
        wanted = {s.removeprefix("services/") for s in budget.services}
        if row.get("x_ServiceId") not in wanted:
            return False
    if budget.labels:
        tags = _tags(row.get("Tags"))
        for key, values in budget.labels.items():
            if tags.get(key) not in values:
                return False
    return True


def budget_spend(
    budget: GcpBudget, rows: Iterable[Mapping[str, Any]], as_of: datetime
) -> BudgetSpend:
    """The budget's month-to-date spend, forecast and (for last-period budgets) amount."""
    previous, start, following = month_bounds(as_of)
    moment = as_of.astimezone(UTC)
    currency = budget.currency or _first_currency(budget, rows)
    actual = Decimal(0)
    last_month = Decimal(0)
    for row in rows:
        if row.get("BillingCurrency") != currency or not matches(budget, row):
            continue
        charged = _utc(row["ChargePeriodStart"])
        cost = Decimal(row["BilledCost"])
        if start <= charged < moment:
            actual += cost
        elif previous <= charged < start:
            last_month += cost
    amount = budget.amount if budget.amount is not None else last_month
    elapsed = (moment - start).total_seconds()
    whole = (following - start).total_seconds()
    forecast = (
        (actual * Decimal(whole) / Decimal(elapsed)).quantize(Decimal("0.01"))
        if elapsed > 0
        else None
    )
    return BudgetSpend(
        budget=budget,
        amount=amount,
        currency=currency,
        actual=actual,
        forecast=forecast,
        month=f"{start.year}-{start.month:02d}",
    )


def _first_currency(budget: GcpBudget, rows: Iterable[Mapping[str, Any]]) -> str:
    for row in rows:
        if row.get("BillingAccountId") == budget.billing_account.removeprefix("billingAccounts/"):
            return str(row.get("BillingCurrency") or "")
    return ""


def _tags(value: Any) -> dict[str, str]:
    if not value:
        return {}
    return dict(json.loads(value)) if isinstance(value, str) else dict(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
