"""The money sections of the monthly review, shaped from the budgets check's stats (pure).

Every figure is copied from the stats, never recomputed: the spend of an owner in the review is
the ``cost`` of that owner's group in ``stats.dimensions.Owner``, the very table
``hygiene spend --by Owner`` prints, so the two agree to the cent.

Words (one meaning each, in every format — see ``WORDS``):

* **spend** — usage and purchases of the month to date (``BilledCost``); credits, tax and
  adjustments are shown apart;
* **untagged spend** — the usage cost of bill rows that lack at least one required tag;
* **tag coverage by spend** — the share of taggable spend on resources that carry every required
  tag with an allowed value (the FinOps allocation KPI); **by count** — the share of resources;
* **cannot carry tags** — tax, support, marketplace and data transfer without a resource: kept
  apart, never counted as untagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: The review's words, the same in HTML, Markdown and the JSON's ``words``.
WORDS: dict[str, str] = {
    "spend": "usage and purchases this month to date (BilledCost); credits, tax and "
    "adjustments shown apart",
    "forecast": "projected spend at month end (a trend line through the daily spend, or the "
    "run rate with too few days)",
    "untagged spend": "usage cost of bill rows that lack at least one required tag",
    "tag coverage by spend": "share of taggable spend on resources that carry every required "
    "tag with an allowed value",
    "tag coverage by count": "share of resources that carry every required tag with an "
    "allowed value",
    "cannot carry tags": "tax, support, marketplace charges and data transfer without a "
    "resource: kept apart, never counted as untagged",
    "vs last month": "change against the same days of the previous month",
}

#: The breakdowns of spend, in the order the review shows them.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("Owner", "By owner"),
    ("Project", "By project"),
    ("ServiceName", "By service"),
    ("SubAccountId", "By account"),
)


def no_value(key: str) -> str:
    """The label of spend without a value for ``key`` (never the word "untagged")."""
    if key == "ServiceName":
        return "(no service)"
    if key == "SubAccountId":
        return "(no account)"
    return f"(no {key} tag)"


def group_label(key: Any, names: Mapping[str, str] | None = None) -> str:
    """A spend group's key for people: ``checkout / team-payments / prod``, a missing value
    as ``(no Owner tag)``, an account as ``name (id)``."""
    if not isinstance(key, Mapping):
        return str(key)
    parts = []
    for name, value in key.items():
        if value in (None, ""):
            parts.append(no_value(name))
        elif name == "SubAccountId" and names and value in names:
            parts.append(f"{names[value]} ({value})")
        else:
            parts.append(str(value))
    return " / ".join(parts) or "(all)"


def _row(group: Mapping[str, Any], names: Mapping[str, str], total: Any) -> dict[str, Any]:
    from hygiene.publish.numbers import decimal

    cost, whole = decimal(group.get("cost")), decimal(total)
    forecast, budget = decimal(group.get("forecast")), decimal(group.get("budget"))
    return {
        "name": group_label(group.get("key"), names),
        "key": dict(group.get("key") or {}),
        "cost": group.get("cost"),
        "share": None if cost is None or not whole else float(round(cost / whole * 100, 1)),
        "budget": group.get("budget"),
        "percent": group.get("percent"),
        "forecast": group.get("forecast"),
        "forecast_percent": None
        if forecast is None or not budget
        else float(round(forecast / budget * 100, 1)),
        "mom_change": group.get("mom_change"),
    }


def dimensions(stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The spend per owner, project, service and account, each row with budget, forecast and
    month-over-month change (only dimensions the stats carry)."""
    tables = stats.get("dimensions") or {}
    names = stats.get("account_names") or {}
    out = []
    for key, title in DIMENSIONS:
        table = tables.get(key)
        if not table:
            continue
        out.append(
            {
                "key": key,
                "title": title,
                "rows": [_row(g, names, table.get("total")) for g in table.get("groups") or []],
                "total": table.get("total"),
            }
        )
    return out


def allocation(stats: Mapping[str, Any], top: int = 10) -> dict[str, Any] | None:
    """Tag coverage by spend and by count, untagged spend per key, what cannot carry tags and
    the costliest non-compliant resources (the spend ↔ resources join); None without it."""
    found = stats.get("allocation")
    if not found:
        return None
    return {
        "currency": found.get("currency"),
        "spend": found.get("spend"),
        "taggable": found.get("taggable"),
        "compliant": found.get("compliant"),
        "non_compliant": found.get("non_compliant"),
        "coverage_by_spend": found.get("coverage_by_spend"),
        "coverage_by_spend_effective": found.get("coverage_by_spend_effective"),
        "coverage_by_count": found.get("coverage_by_count"),
        "inventory": bool(found.get("inventory")),
        "untagged_by_key": dict(found.get("untagged_by_key") or {}),
        "untaggable": [
            {"kind": kind, "label": entry.get("label"), "cost": entry.get("cost")}
            for kind, entry in (found.get("untaggable") or {}).items()
        ],
        "non_compliant_resources": found.get("non_compliant_resources"),
        "top_non_compliant": [
            {
                **r,
                "owner": first_owner(r),
                "what": r.get("name") or short_resource(str(r.get("resource_id") or "")),
            }
            for r in (found.get("top_non_compliant") or [])[:top]
        ],
        "all_non_compliant": list(found.get("top_non_compliant") or []),
    }


def first_owner(resource: Mapping[str, Any]) -> str | None:
    """The first owner candidate of a non-compliant resource (tag, account, directory …)."""
    for candidate in resource.get("owner_candidates") or []:
        if candidate.get("owner"):
            return str(candidate["owner"])
    return None


def short_resource(resource_id: str) -> str:
    """An ARN's last part (``instance/i-0abc`` → ``i-0abc``), anything else as it is."""
    tail = resource_id.rsplit(":", 1)[-1] if resource_id.startswith("arn:") else resource_id
    return tail.rsplit("/", 1)[-1] if "/" in tail else tail


def basis(stats: Mapping[str, Any]) -> dict[str, Any] | None:
    """The headline's budget (``stats.budget_basis``): one org-wide budget, or disjoint budgets
    of one scope-key set; None when the policy has none in the spend's currency."""
    found = stats.get("budget_basis")
    if found:
        return dict(found)
    # a run recorded before the stats carried a basis: the same rule over its budget rows
    from decimal import Decimal

    from hygiene.checks.budgets.headline import basis_of_stats
    from hygiene.publish.numbers import decimal

    spend = stats.get("spend") or {}
    total = decimal(spend.get("total")) or Decimal(0)
    return basis_of_stats(stats.get("budgets") or [], spend.get("currency"), total)


def project_trend(stats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Project → its month's cost, forecast and budget (the trend chart's per-project lines)."""
    table = (stats.get("dimensions") or {}).get("Project") or {}
    out: dict[str, dict[str, Any]] = {}
    for group in table.get("groups") or []:
        name = (group.get("key") or {}).get("Project")
        out[name or no_value("Project")] = {
            "cost": group.get("cost"),
            "forecast": group.get("forecast"),
            "budget": group.get("budget"),
        }
    return out


def budgets_over(budgets: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many budgets are at or over 100 % now, and how many are forecast to be."""
    from hygiene.publish.numbers import decimal

    return {
        "now": sum(1 for b in budgets if (decimal(b.get("percent")) or 0) >= 100),
        "forecast": sum(1 for b in budgets if (decimal(b.get("forecast_percent")) or 0) >= 100),
    }
