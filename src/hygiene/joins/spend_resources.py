"""Spend joined to resources: what each non-compliant resource costs this month, and the tag
coverage *by spend* (the FinOps allocation KPI) beside the coverage by count.

Pure. Inputs: the month's per-resource cost from the bill (``SpendData.resources``, read by the
budgets check's sources; bounded, see ``sources/billing/sql.resource_sql``) and, when the tags
check ran, its records with the findings it kept for them — the same ``(records, findings)``
batches a :class:`~hygiene.context.Tally` receives. Without the inventory every charge is judged
by the bill's own tags.

How a charge is judged, per currency:

* spend that cannot carry tags (``ResourceCost.untaggable``: tax; without a resource: support
  plans, marketplace, data transfer, purchases) is kept apart, labelled, never untagged;
* a bill resource found in the inventory (the bill's ``ResourceId`` equals the record's ARN or
  full name, else the ARN's last part — ``i-0abc…``, a bucket — or the record's name in the same
  account) is compliant when the tags check kept no finding against it; its missing keys are the
  keys those findings name;
* any other charge (a resource the inventory does not hold, a charge without a resource) is
  compliant when the bill's tags carry every required key;
* the resources beyond the read's limit are ``unjudged`` and stated as such.

``coverage_by_spend`` is compliant spend over taggable spend (both metrics are given:
``BilledCost`` and the amortised ``EffectiveCost``); ``coverage_by_count`` the inventory's
compliant share, as the tags check counts it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hygiene.findings import Finding
from hygiene.policy import Policy
from hygiene.records.billing import UNTAGGABLE, Metric, ResourceCost, ResourceSpend, SpendData
from hygiene.records.cloud import ResourceRecord
from hygiene.tagging import normalise_tags

ZERO = Decimal(0)
CENT = Decimal("0.01")
METRICS: tuple[Metric, Metric] = ("BilledCost", "EffectiveCost")
TAGS_CHECK = "tags"
OWNER_KEY = "Owner"
#: Non-compliant resources listed, costliest first.
TOP = 20


def money(amount: Decimal) -> str:
    """A decimal string rounded to cents (never ``-0.00``)."""
    value = amount.quantize(CENT)
    return str(abs(value) if value == 0 else value)


def percent(part: Decimal, whole: Decimal) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal); None when whole is not positive."""
    if whole <= 0:
        return None
    return float((part / whole * 100).quantize(Decimal("0.1")))


def short_id(resource_id: str) -> str:
    """The last part of an ARN or resource path (``arn:aws:ec2:…:instance/i-0abc`` → ``i-0abc``,
    ``arn:aws:s3:::bucket`` → ``bucket``); other ids as they are."""
    tail = resource_id.split(":", 5)[5] if resource_id.startswith("arn:") else resource_id
    tail = tail.rstrip("/")
    for separator in ("/", ":"):
        if separator in tail:
            tail = tail.rsplit(separator, 1)[1]
    return tail


@dataclass
class Judged:
    """What the inventory says of one bill resource."""

    compliant: bool
    missing: list[str]
    rules: list[str]
    resource_type: str
    account: str
    name: str
    owner: str | None


@dataclass
class _Index:
    """Bill resources by exact id, by (account, short id) and by short id (unique ones)."""

    exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    scoped: dict[tuple[str | None, str], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    loose: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[int, str] = field(default_factory=dict)

    def add(self, position: int, cost: ResourceCost) -> None:
        assert cost.resource_id is not None
        self.rows[position] = cost.resource_id
        self.exact[cost.resource_id].append(position)
        short = short_id(cost.resource_id)
        self.scoped[(cost.sub_account, short)].append(position)
        self.loose[short].append(position)
        if cost.name:
            self.scoped[(cost.sub_account, cost.name)].append(position)

    def find(self, record: ResourceRecord) -> list[int]:
        if record.resource_id in self.exact:
            return self.exact[record.resource_id]
        short = short_id(record.resource_id)
        for key in ((record.account, short), (record.account, record.name)):
            if key[1] and key in self.scoped:
                return self.scoped[key]
        found = self.loose.get(short, [])
        return found if len(set(self.ids(found))) == 1 else []

    def ids(self, positions: list[int]) -> list[str]:
        return [self.rows[p] for p in positions]


class SpendResourceJoin:
    """The join, fed like a :class:`~hygiene.context.Tally` with the tags check's batches
    (:meth:`add`); :meth:`stats` gives the ``allocation`` figures. Holds the bill's bounded
    per-resource costs and, of the inventory, only the records the bill names."""

    def __init__(
        self,
        spend: ResourceSpend,
        policy: Policy,
        *,
        tag_keys: Sequence[str] | None = None,
        currency: str | None = None,
        top: int = TOP,
    ) -> None:
        self.spend, self.policy, self.top = spend, policy, top
        required = list(policy.tags.required)
        self.keys = [k for k in required if tag_keys is None or k in tag_keys]
        self.currency = currency or _main_currency(spend.costs)
        self.index = _Index()
        for position, cost in enumerate(spend.costs):
            if cost.resource_id is not None and cost.untaggable is None and not cost.tail:
                self.index.add(position, cost)
        self.judged: dict[int, Judged] = {}
        self.inventory = False
        self.resources = self.compliant = 0
        self.account_owners: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, records: Iterable[ResourceRecord], findings: Sequence[Finding] = ()) -> None:
        """One batch of the tags check: its records and the findings kept for them."""
        from hygiene.checks.tags.rules import in_scope

        self.inventory = True
        against: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            if finding.check == TAGS_CHECK:
                against[finding.resource].append(finding)
        for record in in_scope(list(records), self.policy.tags):
            own = against.get(record.resource_id, [])
            owner = normalise_tags(record.tags, self.policy.tags).values.get(OWNER_KEY) or None
            self.resources += 1
            self.compliant += int(not own)
            if owner and not own:
                self.account_owners[record.account][owner] += 1
            positions = self.index.find(record)
            if not positions:
                continue
            judged = Judged(
                compliant=not own,
                missing=_missing_keys(own),
                rules=sorted({f.rule for f in own}),
                resource_type=record.resource_type,
                account=record.account,
                name=record.name,
                owner=owner,
            )
            for position in positions:
                self.judged[position] = judged

    # ------------------------------------------------------------------ figures

    def stats(self) -> dict[str, Any]:
        """The ``allocation`` figures of the main currency, the others in brief."""
        currencies = sorted({c.currency for c in self.spend.costs} | {self.currency})
        main = self._figures(self.currency)
        main["other_currencies"] = {
            currency: {
                key: value
                for key, value in self._figures(currency).items()
                if key in ("spend", "taggable", "compliant", "coverage_by_spend")
            }
            for currency in currencies
            if currency != self.currency
        }
        return main

    def _figures(self, currency: str) -> dict[str, Any]:
        totals: dict[Metric, dict[str, Decimal]] = {m: defaultdict(Decimal) for m in METRICS}
        untaggable: dict[str, dict[str, Any]] = {}
        by_key: dict[str, Decimal] = defaultdict(Decimal)
        judged_by: dict[str, Decimal] = defaultdict(Decimal)
        offenders: list[tuple[Decimal, dict[str, Any]]] = []
        beyond_resources, beyond_cost = 0, ZERO
        for position, cost in enumerate(self.spend.costs):
            if cost.currency != currency:
                continue
            if cost.untaggable is not None:
                entry = untaggable.setdefault(
                    cost.untaggable,
                    {"label": UNTAGGABLE.get(cost.untaggable, cost.untaggable), "cost": ZERO},
                )
                entry["cost"] += cost.billed_cost
                if cost.untaggable != "tax":  # tax is no spend (the spend table's charges)
                    for metric in METRICS:
                        totals[metric]["spend"] += cost.cost(metric)
                continue
            for metric in METRICS:
                totals[metric]["spend"] += cost.cost(metric)
                totals[metric]["taggable"] += cost.cost(metric)
            if cost.tail:
                beyond_resources += cost.resources
                beyond_cost += cost.billed_cost
                for metric in METRICS:
                    totals[metric]["unjudged"] += cost.cost(metric)
                continue
            judged = self.judged.get(position)
            if judged is not None:
                compliant, missing, basis = judged.compliant, judged.missing, "inventory"
            else:
                missing = [k for k in self.keys if k in cost.tags and cost.tags[k] is None]
                compliant, basis = not missing, "bill_tags"
            judged_by[basis] += cost.billed_cost
            outcome = "compliant" if compliant else "non_compliant"
            for metric in METRICS:
                totals[metric][outcome] += cost.cost(metric)
            if compliant:
                continue
            for key in missing:
                by_key[key] += cost.billed_cost
            if cost.resource_id is not None:
                offenders.append((cost.billed_cost, self._offender(cost, judged, missing, basis)))
        offenders.sort(key=lambda item: (-item[0], item[1]["resource_id"]))
        billed, effective = totals["BilledCost"], totals["EffectiveCost"]
        count = (
            percent(Decimal(self.compliant), Decimal(self.resources)) if self.inventory else None
        )
        return {
            "month": self.spend.month.strftime("%Y-%m"),
            "currency": currency,
            "metric": "BilledCost",
            "spend": money(billed["spend"]),
            "taggable": money(billed["taggable"]),
            "compliant": money(billed["compliant"]),
            "non_compliant": money(billed["non_compliant"]),
            "unjudged": money(billed["unjudged"]),
            "coverage_by_spend": percent(billed["compliant"], billed["taggable"]),
            "coverage_by_spend_effective": percent(effective["compliant"], effective["taggable"]),
            "effective": {
                name: money(effective[name])
                for name in ("spend", "taggable", "compliant", "non_compliant")
            },
            "coverage_by_count": count,
            "inventory": self.inventory,
            "resources_counted": self.resources,
            "judged_by": {basis: money(judged_by[basis]) for basis in sorted(judged_by)},
            "untaggable": {
                kind: {"label": entry["label"], "cost": money(entry["cost"])}
                for kind, entry in sorted(untaggable.items())
            },
            "untagged_by_key": {key: money(by_key[key]) for key in self.keys},
            "non_compliant_resources": len(offenders),
            "top_non_compliant": [entry for _, entry in offenders[: self.top]],
            "beyond_limit": {"resources": beyond_resources, "cost": money(beyond_cost)},
            "limit": self.spend.limit,
        }

    def _offender(
        self, cost: ResourceCost, judged: Judged | None, missing: list[str], basis: str
    ) -> dict[str, Any]:
        account = judged.account if judged else cost.sub_account
        name = (judged.name if judged else "") or cost.name or ""
        return {
            "resource_id": cost.resource_id,
            "name": name,
            "resource_type": judged.resource_type if judged else None,
            "account": account,
            "service": cost.service,
            "cost": money(cost.billed_cost),
            "effective_cost": money(cost.effective_cost),
            "missing": missing,
            "rules": judged.rules if judged else [],
            "judged_by": basis,
            "owner_candidates": self._owners(cost, judged, account, name),
        }

    def _owners(
        self, cost: ResourceCost, judged: Judged | None, account: str | None, name: str
    ) -> list[dict[str, str]]:
        """Who probably owns a non-compliant resource, most telling first: its own Owner tag,
        the Owner its bill lines carry, an owner whose name its name contains, the owner of most
        compliant resources in its account."""
        found: list[dict[str, str]] = []

        def offer(value: str | None, source: str) -> None:
            if value and all(c["owner"] != value for c in found):
                found.append({"owner": value, "source": source})

        offer(judged.owner if judged else None, "resource-tag")
        offer(cost.tags.get(OWNER_KEY), "bill-tag")
        known = {o for counts in self.account_owners.values() for o in counts}
        known |= set(self.policy.tags.allowed_values.get(OWNER_KEY, []))
        lowered = name.lower()
        for owner in sorted(known):
            stem = owner.lower().removeprefix("team-").removeprefix("team_")
            if len(stem) >= 3 and stem in lowered:
                offer(owner, "name")
        if account and self.account_owners.get(account):
            offer(self.account_owners[account].most_common(1)[0][0], "account")
        return found


def spend_resources_stats(
    spend: ResourceSpend,
    policy: Policy,
    batches: Iterable[tuple[Iterable[ResourceRecord], Sequence[Finding]]] = (),
    *,
    tag_keys: Sequence[str] | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """The join in one call: the bill's per-resource cost with the tags check's batches (none:
    every charge judged by the bill's tags) → the ``allocation`` stats."""
    join = SpendResourceJoin(spend, policy, tag_keys=tag_keys, currency=currency)
    for records, findings in batches:
        join.add(records, findings)
    return join.stats()


def _missing_keys(findings: Sequence[Finding]) -> list[str]:
    """The required keys the tags findings against one resource name."""
    keys: list[str] = []
    for finding in findings:
        named = finding.details.get("missing") or [finding.details.get("key")]
        for key in named:
            if isinstance(key, str) and key not in keys:
                keys.append(key)
    return keys


def _main_currency(costs: Sequence[ResourceCost]) -> str:
    spend: Counter[str] = Counter()
    for cost in costs:
        spend[cost.currency] += cost.resources + cost.line_items
    return sorted(spend.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if spend else "USD"


class TagsInventory:
    """What a joins stage keeps of the tags check for this join while the checks run: its record
    batches (:meth:`see`, an observer) and the findings kept for them (:meth:`kept`, after the
    exception screen). Thread-safe; the records are kept as they come (the join needs their ids,
    names, accounts and Owner tags, and the count of compliant resources)."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._records: list[ResourceRecord] = []
        self._findings: list[Finding] = []

    def see(self, batch: Iterable[ResourceRecord]) -> None:
        """A batch of the tags check's records."""
        records = list(batch)
        with self._lock:
            self._records += records

    def kept(self, findings: Sequence[Finding]) -> None:
        """Findings of the tags check that the run kept."""
        tags = [f for f in findings if f.check == TAGS_CHECK]
        with self._lock:
            self._findings += tags

    def batches(self) -> list[tuple[list[ResourceRecord], list[Finding]]]:
        """Everything kept, as one batch for :meth:`SpendResourceJoin.add` (none: nothing seen)."""
        with self._lock:
            return [(list(self._records), list(self._findings))] if self._records else []


def allocation_stats(
    spend: SpendData | None, policy: Policy, inventory: TagsInventory | None = None
) -> dict[str, Any] | None:
    """The budgets check's ``allocation`` stats from its spend data and (when the tags check
    ran) the tags inventory; None when the bill gave no per-resource cost."""
    if spend is None or spend.resources is None:
        return None
    batches = inventory.batches() if inventory is not None else []
    return spend_resources_stats(spend.resources, policy, batches, tag_keys=spend.tag_keys)
