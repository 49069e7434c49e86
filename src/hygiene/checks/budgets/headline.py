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
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hygiene.checks.budgets.spend import money, percent

ZERO = Decimal(0)
Budget = Mapping[str, Any]  # a budget's row of the check's stats (``BudgetStatus.to_stats``)


def scope_keys(scope: str) -> frozenset[str]:
    """The keys of a budget's scope text (``Project=checkout, Env=prod``; ``all``: none)."""
    if scope.strip() in ("", "all"):
        return frozenset()
    return frozenset(part.split("=", 1)[0].strip() for part in scope.split(", ") if "=" in part)


def _amount(budget: Budget, key: str) -> Decimal | None:
    value = budget.get(key)
    return None if value is None else Decimal(str(value))


def budget_basis(
    budgets: Sequence[tuple[Budget, frozenset[str]]], currency: str, total: Decimal
) -> dict[str, Any] | None:
    """The headline budget of ``currency`` from (budget row, its scope's keys) pairs; None when
    no budget is in that currency. ``total`` is the month's spend, for the covered share."""
    by_keys: dict[frozenset[str], dict[str, Budget]] = defaultdict(dict)
    for budget, keys in budgets:
        if budget.get("currency") == currency:
            # the same keys and values twice is one scope: keep the first budget of it
            by_keys[keys].setdefault(str(budget.get("scope")), budget)
    if not by_keys:
        return None

    def actual(keys: frozenset[str]) -> Decimal:
        return sum((_amount(b, "actual") or ZERO for b in by_keys[keys].values()), ZERO)

    if frozenset() in by_keys:
        chosen = frozenset[str]()
    else:
        chosen = min(by_keys, key=lambda keys: (-actual(keys), len(keys), sorted(keys)))
    members = sorted(by_keys[chosen].values(), key=lambda b: str(b.get("name")))
    amount = sum((_amount(b, "amount") or ZERO for b in members), ZERO)
    spent = actual(chosen)
    forecasts = [_amount(b, "forecast") for b in members]
    known = [f for f in forecasts if f is not None]
    forecast = sum(known, ZERO) if len(known) == len(forecasts) else None
    return {
        "basis": "all" if not chosen else "+".join(sorted(chosen)),
        "budgets": [str(b.get("name")) for b in members],
        "currency": currency,
        "amount": money(amount),
        "actual": money(spent),
        "forecast": None if forecast is None else money(forecast),
        "percent": percent(spent, amount),
        "forecast_percent": None if forecast is None else percent(forecast, amount),
        "covers_percent_of_spend": percent(spent, total) if total > 0 else None,
        "not_summed": sorted({"+".join(sorted(k)) or "all" for k in by_keys if k != chosen}),
    }


def basis_of_stats(
    budgets: Sequence[Budget], currency: str | None, total: Decimal
) -> dict[str, Any] | None:
    """:func:`budget_basis` over the stats' policy budgets (provider budgets left out: their
    scopes are the provider's), for runs recorded before the stats carried one."""
    if not currency:
        return None
    rows = [
        (b, scope_keys(str(b.get("scope") or "")))
        for b in budgets
        if b.get("source", "policy") == "policy"
    ]
    return budget_basis(rows, currency, total)
