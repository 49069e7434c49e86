"""The one budget figure a headline may show, without adding up budgets that overlap.

Budgets are often layered: an organisation-wide budget, one per Project, one per Owner. Their
amounts may not be summed — a euro of the checkout project's spend counts against the org-wide,
the checkout and the team-payments budgets at once. Two budgets whose scopes have the *same keys*
and different values (``Project=checkout``, ``Project=search``) select disjoint spend, so
their amounts and actuals add up honestly. The headline therefore uses one *basis*:

1. the organisation-wide budget (empty scope), when the policy has one in the currency;
2. else the set of scope keys whose budgets cover the most of the month's spend (ties: fewer
   keys, then the keys' names), summing only those budgets.

Pure: inputs are the budgets' statuses, output a dict for the check's stats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hygiene.checks.budgets.spend import BudgetStatus, money, percent

ZERO = Decimal(0)


def budget_basis(
    statuses: Sequence[tuple[BudgetStatus, frozenset[str]]], currency: str, total: Decimal
) -> dict[str, Any] | None:
    """The headline budget of ``currency`` from (status, its scope's keys) pairs; None when no
    policy budget is in that currency. ``total`` is the month's spend, for the covered share."""
    by_keys: dict[frozenset[str], dict[str, BudgetStatus]] = defaultdict(dict)
    for status, keys in statuses:
        if status.currency == currency:
            # the same keys and values twice is one scope: keep the first budget of it
            by_keys[keys].setdefault(status.scope, status)
    if not by_keys:
        return None
    if frozenset() in by_keys:
        chosen = frozenset[str]()
    else:
        chosen = min(
            by_keys,
            key=lambda keys: (
                -sum((s.actual for s in by_keys[keys].values()), ZERO),
                len(keys),
                sorted(keys),
            ),
        )
    members = sorted(by_keys[chosen].values(), key=lambda s: s.name)
    amount = sum((s.amount for s in members), ZERO)
    actual = sum((s.actual for s in members), ZERO)
    forecasts = [s.forecast for s in members]
    known = [f for f in forecasts if f is not None]
    forecast = sum(known, ZERO) if len(known) == len(forecasts) else None
    return {
        "basis": "all" if not chosen else "+".join(sorted(chosen)),
        "budgets": [s.name for s in members],
        "currency": currency,
        "amount": money(amount),
        "actual": money(actual),
        "forecast": None if forecast is None else money(forecast),
        "percent": percent(actual, amount),
        "forecast_percent": None if forecast is None else percent(forecast, amount),
        "covers_percent_of_spend": percent(actual, total) if total > 0 else None,
        "not_summed": sorted({"+".join(sorted(k)) or "all" for k in by_keys if k != chosen}),
    }
