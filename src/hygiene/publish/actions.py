""" "Do these first": the month's open findings turned into a short list of actions, each naming
its owner, ranked by the money at stake and the severity (pure).

An action groups findings a person fixes in one sitting: the resources of one owner that lack
tags, the budget of one scope, the overdue keys of one owner, the committed secrets of one
repository. Its *money at stake* is what the bill says:

* tag resources — their cost this month (the spend ↔ resources join);
* fix an Owner tag that names nobody (or someone who left) — the cost of those resources;
* cap a budget — the forecast (else the actual) over the budget's amount;
* a spend anomaly — the day's cost above its trailing median.

Ranking: a critical action comes first whatever the money (a live leaked key is worth more than
any bill line); the others by score = money at stake + a severity value (high 500, medium 100,
low 20, in the spend's currency), so $900 of untagged spend ranks above a high-severity key
rotation and $5 of it below. Ties: more findings first, then the title.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hygiene.publish.numbers import decimal
from hygiene.publish.report_spend import first_owner, short_resource

#: The money a severity is worth in the ranking (critical always comes first).
SEVERITY_VALUE: dict[str, Decimal] = {
    "high": Decimal(500),
    "medium": Decimal(100),
    "low": Decimal(20),
    "info": Decimal(0),
}
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
ROTATION_RULES = frozenset(
    {
        "rotation-overdue",
        "unused-credential",
        "multiple-active-keys",
        "rotation-disabled",
        "root-access-key",
        "root-mfa-disabled",
    }
)
BUDGET_RULES = frozenset({"budget-exceeded", "forecast-exceeds-budget", "budget-threshold"})
OWNER_RULES = frozenset({"unknown-owner", "departed-owner"})
LIMIT = 10


@dataclass
class Action:
    """One thing to do, for one owner."""

    kind: str
    title: str
    owner: str | None
    severity: str
    money: Decimal | None = None
    count: int = 1
    detail: str = ""
    findings: list[str] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, Decimal, int, str]:
        """Sort key: critical first, then money + severity value, then count, then title."""
        critical = 0 if self.severity == "critical" else 1
        value = (self.money or Decimal(0)) + SEVERITY_VALUE.get(self.severity, Decimal(0))
        return (critical, -value, -self.count, self.title)

    def to_dict(self, currency: str | None) -> dict[str, Any]:
        """The action as the review's JSON holds it."""
        return {
            "kind": self.kind,
            "title": self.title,
            "detail": self.detail,
            "owner": self.owner,
            "severity": self.severity,
            "money_at_stake": None if self.money is None else f"{self.money:.2f}",
            "currency": currency if self.money is not None else None,
            "findings": self.count,
            "finding_ids": self.findings[:20],
        }


def worst(severities: Iterable[str]) -> str:
    """The most severe of some severities."""
    return min(severities, key=lambda s: SEVERITY_RANK.get(s, 9), default="info")


def plan(
    findings: Sequence[Mapping[str, Any]],
    budgets_stats: Mapping[str, Any],
    *,
    limit: int | None = LIMIT,
) -> list[dict[str, Any]]:
    """The top ``limit`` actions (all with None) of the month's open findings and the budgets
    check's stats."""
    allocation = budgets_stats.get("allocation") or {}
    currency = allocation.get("currency") or (budgets_stats.get("spend") or {}).get("currency")
    costs = {
        str(r.get("resource_id")): decimal(r.get("cost")) or Decimal(0)
        for r in allocation.get("top_non_compliant") or []
    }
    actions = [
        *leaked_keys(findings),
        *budget_caps(findings),
        *tag_resources(allocation),
        *owner_tags(findings, costs),
        *rotations(findings),
        *committed_secrets(findings),
        *anomalies(findings),
    ]
    actions.sort(key=lambda a: a.score)
    return [
        {"rank": i, **a.to_dict(currency)}
        for i, a in enumerate(actions[:limit] if limit else actions, start=1)
    ]


def leaked_keys(findings: Sequence[Mapping[str, Any]]) -> list[Action]:
    """One action per committed key that is live in the cloud."""
    out = []
    for f in findings:
        if f["rule"] != "leaked-live-credential":
            continue
        d = f.get("details") or {}
        who = d.get("principal") or short_resource(str(f["resource"]))
        verb = "Deactivate and delete" if d.get("status") == "active" else "Delete"
        out.append(
            Action(
                kind="revoke-leaked-key",
                title=f"{verb} the {d.get('status', 'live')} key of {who} "
                f"(account {d.get('account')}): it is committed in "
                f"{d.get('repo')}:{d.get('path')} ({d.get('where')})",
                owner=f.get("owner"),
                severity=f["severity"],
                detail=str(d.get("remediation") or ""),
                findings=[f["id"]],
            )
        )
    return out


def budget_caps(findings: Sequence[Mapping[str, Any]]) -> list[Action]:
    """One action per budget over (or forecast over) its amount."""
    by_budget: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["rule"] in BUDGET_RULES:
            by_budget[str((f.get("details") or {}).get("budget") or f["resource"])].append(f)
    out = []
    for name, group in sorted(by_budget.items()):
        d = group[0].get("details") or {}
        amount = decimal(d.get("amount"))
        forecast, actual = decimal(d.get("forecast")), decimal(d.get("actual"))
        over = None
        if amount is not None:
            projected = max(x for x in (forecast, actual, amount) if x is not None)
            over = projected - amount
        basis = "forecast" if forecast is not None and forecast >= (actual or 0) else "spent"
        out.append(
            Action(
                kind="cap-budget",
                title=f"Cap the spend of budget {name} ({d.get('scope')}): "
                f"{basis} {(forecast if basis == 'forecast' else actual) or 0:,.2f} of "
                f"{amount or 0:,.2f} {d.get('currency') or ''}".rstrip()
                + " — cut it or raise the budget",
                owner=next((g.get("owner") for g in group if g.get("owner")), None),
                severity=worst(g["severity"] for g in group),
                money=over if over and over > 0 else None,
                count=len(group),
                findings=[g["id"] for g in group],
            )
        )
    return out


def tag_resources(allocation: Mapping[str, Any]) -> list[Action]:
    """One action per owner candidate: tag the costly resources that lack tags. A resource
    whose only fault is an Owner naming nobody (or someone who left) is the fix-owner-tag
    action's, not this one's."""
    by_owner: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
    for resource in allocation.get("top_non_compliant") or []:
        rules = set(resource.get("rules") or [])
        if not resource.get("missing") and rules and rules <= OWNER_RULES:
            continue
        by_owner[first_owner(resource)].append(resource)
    out = []
    for owner, resources in by_owner.items():
        money = sum((decimal(r.get("cost")) or Decimal(0) for r in resources), Decimal(0))
        missing = Counter(k for r in resources for k in r.get("missing") or [])
        names = ", ".join(
            str(r.get("name") or short_resource(str(r.get("resource_id")))) for r in resources[:3]
        )
        more = f" and {len(resources) - 3} more" if len(resources) > 3 else ""
        lacking = ", ".join(k for k, _ in missing.most_common()) or "an allowed value"
        out.append(
            Action(
                kind="tag-resources",
                title=f"Tag {len(resources)} resource(s) costing {money:,.2f} this month "
                f"(lacking {lacking}): {names}{more}",
                owner=owner,
                severity="medium",
                money=money,
                count=len(resources),
                detail="" if owner else "no owner candidate: ask the account's owner",
            )
        )
    return out


def owner_tags(findings: Sequence[Mapping[str, Any]], costs: Mapping[str, Decimal]) -> list[Action]:
    """One action per Owner value that names nobody, or someone who left."""
    by_value: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["rule"] in OWNER_RULES:
            value = str((f.get("details") or {}).get("owner_value") or f.get("owner"))
            by_value[(f["rule"], value)].append(f)
    out = []
    for (rule, value), group in sorted(by_value.items()):
        hint = (group[0].get("details") or {}).get("did_you_mean")
        money = sum((_cost_of(f, costs) for f in group), Decimal(0))
        why = (
            f" (did you mean {hint!r}?)"
            if hint
            else " (its owner has left)"
            if rule == "departed-owner"
            else ""
        )
        out.append(
            Action(
                kind="fix-owner-tag",
                title=f"Fix the Owner tag {value!r} on {len(group)} resource(s){why}",
                owner=hint or None,
                severity=worst(f["severity"] for f in group),
                money=money or None,
                count=len(group),
                findings=[f["id"] for f in group],
            )
        )
    return out


def _cost_of(finding: Mapping[str, Any], costs: Mapping[str, Decimal]) -> Decimal:
    resource = str(finding["resource"])
    if resource in costs:
        return costs[resource]
    short = short_resource(resource)
    return next((c for r, c in costs.items() if short_resource(r) == short), Decimal(0))


def rotations(findings: Sequence[Mapping[str, Any]]) -> list[Action]:
    """One action per owner: rotate (or retire) their overdue keys and secrets."""
    by_owner: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["check"] == "rotation" and f["rule"] in ROTATION_RULES:
            by_owner[f.get("owner")].append(f)
    out = []
    for owner, group in by_owner.items():
        credentials = {str(f["resource"]) for f in group}
        ages = [int(a) for f in group if (a := (f.get("details") or {}).get("age_days"))]
        oldest = f", the oldest {max(ages)} days old" if ages else ""
        rules = Counter(f["rule"] for f in group)
        out.append(
            Action(
                kind="rotate-credentials",
                title=f"Rotate or retire {len(credentials)} credential(s){oldest} "
                f"({', '.join(f'{n} {r}' for r, n in sorted(rules.items()))})",
                owner=owner,
                severity=worst(f["severity"] for f in group),
                count=len(group),
                findings=[f["id"] for f in group],
            )
        )
    return out


def committed_secrets(findings: Sequence[Mapping[str, Any]]) -> list[Action]:
    """One action per repository: rotate the committed secrets of high severity or worse."""
    by_repo: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for f in findings:
        if (
            f["check"] == "secrets"
            and f["rule"] != "leaked-live-credential"  # its own action: revoke the live key
            and SEVERITY_RANK.get(f["severity"], 9) <= 1
        ):
            repo = (f.get("location") or {}).get("repo") or str(f["resource"]).split(":", 1)[0]
            by_repo[str(repo)].append(f)
    out = []
    for repo, group in sorted(by_repo.items()):
        owners = Counter(f.get("owner") for f in group if f.get("owner"))
        out.append(
            Action(
                kind="rotate-committed-secrets",
                title=f"Rotate {len(group)} secret(s) committed in {repo}, then move them to a "
                "secret store",
                owner=owners.most_common(1)[0][0] if owners else None,
                severity=worst(f["severity"] for f in group),
                count=len(group),
                findings=[f["id"] for f in group],
            )
        )
    return out


def anomalies(findings: Sequence[Mapping[str, Any]]) -> list[Action]:
    """One action per spend anomaly: find out what changed that day."""
    out = []
    for f in findings:
        if f["rule"] != "spend-anomaly":
            continue
        days = (f.get("details") or {}).get("days") or []
        top: Mapping[str, Any] = max(days, key=lambda d: decimal(d.get("cost")) or 0, default={})
        cost, median = decimal(top.get("cost")), decimal(top.get("median"))
        out.append(
            Action(
                kind="explain-anomaly",
                title=f"Find out what changed on {top.get('day')}: spend {cost or 0:,.2f} "
                f"against a median of {median or 0:,.2f}",
                owner=f.get("owner"),
                severity=f["severity"],
                money=(cost - median) if cost is not None and median is not None else None,
                findings=[f["id"]],
            )
        )
    return out
