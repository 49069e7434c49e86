"""Spend joined to resources: what each non-compliant resource costs this month, and the tag
coverage *by spend* (the FinOps allocation KPI) beside the coverage by count.

Pure, but for :class:`TagsInventory`'s spool. Inputs: the month's per-resource cost from the
bill (``SpendData.resources``, read by the budgets check's sources; bounded, see
``sources/billing/sql.resource_sql``) and, when the tags check ran, its records with the findings
it kept for them — the same ``(records, findings)`` batches a :class:`~hygiene.context.Tally`
receives. Each batch is reduced at once to one compact :class:`Resource` per in-scope record (a
record is compliant when its batch's findings name none against it, as the tags check's own
tally counts it). Without the inventory every charge is judged by the bill's own tags.

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

import heapq
import logging
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hygiene.findings import Finding
from hygiene.joins.batch_spool import BatchSpool
from hygiene.policy import Policy
from hygiene.records.billing import UNTAGGABLE, Metric, ResourceCost, ResourceSpend, SpendData
from hygiene.records.cloud import ResourceRecord
from hygiene.tagging import key_lookup, normalise_tags

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class Resource:
    """What the join keeps of one in-scope record of the tags check: the ids a bill's
    ``ResourceId`` is matched on (its ARN or full name, its name, its account; the short id is
    derived), and its verdict — compliant, the missing keys and the rules its findings name, its
    ``Owner`` tag. Repeated values (accounts, types, owners, key and rule lists) are shared."""

    resource_id: str
    account: str
    name: str
    resource_type: str
    compliant: bool
    missing: tuple[str, ...]
    rules: tuple[str, ...]
    owner: str | None


class _Shared:
    """One copy of each repeated string and tuple of a batch's resources (``sys.intern`` for the
    strings, a table for the tuples, which stays as small as the policy's keys and rules)."""

    def __init__(self) -> None:
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

    def text(self, value: str) -> str:
        return sys.intern(value)

    def names(self, values: Iterable[str]) -> tuple[str, ...]:
        key = tuple(sys.intern(v) for v in values)
        return self._tuples.setdefault(key, key)


def resources_of(
    records: Iterable[ResourceRecord],
    findings: Sequence[Finding],
    policy: Policy,
    *,
    lookup: Mapping[str, str] | None = None,
    shared: _Shared | None = None,
) -> list[Resource]:
    """One batch of the tags check reduced to what the join reads: a :class:`Resource` per
    in-scope record, judged by ``findings`` (those kept for this batch)."""
    from hygiene.checks.tags.rules import in_scope

    lookup = key_lookup(policy.tags) if lookup is None else lookup
    shared = shared or _Shared()
    against: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.check == TAGS_CHECK:
            against[finding.resource].append(finding)
    out: list[Resource] = []
    for record in in_scope(records, policy.tags):
        own = against.get(record.resource_id, [])
        tags = normalise_tags(record.tags, policy.tags, lookup=lookup)
        owner = tags.values.get(OWNER_KEY) or None
        out.append(
            Resource(
                resource_id=record.resource_id,
                account=shared.text(record.account),
                name=record.name,
                resource_type=shared.text(record.resource_type),
                compliant=not own,
                missing=shared.names(_missing_keys(own)),
                rules=shared.names(sorted({f.rule for f in own})),
                owner=shared.text(owner) if owner else None,
            )
        )
    return out


#: A non-compliant bill resource: its cost and id (the order), and what describes it.
_Offender = tuple[Decimal, str, ResourceCost, "Resource | None", list[str], str]


#: Where a key of the index points: the position of its bill row, or of each where several
#: rows share it (most keys have one: no list per key).
_Positions = int | tuple[int, ...]


class _Index:
    """Bill resources by exact id, by short id (or name) within an account, and by short id
    alone (when it names one resource)."""

    def __init__(self, costs: Sequence[ResourceCost]) -> None:
        self.costs = costs
        self.exact: dict[str, _Positions] = {}
        self.scoped: dict[str | None, dict[str, _Positions]] = {}
        self.loose: dict[str, _Positions] = {}

    def add(self, position: int, cost: ResourceCost) -> None:
        assert cost.resource_id is not None
        _put(self.exact, cost.resource_id, position)
        short = short_id(cost.resource_id)
        scoped = self.scoped.setdefault(cost.sub_account, {})
        _put(scoped, short, position)
        _put(self.loose, short, position)
        if cost.name:
            _put(scoped, cost.name, position)

    def find(self, record: Resource) -> tuple[int, ...]:
        if record.resource_id in self.exact:
            return _all(self.exact[record.resource_id])
        short = short_id(record.resource_id)
        scoped = self.scoped.get(record.account, {})
        for name in (short, record.name):
            if name and name in scoped:
                return _all(scoped[name])
        found = _all(self.loose.get(short, ()))
        return found if len({self.costs[p].resource_id for p in found}) == 1 else ()


def _put(index: dict[Any, _Positions], key: Any, position: int) -> None:
    had = index.get(key)
    index[key] = position if had is None else (*_all(had), position)


def _all(positions: _Positions) -> tuple[int, ...]:
    return (positions,) if isinstance(positions, int) else positions


class SpendResourceJoin:
    """The join, fed like a :class:`~hygiene.context.Tally` with the tags check's batches
    (:meth:`add`, or :meth:`add_resources` with batches already reduced); :meth:`stats` gives
    the ``allocation`` figures. Holds the bill's bounded per-resource costs and, of the
    inventory, only the resources the bill names (and counts: resources, compliant ones, the
    Owners of compliant ones per account)."""

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
        self.index = _Index(spend.costs)
        for position, cost in enumerate(spend.costs):
            if cost.resource_id is not None and cost.untaggable is None and not cost.tail:
                self.index.add(position, cost)
        self.judged: dict[int, Resource] = {}
        self.inventory = False
        self.resources = self.compliant = 0
        self.account_owners: dict[str, Counter[str]] = defaultdict(Counter)
        self._lookup = key_lookup(policy.tags)
        self._shared = _Shared()

    def add(self, records: Iterable[ResourceRecord], findings: Sequence[Finding] = ()) -> None:
        """One batch of the tags check: its records and the findings kept for them."""
        self.add_resources(
            resources_of(records, findings, self.policy, lookup=self._lookup, shared=self._shared)
        )

    def add_resources(self, resources: Iterable[Resource]) -> None:
        """One batch of the tags check, reduced by :func:`resources_of`."""
        self.inventory = True
        for resource in resources:
            self.resources += 1
            self.compliant += int(resource.compliant)
            if resource.owner and resource.compliant:
                self.account_owners[resource.account][resource.owner] += 1
            for position in self.index.find(resource):
                self.judged[position] = resource

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
        offenders: list[_Offender] = []
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
                compliant, missing, basis = judged.compliant, list(judged.missing), "inventory"
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
                offenders.append((cost.billed_cost, cost.resource_id, cost, judged, missing, basis))
        # the costliest only are described (sorted()[:top], without a dict per offender)
        top = heapq.nsmallest(self.top, offenders, key=lambda o: (-o[0], o[1]))
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
            "top_non_compliant": [self._offender(*offender[2:]) for offender in top],
            "beyond_limit": {"resources": beyond_resources, "cost": money(beyond_cost)},
            "limit": self.spend.limit,
        }

    def _offender(
        self, cost: ResourceCost, judged: Resource | None, missing: list[str], basis: str
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
            "rules": list(judged.rules) if judged else [],
            "judged_by": basis,
            "owner_candidates": self._owners(cost, judged, account, name),
        }

    def _owners(
        self, cost: ResourceCost, judged: Resource | None, account: str | None, name: str
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
    batches (:meth:`see`, an observer), the findings kept for each (:meth:`kept`, after the
    exception screen) and, once the budgets check has read it, the bill (:meth:`bill`).

    Its memory is bounded by one batch and the bill, not by the estate. The tags and budgets
    checks run in threads of their own, so the bill may come before the first batch of records,
    between two or after the last: the pipeline sets no order (a bill file or query is read in
    seconds, a large estate's inventory takes minutes). A batch is reduced when its findings
    arrive (the pipeline calls the observer, then the sink, for one batch, in the check's one
    thread) to a :class:`Resource` per in-scope record, and then

    * with the bill known, goes straight into the :class:`SpendResourceJoin`, which keeps only
      the resources the bill names (at most the read's limit) and counts the others;
    * before the bill, is spooled to an unnamed temporary file (:class:`BatchSpool`, ~100 bytes a
      resource) and read back into the join, in the order seen, when the bill arrives (or at
      :meth:`join`).

    An index of every resource in memory, however compact, would grow with the estate (tens of
    MiB at 200k resources), and the bill cannot be asked for first without serialising the two
    checks. Judging a record by its own batch's findings is how the tags check's tally counts.

    Without a ``policy`` (a caller that has it only at :meth:`join`) a batch cannot be reduced
    and is kept as it came: for small uses and tests; the joins stage passes it. Thread-safe;
    :meth:`see`, :meth:`kept` and :meth:`bill` never raise (they run inside the checks: a
    failure, such as a full disk, is logged and makes :meth:`join` raise instead)."""

    def __init__(self, policy: Policy | None = None, *, spool_dir: str | None = None) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._pending: list[ResourceRecord] = []  # the batch seen, whose findings come next
        self._raw: list[tuple[list[ResourceRecord], list[Finding]]] = []  # without a policy
        self._spool = BatchSpool(spool_dir)
        self._join: SpendResourceJoin | None = None
        self._joined: SpendData | None = None  # the bill self._join was made for
        self._lookup = key_lookup(policy.tags) if policy is not None else {}
        self._shared = _Shared()
        self._failed = ""  # why the batches were lost

    def see(self, batch: Iterable[ResourceRecord]) -> None:
        """A batch of the tags check's records (its findings come next, by :meth:`kept`)."""
        records = list(batch)
        with self._lock:
            self._pending += records

    def kept(self, findings: Sequence[Finding]) -> None:
        """Findings of the tags check that the run kept for the batch seen last."""
        tags = [f for f in findings if f.check == TAGS_CHECK]
        with self._lock:
            self._guarded(self._fold, tags)

    def bill(self, spend: SpendData) -> None:
        """The budgets check's spend data: from now on batches are joined as they come (the
        spooled ones first). A second bill, or one without per-resource cost, changes nothing."""
        with self._lock:
            if self._join is not None or spend.resources is None or self.policy is None:
                return
            self._guarded(self._start, spend, self.policy)

    @property
    def spooled(self) -> tuple[int, int, int]:
        """What waits on disk for the bill: batches, resources, bytes."""
        with self._lock:
            return self._spool.batches, self._spool.items, self._spool.size

    def join(self, spend: SpendData, policy: Policy) -> SpendResourceJoin:
        """The join of ``spend``'s per-resource cost with every batch seen. ValueError when the
        batches were already joined to another bill, or reduced under another policy."""
        if spend.resources is None:
            raise ValueError("the spend data has no per-resource cost")
        with self._lock:
            self._guarded(self._fold, [])  # records seen whose findings never came
            if self._failed:
                raise RuntimeError(f"the tags inventory was lost: {self._failed}")
            if self.policy is not None and policy is not self.policy and policy != self.policy:
                raise ValueError("the tags inventory was reduced under another policy")
            if self._join is None:
                self._start(spend, policy)
            elif spend is not self._joined:
                raise ValueError("the tags inventory was joined to another bill")
            assert self._join is not None
            return self._join

    def close(self) -> None:
        """Drop what is spooled (the join is not needed)."""
        with self._lock:
            self._spool.close()

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        """``step`` (lock held); a failure loses the inventory, not the check it runs in."""
        if self._failed:
            self._pending = []
            return
        try:
            step(*args)
        except Exception as exc:
            log.exception("the tags inventory for the spend join was lost")
            self._failed = f"{type(exc).__name__}: {exc}"
            self._pending, self._raw, self._join = [], [], None
            self._spool.close()

    def _fold(self, findings: list[Finding]) -> None:
        """The pending batch with its findings, reduced and joined or spooled (lock held)."""
        records, self._pending = self._pending, []
        if not records:
            return
        if self.policy is None:
            self._raw.append((records, findings))
            return
        resources = resources_of(
            records, findings, self.policy, lookup=self._lookup, shared=self._shared
        )
        if self._join is not None:
            self._join.add_resources(resources)
        else:
            self._spool.add([_row(r) for r in resources])

    def _start(self, spend: SpendData, policy: Policy) -> None:
        """Make the join of ``spend`` and give it what was kept so far, in order (lock held)."""
        assert spend.resources is not None
        join = SpendResourceJoin(spend.resources, policy, tag_keys=spend.tag_keys)
        for rows in self._spool.drain():
            join.add_resources(_resources(rows))
        for records, findings in self._raw:
            join.add(records, findings)
        self._raw = []
        self._join, self._joined = join, spend


def _row(resource: Resource) -> tuple[Any, ...]:
    """A resource as the spool holds it (a plain tuple: the smallest pickle)."""
    r = resource
    return (
        r.resource_id,
        r.account,
        r.name,
        r.resource_type,
        r.compliant,
        r.missing,
        r.rules,
        r.owner,
    )


def _resources(rows: Iterable[tuple[Any, ...]]) -> Iterator[Resource]:
    return (Resource(*row) for row in rows)


def allocation_stats(
    spend: SpendData | None, policy: Policy, inventory: TagsInventory | None = None
) -> dict[str, Any] | None:
    """The budgets check's ``allocation`` stats from its spend data and (when the tags check
    ran) the tags inventory; None when the bill gave no per-resource cost."""
    if spend is None or spend.resources is None:
        return None
    if inventory is None:
        return spend_resources_stats(spend.resources, policy, tag_keys=spend.tag_keys)
    return inventory.join(spend, policy).stats()
