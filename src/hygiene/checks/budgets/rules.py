"""The budgets check: spend against the policy's budgets, untagged spend and anomalies.

Pure: takes the collected :class:`~hygiene.records.billing.SpendData`, the policy and
``as_of``; the month is the billing period containing ``as_of``. Rules (severities from
``billing.severity``):

* ``budget-exceeded`` — month-to-date spend reached the budget's amount;
* ``budget-threshold`` — actual crossed an ``thresholds.actual`` percentage below 100;
* ``forecast-exceeds-budget`` — the month-end forecast crosses a ``thresholds.forecast``
  percentage while actual is still under the amount;
* ``budget-without-alerts`` — a budget defined in AWS Budgets or GCP has no alert thresholds of
  its own (no AWS notification on actual or forecast spend, no GCP threshold rule), so crossing it
  tells nobody;
* ``no-budget`` — spend carrying a ``Project`` tag that no budget covers;
* ``untagged-spend`` — the share of gross positive usage cost missing a required tag is above
  ``billing.untagged_max_percent``;
* ``spend-anomaly`` — a day of this month far outside its trailing window (``checks/forecast.py``);
* ``currency-mismatch`` — spend in a budget's scope billed in another currency; it is never
  converted or added, only reported.

Budgets defined in AWS Budgets or GCP (``ProviderBudget``) are judged beside the policy's own,
against their own alert thresholds — actual-spend alerts against actual, forecast-spend alerts
against the forecast — or, when they have none, against ``billing.provider_thresholds``; the
findings' ``details.threshold_source`` says which (``budget`` or ``policy``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hygiene.checks.budgets.forecast import anomalies, complete_days, month_start
from hygiene.checks.budgets.spend import (
    BudgetStatus,
    budget_status,
    money,
    normalised_scope,
    percent,
    scope_matches,
    untagged_usage,
)
from hygiene.findings import Finding
from hygiene.policy import Budget, Policy, Thresholds
from hygiene.records.billing import SPEND_KINDS, ProviderBudget, SpendData, SpendRow

CHECK = "budgets"
PROJECT_KEY = "Project"


def evaluate(records: SpendData, policy: Policy, as_of: datetime) -> list[Finding]:
    """All budgets findings for the billing month containing ``as_of``."""
    month = month_start(as_of)
    rows = records.rows
    findings: list[Finding] = []
    for budget in policy.budgets:
        status = budget_status(budget, rows, month, as_of, policy)
        findings += budget_findings(status, budget.thresholds, policy, budget)
        findings += currency_findings(status, budget, policy)
    for provider_budget in records.provider_budgets:
        status = provider_status(provider_budget)
        thresholds, source = provider_thresholds(provider_budget, policy)
        findings += budget_findings(status, thresholds, policy, None, source)
        if provider_budget.thresholds == ():
            findings.append(without_alerts_finding(status, thresholds, policy))
    if PROJECT_KEY in records.tag_keys:
        findings += no_budget_findings(rows, month, policy)
    findings += untagged_findings(rows, month, policy, records.tag_keys)
    findings += anomaly_findings(rows, month, as_of, policy)
    return findings


def provider_status(budget: ProviderBudget) -> BudgetStatus:
    """A provider budget in the same shape as a policy budget's status."""
    return BudgetStatus(
        name=budget.name,
        scope=f"{budget.provider.lower()}:{budget.account}",
        amount=budget.amount,
        currency=budget.currency,
        actual=budget.actual,
        forecast=budget.forecast,
        method="provider",
        foreign={},
        source=budget.provider.lower(),
        account=budget.account,
    )


def provider_thresholds(budget: ProviderBudget, policy: Policy) -> tuple[Thresholds, str]:
    """What a provider budget is judged against, and where that comes from: its own alert
    thresholds (``"budget"``) when it has any, else ``billing.provider_thresholds``
    (``"policy"``)."""
    if not budget.thresholds:
        return policy.billing.provider_thresholds, "policy"
    own = Thresholds(
        actual=sorted({t.percent for t in budget.thresholds if t.basis == "actual"}),
        forecast=sorted({t.percent for t in budget.thresholds if t.basis == "forecast"}),
    )
    return own, "budget"


def _thresholds(thresholds: Thresholds) -> dict[str, list[float]]:
    return {"actual": list(thresholds.actual), "forecast": list(thresholds.forecast)}


def _severity(policy: Policy, rule: str) -> str:
    return policy.billing.severity_of(rule)


def _resource(status: BudgetStatus) -> str:
    if status.source == "policy":
        return f"budget:{status.name}"
    return f"{status.source}-budget:{status.account}:{status.name}"


def budget_findings(
    status: BudgetStatus,
    thresholds: Thresholds,
    policy: Policy,
    budget: Budget | None,
    threshold_source: str = "budget",
) -> list[Finding]:
    """budget-exceeded, budget-threshold and forecast-exceeds-budget for one budget.

    ``threshold_source`` names where ``thresholds`` come from (``budget``: the budget's own;
    ``policy``: ``billing.provider_thresholds`` for a provider budget without alerts).
    """
    scope = normalised_scope(budget, policy) if budget else {}
    common: dict[str, Any] = {
        "owner": status.owner,
        "project": scope.get(PROJECT_KEY),
        "env": scope.get("Env"),
    }
    details: dict[str, Any] = {
        "budget": status.name,
        "scope": status.scope,
        "source": status.source,
        "amount": money(status.amount),
        "currency": status.currency,
        "actual": money(status.actual),
        "percent": status.percent,
        "forecast": None if status.forecast is None else money(status.forecast),
        "forecast_percent": status.forecast_percent,
        "forecast_method": status.method,
    }
    if status.account:
        details["account"] = status.account
    judged = {"threshold_source": threshold_source, "thresholds": _thresholds(thresholds)}
    resource = _resource(status)
    used = status.percent or 0.0
    label = f"{status.name} ({status.scope})"
    if status.actual >= status.amount:
        return [
            Finding.create(
                check=CHECK,
                rule="budget-exceeded",
                severity=_severity(policy, "budget-exceeded"),
                resource=resource,
                message=(
                    f"Budget {label} is exceeded: {money(status.actual)} {status.currency} spent of "
                    f"{money(status.amount)} ({used:g}%); cut spend or raise the budget."
                ),
                details=details,
                **common,
            )
        ]
    out = []
    crossed = [t for t in thresholds.actual if t < 100 and used >= t]
    if crossed:
        threshold = max(crossed)
        out.append(
            Finding.create(
                check=CHECK,
                rule="budget-threshold",
                severity=_severity(policy, "budget-threshold"),
                resource=resource,
                identity=(threshold,),
                message=(
                    f"Budget {label} has used {used:g}% ({money(status.actual)} of "
                    f"{money(status.amount)} {status.currency}), past its {threshold:g}% threshold; "
                    "review the spend before month end."
                ),
                details={**details, "threshold": threshold, **judged},
                **common,
            )
        )
    forecast_used = status.forecast_percent
    if forecast_used is not None:
        hit = [t for t in thresholds.forecast if forecast_used >= t]
        if hit:
            threshold = max(hit)
            out.append(
                Finding.create(
                    check=CHECK,
                    rule="forecast-exceeds-budget",
                    severity=_severity(policy, "forecast-exceeds-budget"),
                    resource=resource,
                    message=(
                        f"Budget {label} is forecast to reach {money(status.forecast or Decimal(0))} "
                        f"{status.currency} by month end ({forecast_used:g}% of "
                        f"{money(status.amount)}, {status.method}); act now to stay within it."
                    ),
                    details={**details, "threshold": threshold, **judged},
                    **common,
                )
            )
    return out


def without_alerts_finding(status: BudgetStatus, judged: Thresholds, policy: Policy) -> Finding:
    """budget-without-alerts: a provider budget that alerts nobody at any threshold."""
    provider = {"aws": "AWS", "gcp": "GCP"}.get(status.source, status.source)
    where = "billing account" if status.source == "gcp" else "account"
    how = (
        "add threshold rules (e.g. 50% and 90% of actual, 100% of forecast) and who they notify"
        if status.source == "gcp"
        else "add notifications on actual and forecasted spend (e.g. 80% and 100%) with subscribers"
    )
    return Finding.create(
        check=CHECK,
        rule="budget-without-alerts",
        severity=_severity(policy, "budget-without-alerts"),
        resource=_resource(status),
        message=(
            f"{provider} budget {status.name} ({where} {status.account}) has no alert thresholds, "
            f"so nobody is told when spend crosses it; {how}."
        ),
        details={
            "budget": status.name,
            "scope": status.scope,
            "source": status.source,
            "account": status.account,
            "amount": money(status.amount),
            "currency": status.currency,
            "threshold_source": "policy",
            "thresholds": _thresholds(judged),
        },
    )


def currency_findings(status: BudgetStatus, budget: Budget, policy: Policy) -> list[Finding]:
    """currency-mismatch: spend in the budget's scope billed in another currency."""
    out = []
    for currency, amount in sorted(status.foreign.items()):
        out.append(
            Finding.create(
                check=CHECK,
                rule="currency-mismatch",
                severity=_severity(policy, "currency-mismatch"),
                resource=f"budget:{budget.name}",
                identity=(currency,),
                message=(
                    f"Budget {budget.name} is in {budget.currency} but {money(amount)} {currency} of "
                    f"spend in its scope is billed in {currency} and was not counted; add a "
                    f"{currency} budget for it or narrow the scope."
                ),
                owner=budget.owner,
                project=normalised_scope(budget, policy).get(PROJECT_KEY),
                env=normalised_scope(budget, policy).get("Env"),
                details={
                    "budget": budget.name,
                    "budget_currency": budget.currency,
                    "currency": currency,
                    "amount": money(amount),
                },
            )
        )
    return out


def no_budget_findings(rows: Sequence[SpendRow], month: date, policy: Policy) -> list[Finding]:
    """no-budget: a Project with spend this month that no budget's scope covers."""
    scopes = [normalised_scope(b, policy) for b in policy.budgets]
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    covered: set[str] = set()
    for row in rows:
        project = row.tags.get(PROJECT_KEY)
        if project is None or row.billing_month != month or row.kind not in SPEND_KINDS:
            continue
        spend[(project, row.currency)] += row.billed_cost
        if any(scope_matches(s, row) for s in scopes):
            covered.add(project)
    out = []
    for (project, currency), amount in sorted(spend.items()):
        if project in covered or amount < Decimal("0.005"):  # "spent 0.00" tells nobody anything
            continue
        out.append(
            Finding.create(
                check=CHECK,
                rule="no-budget",
                severity=_severity(policy, "no-budget"),
                resource=f"project:{project}",
                identity=(currency,),
                message=(
                    f"Project {project} spent {money(amount)} {currency} this month and no budget "
                    "covers it; add a budget with scope Project: " + project + " to the policy."
                ),
                project=project,
                details={
                    "project": project,
                    "currency": currency,
                    "cost": money(amount),
                    "month": month.strftime("%Y-%m"),
                },
            )
        )
    return out


def untagged_findings(
    rows: Sequence[SpendRow], month: date, policy: Policy, tag_keys: Sequence[str]
) -> list[Finding]:
    """untagged-spend: per currency, the share of usage cost missing a required tag."""
    required = [k for k in policy.tags.required if k in tag_keys]
    if not required:
        return []
    out = []
    by_currency: dict[str, list[SpendRow]] = defaultdict(list)
    for row in rows:
        if row.billing_month == month:
            by_currency[row.currency].append(row)
    limit = policy.billing.untagged_max_percent
    for currency, mine in sorted(by_currency.items()):
        untagged, gross = untagged_usage(mine, required, "BilledCost")
        share = percent(untagged, gross)
        if share is None or share <= limit:
            continue
        missing = {key: money(untagged_usage(mine, [key], "BilledCost")[0]) for key in required}
        out.append(
            Finding.create(
                check=CHECK,
                rule="untagged-spend",
                severity=_severity(policy, "untagged-spend"),
                resource=f"spend:{currency}",
                identity=(currency,),
                message=(
                    f"{share:g}% of this month's usage charges ({money(untagged)} of "
                    f"{money(gross)} {currency}, the charges above zero) lack a required tag "
                    f"({', '.join(required)}), above the {limit:g}% limit; tag the resources "
                    "behind it."
                ),
                details={
                    "currency": currency,
                    "share": share,
                    "untagged_cost": money(untagged),
                    "gross_usage_cost": money(gross),
                    "limit": limit,
                    "missing_by_key": missing,
                    "month": month.strftime("%Y-%m"),
                },
            )
        )
    return out


def anomaly_findings(
    rows: Sequence[SpendRow], month: date, as_of: datetime, policy: Policy
) -> list[Finding]:
    """spend-anomaly: per provider account and currency, days of this month far off the trend."""
    settings = policy.billing.anomaly
    series: dict[tuple[str, str, str], dict[date, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for row in rows:
        if row.kind in SPEND_KINDS:
            series[(row.provider, row.sub_account or "", row.currency)][row.day] += row.billed_cost
    end = complete_days(as_of)
    days = []
    day = month
    while day < end and day.month == month.month:
        days.append(day)
        day += timedelta(days=1)
    out = []
    for (provider, account, currency), daily in sorted(series.items()):
        found = anomalies(
            daily,
            days,
            window=settings.window_days,
            min_points=settings.min_points,
            threshold=settings.threshold,
            min_amount=settings.min_amount,
            min_change_percent=settings.min_change_percent,
        )
        if not found:
            continue
        worst = max(found, key=lambda a: abs(a.score))
        where = f"{provider} account {account}" if account else provider
        out.append(
            Finding.create(
                check=CHECK,
                rule="spend-anomaly",
                severity=_severity(policy, "spend-anomaly"),
                resource=f"spend:{provider}:{account}",
                identity=(currency,),
                message=(
                    f"{where} spent {money(worst.amount)} {currency} on {worst.day.isoformat()}, far "
                    f"from its trailing median of {money(worst.median)}; check what changed that day."
                ),
                details={
                    "provider": provider,
                    "account": account or None,
                    "currency": currency,
                    "month": month.strftime("%Y-%m"),
                    "method": "robust z-score (median/MAD)",
                    "threshold": settings.threshold,
                    "days": [
                        {
                            "day": a.day.isoformat(),
                            "cost": money(a.amount),
                            "median": money(a.median),
                            "score": round(a.score, 2) if abs(a.score) != float("inf") else None,
                            "points": a.points,
                        }
                        for a in found
                    ],
                },
            )
        )
    return out
