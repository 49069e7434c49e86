"""Plain records of the backups check: data stores, their backup settings, and backup plans.

Sources (``sources/aws/backups.py``; GCP Cloud SQL later) fill these; ``checks/backups.py`` judges
them. Provider-neutral where it can be: a Cloud SQL instance is a :class:`DataStore` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DataStore:
    """A resource whose data must be backed up, and what protects it today.

    ``kind``: ``rds:db``, ``rds:cluster``, ``dynamodb:table``, ``ebs:volume``, ``s3:bucket``,
    ``cloudsql:instance``. Fields that do not apply to a kind stay ``None``.
    """

    provider: str
    account: str
    region: str
    kind: str
    resource_id: str  # ARN or full resource name
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    retention_days: int | None = None  # automated backups (RDS, Cloud SQL); 0 = disabled
    pitr_enabled: bool | None = None  # DynamoDB point-in-time recovery, RDS/Cloud SQL log backups
    latest_snapshot: datetime | None = None  # EBS: the newest completed snapshot
    versioning: str | None = None  # S3: "Enabled", "Suspended" or "" (never enabled)
    attached_tags: dict[str, str] = field(default_factory=dict)  # EBS: the instance's tags
    engine: str = ""


@dataclass(frozen=True)
class TagCondition:
    """One tag condition of a backup selection (``aws:ResourceTag/`` prefix removed)."""

    operator: str  # StringEquals, StringLike, StringNotEquals, StringNotLike
    key: str
    value: str


@dataclass(frozen=True)
class BackupSelection:
    """Which resources a plan covers: ARN patterns, OR-ed tags, AND-ed conditions, exclusions."""

    name: str
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    list_of_tags: tuple[TagCondition, ...] = ()
    conditions: tuple[TagCondition, ...] = ()


@dataclass(frozen=True)
class BackupRule:
    """One rule of a plan: its schedule and how long recovery points are kept."""

    name: str
    schedule: str  # cron(...) / rate(...) as AWS Backup gives it, "" when none
    delete_after_days: int | None  # None: kept forever
    continuous: bool = False


@dataclass(frozen=True)
class BackupPlan:
    """An AWS Backup plan (regional) with its rules and its selections."""

    provider: str
    account: str
    region: str
    plan_id: str
    arn: str
    name: str
    rules: tuple[BackupRule, ...] = ()
    selections: tuple[BackupSelection, ...] = ()


@dataclass
class BackupInventory:
    """Everything the backups check judges."""

    stores: list[DataStore] = field(default_factory=list)
    plans: list[BackupPlan] = field(default_factory=list)
