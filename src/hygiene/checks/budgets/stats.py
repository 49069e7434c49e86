"""The budgets check's stats: the month's spend table and every budget's status — figures that
need the rules, so the pipeline computes them beside the evaluation (:class:`SpendStats`), not
the collector."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from hygiene.checks.budgets.forecast import month_start
from hygiene.checks.budgets.headline import budget_basis
from hygiene.checks.budgets.rules import provider_status
from hygiene.checks.budgets.spend import (
    budget_status,
    currencies,
    month_to_date,
    normalised_scope,
    spend_table,
)
from hygiene.findings import Finding
from hygiene.policy import Policy
from hygiene.records.billing import SpendData, SpendRow

#: Provider columns the stats break the spend down by, beside each required tag.
DIMENSION_COLUMNS = ("ServiceName", "SubAccountId")


def primary_currency(rows: Sequence[SpendRow], month: date, policy: Policy) -> str:
    """The currency of the stats' spend table: the budgets' most common currency when the month
    has spend in it, else the currency with the most line items, else USD."""
    present = currencies(rows, month)
    wanted = Counter(b.currency for b in policy.budgets).most_common()
    for currency, _ in wanted:
        if currency in present:
            return currency
    counts = Counter[str]()
    for row in rows:
        if row.billing_month == month:
            counts[row.currency] += row.line_items
    if counts:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return wanted[0][0] if wanted else "USD"


def spend_stats(data: SpendData, policy: Policy, as_of: datetime) -> dict[str, Any]:
    """The check's stats: the spend table (as ``hygiene spend --format json``), one table per
    dimension (each required tag, service, account: ``hygiene spend --by KEY``), the budgets and
    the headline's budget basis (overlapping budgets never summed)."""
    month = month_start(as_of)
    by = [k for k in policy.tags.required if k in data.tag_keys]
    main = primary_currency(data.rows, month, policy)

    def table(keys: list[str], currency: str) -> dict[str, Any]:
        return spend_table(
            data.rows,
            month=month,
            as_of=as_of,
            by=keys,
            metric="BilledCost",
            currency=currency,
            policy=policy,
        )

    tables = {
        currency: table(by, currency)
        for currency in sorted(set(currencies(data.rows, month)) | {main})
    }
    statuses = [budget_status(b, data.rows, month, as_of, policy) for b in policy.budgets]
    keyed = [
        (status.to_stats(), frozenset(normalised_scope(b, policy)))
        for status, b in zip(statuses, policy.budgets, strict=True)
    ]
    mine = [r for r in data.rows if r.currency == main]
    budgets = [status.to_stats() for status in statuses]
    budgets += [provider_status(b).to_stats() for b in data.provider_budgets]
    return {
        "spend": tables[main],
        "spend_other_currencies": {c: t for c, t in tables.items() if c != main},
        "dimensions": {key: table([key], main) for key in [*by, *DIMENSION_COLUMNS]},
        "account_names": account_names(data.rows),
        "budgets": budgets,
        "budget_basis": budget_basis(keyed, main, month_to_date(mine, month, "BilledCost")),
        "sources": list(data.sources),
    }


def account_names(rows: Sequence[SpendRow]) -> dict[str, str]:
    """Sub-account id → its name in the bill (FOCUS SubAccountName), where the bill has one."""
    names: dict[str, str] = {}
    for row in rows:
        if row.sub_account and row.sub_account_name:
            names.setdefault(row.sub_account, row.sub_account_name)
    return dict(sorted(names.items()))


class SpendStats:
    """The budgets check's :class:`~hygiene.context.Tally`: its one batch is the month's
    :class:`SpendData`, and its stats are :func:`spend_stats` of it."""

    def __init__(self, policy: Policy, as_of: datetime) -> None:
        self.policy, self.as_of = policy, as_of
        self.data: SpendData | None = None

    def add(self, records: SpendData, findings: Sequence[Finding]) -> None:
        """Keep the spend data (the check's records arrive as one batch)."""
        del findings  # the status figures come from the spend, whatever was excepted
        self.data = records

    def stats(self) -> dict[str, Any]:
        """:func:`spend_stats` of the data, or nothing when no batch arrived."""
        return spend_stats(self.data, self.policy, self.as_of) if self.data is not None else {}
