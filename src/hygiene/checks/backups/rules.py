"""The backups check (pure): automated backups, retention, PITR, backup plans and their
coverage, EBS snapshots of production volumes, versioned backup buckets, and the RPO each
resource's protection implies against its tier's RPO (blueprint sections 1 and 4).

Coverage follows AWS Backup's selection semantics: a resource is selected when it matches one of
``Resources`` (ARN globs) or one of ``ListOfTags`` (OR), and all ``Conditions`` (AND), and none of
``NotResources``; a selection with none of these selects every resource. A plan covers only
resources of its own account and region.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable
from datetime import datetime
from fnmatch import fnmatchcase

from hygiene.findings import Finding
from hygiene.policy import BackupsPolicy, Policy
from hygiene.records.backups import (
    BackupInventory,
    BackupPlan,
    BackupSelection,
    DataStore,
    TagCondition,
)
from hygiene.tagging import normalise_tags

CHECK = "backups"
CONTINUOUS_RPO_MINUTES = 5  # RDS log backups and DynamoDB PITR restore to within ~5 minutes
DATABASES = ("rds:db", "rds:cluster", "dynamodb:table", "cloudsql:instance")
_UNITS = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


# --------------------------------------------------------------------------- schedules


@functools.lru_cache(maxsize=4096)
def schedule_interval_minutes(expression: str) -> int | None:
    """The longest gap between two runs of an AWS Backup schedule, in minutes; None if unknown.

    ``cron(0 5 ? * * *)`` → 1440, ``cron(0 */4 * * ? *)`` → 240, ``cron(0 5 ? * SUN *)`` →
    10080, ``cron(0 5 ? * MON-FRI *)`` → 4320 (Friday to Monday), ``cron(0 5 1 * ? *)`` →
    44640, ``rate(12 hours)`` → 720.
    """
    text = expression.strip()
    rate = re.fullmatch(r"rate\(\s*(\d+)\s+(\w+)\s*\)", text)
    if rate:
        unit = _UNITS.get(rate.group(2).lower())
        return int(rate.group(1)) * unit if unit else None
    cron = re.fullmatch(r"cron\((.*)\)", text)
    if not cron:
        return None
    fields = cron.group(1).split()
    if len(fields) != 6:
        return None
    _minutes, hours, dom, _month, dow, _year = fields
    if dom not in ("*", "?"):
        step = re.fullmatch(r"(?:\*|\d+)/(\d+)", dom)
        return int(step.group(1)) * 1440 if step else 31 * 1440
    if dow not in ("*", "?"):
        days = _values(dow, 7, _DAYS)
        return _max_gap(days, 7) * 1440 if days else None
    hours_set = _values(hours, 24, {})
    return _max_gap(hours_set, 24) * 60 if hours_set else None


_DAYS = {
    name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)
}


def _values(field: str, size: int, names: dict[str, int]) -> set[int]:
    """The set of values a cron field selects (hours 0-23; days of the week 1-7, SUN=1)."""
    low_bound = 1 if names else 0
    values: set[int] = set()

    def number(token: str) -> int:
        return names[token.upper()] if token.upper() in names else int(token)

    try:
        for part in field.split(","):
            base, _, step_text = part.partition("/")
            step = int(step_text) if step_text else 1
            if base in ("*", "?"):
                low, high = low_bound, low_bound + size - 1
            elif "-" in base:
                first, last = base.split("-", 1)
                low, high = number(first), number(last)
            else:
                low = number(base)
                high = low_bound + size - 1 if step_text else low
            values.update(range(low, high + 1, step))
    except (ValueError, KeyError):
        return set()
    return values


def _max_gap(values: set[int], cycle: int) -> int:
    ordered = sorted(values)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    gaps.append(ordered[0] + cycle - ordered[-1])
    return max(gaps)


# --------------------------------------------------------------------------- coverage


def _condition_holds(condition: TagCondition, tags: dict[str, str]) -> bool:
    value = tags.get(condition.key)
    operator = condition.operator.lower()
    if operator in ("stringequals",):
        return value == condition.value
    if operator == "stringlike":
        return value is not None and fnmatchcase(value, condition.value)
    if operator == "stringnotequals":
        return value != condition.value
    if operator == "stringnotlike":
        return value is None or not fnmatchcase(value, condition.value)
    return False


def selection_covers(selection: BackupSelection, store: DataStore) -> bool:
    """True when the selection assigns ``store`` to its plan (see the module docstring)."""
    arn = store.resource_id
    if any(fnmatchcase(arn, pattern) for pattern in selection.not_resources):
        return False
    if not all(_condition_holds(c, store.tags) for c in selection.conditions):
        return False
    if not selection.resources and not selection.list_of_tags:
        return True
    by_arn = any(fnmatchcase(arn, pattern) for pattern in selection.resources)
    by_tag = any(_condition_holds(c, store.tags) for c in selection.list_of_tags)
    return by_arn or by_tag


def covering_plans(store: DataStore, plans: Iterable[BackupPlan]) -> list[BackupPlan]:
    """The plans of the store's account and region whose selections cover it."""
    return [
        plan
        for plan in plans
        if plan.account == store.account
        and plan.region == store.region
        and any(selection_covers(s, store) for s in plan.selections)
    ]


def plan_interval_minutes(plan: BackupPlan) -> int | None:
    """The shortest interval among the plan's rules (continuous backup counts as 5 minutes)."""
    intervals = [CONTINUOUS_RPO_MINUTES for r in plan.rules if r.continuous]
    intervals += [i for r in plan.rules if (i := schedule_interval_minutes(r.schedule)) is not None]
    return min(intervals, default=None)


# --------------------------------------------------------------------------- RPO


def tier_of(store: DataStore, policy: BackupsPolicy) -> tuple[str | None, int]:
    """The store's tier (from ``policy.tier_tag``, any spelling with a digit) and its RPO."""
    raw = {k.lower(): v for k, v in {**store.attached_tags, **store.tags}.items()}.get(
        policy.tier_tag.lower()
    )
    if raw:
        digits = re.search(r"\d+", raw)
        tier = digits.group(0) if digits else raw.strip().lower()
        if tier in policy.tier_rpo_minutes:
            return tier, policy.tier_rpo_minutes[tier]
    return None, policy.rpo_minutes


def implied_rpo_minutes(store: DataStore, plans: list[BackupPlan], as_of: datetime) -> int | None:
    """How much data a restore could lose today, in minutes; None when nothing protects it."""
    candidates: list[int] = []
    if store.pitr_enabled:
        candidates.append(CONTINUOUS_RPO_MINUTES)
    candidates += [i for plan in plans if (i := plan_interval_minutes(plan)) is not None]
    if not candidates and store.latest_snapshot is not None:
        candidates.append(max(int((as_of - store.latest_snapshot).total_seconds() // 60), 0))
    return min(candidates, default=None)


def _fmt_minutes(minutes: int | None) -> str:
    if minutes is None:
        return "none (no backup)"
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} min"


# --------------------------------------------------------------------------- evaluate


def evaluate(records: BackupInventory, policy: Policy, as_of: datetime) -> list[Finding]:
    """Findings for every backup gap in the inventory."""
    findings: list[Finding] = []
    by_place: dict[tuple[str, str], list[BackupPlan]] = {}
    for plan in records.plans:  # a plan covers its own account and region only
        by_place.setdefault((plan.account, plan.region), []).append(plan)
    for store in records.stores:
        findings += _store_findings(
            store, by_place.get((store.account, store.region), []), policy, as_of
        )
    for plan in records.plans:
        findings += _plan_findings(plan, policy.backups)
    return findings


def _store_findings(
    store: DataStore, plans: list[BackupPlan], policy: Policy, as_of: datetime
) -> list[Finding]:
    rules = policy.backups
    tags = normalise_tags({**store.attached_tags, **store.tags}, policy.tags).values
    covering = covering_plans(store, plans)
    tier, tier_rpo = tier_of(store, rules)
    implied = implied_rpo_minutes(store, covering, as_of)
    base = {
        "account": store.account,
        "region": store.region,
        "kind": store.kind,
        "name": store.name,
        "tier": tier,
        "tier_rpo_minutes": tier_rpo,
        "implied_rpo_minutes": implied,
        "backup_plans": [p.name for p in covering],
    }
    required = f"tier {tier}" if tier else "default"
    rpo_text = (
        f"implied RPO {_fmt_minutes(implied)} vs the {required} RPO of {_fmt_minutes(tier_rpo)}"
    )
    out: list[Finding] = []

    def add(rule: str, message: str, **details: object) -> None:
        out.append(
            Finding.create(
                check=CHECK,
                rule=rule,
                severity=rules.severity_of(rule),
                resource=store.resource_id,
                message=message,
                owner=tags.get("Owner"),
                project=tags.get("Project"),
                env=tags.get("Env"),
                details={**base, **details},
            )
        )

    what = f"{store.kind} {store.name} ({store.account}/{store.region})"
    if (
        store.kind in ("rds:db", "rds:cluster", "cloudsql:instance")
        and store.retention_days is not None
    ):
        if store.retention_days == 0:
            add(
                "backup-disabled",
                f"{what} has automated backups turned off; set a backup retention of "
                f"{rules.retention_days} days ({rpo_text}).",
                retention_days=0,
                required_days=rules.retention_days,
            )
        elif store.retention_days < rules.retention_days:
            add(
                "retention-too-short",
                f"{what} keeps automated backups {store.retention_days} < {rules.retention_days} "
                f"days; raise its backup retention period to {rules.retention_days}.",
                retention_days=store.retention_days,
                required_days=rules.retention_days,
            )
    if store.kind == "dynamodb:table" and not store.pitr_enabled:
        add("pitr-disabled", f"{what} has point-in-time recovery off; enable it ({rpo_text}).")
    if store.kind in DATABASES and store.provider == "aws" and not covering:
        add(
            "not-in-backup-plan",
            f"{what} is not selected by any AWS Backup plan in its account and region; add it to "
            "a plan's selection (by ARN or tag) for copies beyond the service's own backups.",
        )
    if store.kind == "ebs:volume" and tags.get("Env") == "prod" and not covering:
        age = (
            None
            if store.latest_snapshot is None
            else (as_of - store.latest_snapshot).total_seconds() / 3600
        )
        if age is None or age > rules.frequency_hours:
            seen = "no snapshot" if age is None else f"its newest snapshot is {age:.0f} h old"
            add(
                "volume-not-backed-up",
                f"Production EBS volume {store.name} ({store.account}/{store.region}) is in no backup plan and {seen} (> "
                f"{rules.frequency_hours} h); add it to a daily backup plan.",
                latest_snapshot=store.latest_snapshot.isoformat()
                if store.latest_snapshot
                else None,
                snapshot_age_hours=None if age is None else round(age, 1),
                required_hours=rules.frequency_hours,
            )
    if store.kind == "s3:bucket" and store.versioning != "Enabled":
        add(
            "bucket-versioning-disabled",
            f"Backup bucket {store.name} has versioning {store.versioning or 'never enabled'}; "
            "enable versioning so overwritten or deleted backups can be recovered.",
            versioning=store.versioning or "Disabled",
        )
    relevant = store.kind in DATABASES or (store.kind == "ebs:volume" and tags.get("Env") == "prod")
    if relevant and implied is not None and implied > tier_rpo:
        add(
            "rpo-exceeds-tier",
            f"{what} can lose up to {_fmt_minutes(implied)} of data but its "
            f"{'tier ' + tier if tier else 'default'} RPO is {_fmt_minutes(tier_rpo)}; back it up "
            "more often (PITR/continuous backup or a more frequent plan rule).",
        )
    return out


def _plan_findings(plan: BackupPlan, rules: BackupsPolicy) -> list[Finding]:
    out: list[Finding] = []
    frequency = rules.frequency_hours * 60
    intervals = {r.name: schedule_interval_minutes(r.schedule) for r in plan.rules}
    base = {
        "account": plan.account,
        "region": plan.region,
        "plan": plan.name,
        "rules": [
            {
                "name": r.name,
                "schedule": r.schedule,
                "interval_minutes": intervals[r.name],
                "delete_after_days": r.delete_after_days,
            }
            for r in plan.rules
        ],
        "selections": [s.name for s in plan.selections],
    }
    what = f"Backup plan {plan.name} ({plan.account}/{plan.region})"
    daily = [
        r
        for r in plan.rules
        if r.continuous or ((i := intervals[r.name]) is not None and i <= frequency)
    ]
    if not daily:
        out.append(
            Finding.create(
                check=CHECK,
                rule="plan-not-daily",
                severity=rules.severity_of("plan-not-daily"),
                resource=plan.arn,
                message=f"{what} has no rule running at least every "
                f"{rules.frequency_hours} h; add a daily rule such as cron(0 5 ? * * *).",
                details={**base, "required_interval_minutes": frequency},
            )
        )
    kept = [r.delete_after_days for r in plan.rules]
    if not any(days is None or days >= rules.retention_days for days in kept):
        longest = max((d for d in kept if d is not None), default=0)
        out.append(
            Finding.create(
                check=CHECK,
                rule="plan-retention-too-short",
                severity=rules.severity_of("plan-retention-too-short"),
                resource=plan.arn,
                message=f"{what} keeps recovery points at most {longest} < {rules.retention_days} days; "
                f"set a lifecycle of at least {rules.retention_days} days on its daily rule.",
                details={**base, "retention_days": longest, "required_days": rules.retention_days},
            )
        )
    return out
