"""Pure shaping of spend records: the monthly spend table and per-budget status.

The same dict is printed by ``hygiene spend --format json`` and stored in the budgets check's
stats (the monthly report charts it)::

    {"month": "2024-09", "as_of": "…Z", "metric": "BilledCost", "currency": "USD",
     "by": ["Project", "Env"],
     "groups": [{"key": {"Project": "checkout", "Env": "prod"}, "cost": "12.34",
                 "budget": "100.00" | null, "percent": 12.3 | null, "forecast": "40.10",
                 "forecast_method": "trend", "mom_change": -4.2 | null}],
     "untagged": {"cost": "1.00", "share": 7.5},
     "charges": {"credit": "-1.00", "tax": "0.00", "adjustment": "0.00"},
     "total": "13.34", "forecast": "40.10", "forecast_method": "trend", "net": "12.34"}

Amounts are decimal strings rounded to cents; percentages are numbers with one decimal.
``cost``/``total`` are usage and purchases (spend); credits, tax and adjustments are reported
apart under ``charges``, and ``net`` is ``total`` plus them. A row without a value for a ``by``
key belongs to the group whose value for that key is ``null``. ``untagged`` is the usage cost of
rows missing any tag among ``by`` (provider columns never count), as a share of the gross
positive usage cost. ``mom_change`` compares with the same span of the previous billing month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hygiene.checks.budgets.forecast import (
    Forecast,
    elapsed_days,
    forecast_month,
    month_start,
    previous_month,
)
from hygiene.findings import iso_z
from hygiene.policy import Budget, Policy
from hygiene.records.billing import PROVIDER_KEYS, SPEND_KINDS, Metric, SpendRow
from hygiene.tagging import normalise_value

CENT = Decimal("0.01")
ZERO = Decimal(0)


def money(amount: Decimal) -> str:
    """A decimal string rounded to cents (never ``-0.00``)."""
    value = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return str(abs(value) if value == 0 else value)


def percent(part: Decimal, whole: Decimal) -> float | None:
    """``part`` as a percentage of ``whole`` with one decimal; None when whole is not positive."""
    if whole <= 0:
        return None
    return float((part / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def currencies(rows: Iterable[SpendRow], month: date) -> list[str]:
    """The currencies of a billing month's rows, sorted."""
    return sorted({r.currency for r in rows if r.billing_month == month})


def scope_matches(scope: Mapping[str, str], row: SpendRow) -> bool:
    """True when every scope key's value equals the row's (tags already normalised)."""
    return all(row.value(key) == value for key, value in scope.items())


def normalised_scope(budget: Budget, policy: Policy) -> dict[str, str]:
    """A budget's scope with tag values normalised like the bill's (production → prod)."""
    return {
        key: value if key in PROVIDER_KEYS else normalise_value(key, value, policy.tags)
        for key, value in budget.scope.items()
    }


def scope_text(scope: Mapping[str, str]) -> str:
    """``Project=checkout, Env=prod`` (``all`` for an empty scope)."""
    return ", ".join(f"{k}={v}" for k, v in scope.items()) or "all"


def daily(rows: Iterable[SpendRow], metric: Metric) -> dict[date, Decimal]:
    """Spend per charge day."""
    out: dict[date, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.kind in SPEND_KINDS:
            out[row.day] += row.cost(metric)
    return dict(out)


def month_to_date(rows: Iterable[SpendRow], month: date, metric: Metric) -> Decimal:
    """Spend of the billing month (usage and purchases)."""
    return sum(
        (r.cost(metric) for r in rows if r.billing_month == month and r.kind in SPEND_KINDS), ZERO
    )


def forecast_for(
    rows: Sequence[SpendRow], month: date, as_of: datetime, metric: Metric, policy: Policy
) -> tuple[Decimal, Forecast]:
    """Month-to-date and forecast of some rows."""
    mtd = month_to_date(rows, month, metric)
    anomaly = policy.billing.anomaly
    result = forecast_month(
        daily(rows, metric),
        month,
        as_of,
        mtd,
        window=anomaly.window_days,
        min_points=anomaly.min_points,
    )
    return mtd, result


def like_for_like(
    rows: Iterable[SpendRow], month: date, as_of: datetime, metric: Metric
) -> Decimal | None:
    """Spend of the previous billing month over the same span of days; None without data."""
    previous = previous_month(month)
    span = min(
        elapsed_days(month, as_of),
        elapsed_days(previous, datetime.combine(month, datetime.min.time())),
    )
    cutoff = previous + timedelta(days=span)
    found = False
    total = ZERO
    for row in rows:
        if row.billing_month == previous and row.kind in SPEND_KINDS:
            found = True
            if row.day < cutoff:
                total += row.cost(metric)
    return total if found else None


@dataclass(frozen=True)
class BudgetStatus:
    """A budget's actual and forecast spend in its currency."""

    name: str
    scope: str
    amount: Decimal
    currency: str
    actual: Decimal
    forecast: Decimal | None
    method: str
    foreign: Mapping[str, Decimal]  # other currencies found in scope → their spend
    owner: str | None = None
    source: str = "policy"
    account: str | None = None

    @property
    def percent(self) -> float | None:
        """Actual as a percentage of the amount."""
        return percent(self.actual, self.amount)

    @property
    def forecast_percent(self) -> float | None:
        """Forecast as a percentage of the amount."""
        return None if self.forecast is None else percent(self.forecast, self.amount)

    def to_stats(self) -> dict[str, Any]:
        """The per-budget row of the check's stats."""
        return {
            "name": self.name,
            "scope": self.scope,
            "source": self.source,
            "amount": money(self.amount),
            "currency": self.currency,
            "actual": money(self.actual),
            "forecast": None if self.forecast is None else money(self.forecast),
            "forecast_method": self.method,
            "percent": self.percent,
            "forecast_percent": self.forecast_percent,
        }


def budget_status(
    budget: Budget, rows: Sequence[SpendRow], month: date, as_of: datetime, policy: Policy
) -> BudgetStatus:
    """Actual and forecast of a policy budget over the rows in its scope and currency."""
    scope = normalised_scope(budget, policy)
    in_scope = [r for r in rows if scope_matches(scope, r)]
    own = [r for r in in_scope if r.currency == budget.currency]
    foreign: dict[str, Decimal] = defaultdict(Decimal)
    for row in in_scope:
        if (
            row.currency != budget.currency
            and row.billing_month == month
            and row.kind in SPEND_KINDS
        ):
            foreign[row.currency] += row.cost(budget.metric)
    actual, forecast = forecast_for(own, month, as_of, budget.metric, policy)
    return BudgetStatus(
        name=budget.name,
        scope=scope_text(scope),
        amount=budget.amount,
        currency=budget.currency,
        actual=actual,
        forecast=forecast.amount,
        method=forecast.method,
        foreign=dict(foreign),
        owner=budget.owner,
    )


def spend_table(
    rows: Sequence[SpendRow],
    *,
    month: date,
    as_of: datetime,
    by: Sequence[str],
    metric: Metric,
    currency: str,
    policy: Policy,
) -> dict[str, Any]:
    """The monthly spend table (see the module docstring for its shape)."""
    mine = [r for r in rows if r.currency == currency]
    current = [r for r in mine if r.billing_month == month]
    groups: dict[tuple[str | None, ...], list[SpendRow]] = defaultdict(list)
    for row in mine:
        groups[tuple(row.value(k) for k in by)].append(row)
    budgets = {
        tuple(sorted(normalised_scope(b, policy).items())): b
        for b in policy.budgets
        if b.metric == metric and b.currency == currency and set(b.scope) == set(by)
    }
    ranked: list[tuple[Decimal, list[tuple[bool, str]], dict[str, Any]]] = []
    for key, group_rows in groups.items():
        mtd, forecast = forecast_for(group_rows, month, as_of, metric, policy)
        has_month = any(r.billing_month == month and r.kind in SPEND_KINDS for r in group_rows)
        if not has_month:
            continue
        named = dict(zip(by, key, strict=True))
        budget = budgets.get(tuple(sorted((k, v) for k, v in named.items() if v is not None)))
        if budget is not None and any(v is None for v in named.values()):
            budget = None
        previous = like_for_like(group_rows, month, as_of, metric)
        order = [(v is None, v or "") for v in key]
        ranked.append(
            (
                mtd,
                order,
                {
                    "key": named,
                    "cost": money(mtd),
                    "budget": money(budget.amount) if budget else None,
                    "percent": percent(mtd, budget.amount) if budget else None,
                    "forecast": money(forecast.amount),
                    "forecast_method": forecast.method,
                    "mom_change": _change(mtd, previous),
                },
            )
        )
    ranked.sort(key=lambda item: (-item[0], item[1]))
    out_groups = [entry for _, _, entry in ranked]
    tag_keys = [k for k in by if k not in PROVIDER_KEYS]
    untagged, gross = untagged_usage(current, tag_keys, metric)
    charges: dict[str, Decimal] = {"credit": ZERO, "tax": ZERO, "adjustment": ZERO}
    for row in current:
        if row.kind in charges:
            charges[row.kind] += row.cost(metric)
    total, total_forecast = forecast_for(mine, month, as_of, metric, policy)
    return {
        "month": month.strftime("%Y-%m"),
        "as_of": iso_z(as_of),
        "metric": metric,
        "currency": currency,
        "by": list(by),
        "groups": out_groups,
        "untagged": {"cost": money(untagged), "share": percent(untagged, gross) or 0.0},
        "charges": {k: money(v) for k, v in charges.items()},
        "total": money(total),
        "forecast": money(total_forecast.amount),
        "forecast_method": total_forecast.method,
        "net": money(total + sum(charges.values(), ZERO)),
    }


def untagged_usage(
    rows: Iterable[SpendRow], keys: Sequence[str], metric: Metric
) -> tuple[Decimal, Decimal]:
    """(positive usage cost missing any of ``keys``, gross positive usage cost)."""
    untagged = gross = ZERO
    for row in rows:
        cost = row.cost(metric)
        if row.kind != "usage" or cost <= 0:
            continue
        gross += cost
        # a key absent from the row's mapping was not read (Cost Explorer groups by two keys)
        if any(k in row.tags and row.tags[k] is None for k in keys):
            untagged += cost
    return untagged, gross


def _change(current: Decimal, previous: Decimal | None) -> float | None:
    if previous is None or previous == 0:
        return None
    return float(((current - previous) / abs(previous) * 100).quantize(Decimal("0.1")))


def as_of_cutoff(as_of: datetime) -> datetime:
    """Exclusive upper bound (naive UTC) of the charge periods a run counts: ``as_of`` itself,
    or the next midnight when ``as_of`` is a day's last second (``--as-of YYYY-MM-DD``)."""
    moment = as_of.astimezone(UTC).replace(tzinfo=None) if as_of.tzinfo else as_of
    if (moment.hour, moment.minute, moment.second) == (23, 59, 59):
        return datetime.combine(moment.date() + timedelta(days=1), datetime.min.time())
    return moment


__all__ = ["BudgetStatus", "budget_status", "month_start", "spend_table"]
