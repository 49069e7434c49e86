"""The demo organisation, as data: Acme's two AWS accounts, three projects, their owners, the
resources each runs (with what they cost and the tags they carry over time), the owner
directory and the budgets. Nothing here calls AWS; ``demo.seed`` creates the resources in moto
and ``demo.bill`` writes their FOCUS bill.

Time is relative to the demo's ``as_of``: the history is the five billing months before the
current one plus the current month to date (:class:`Calendar`), and each resource's start and
tag changes are ``(month, day)`` in it, month 0 being the oldest. The story:

* **checkout** (team-payments): API servers, a Multi-AZ database and, from month 3, a replica;
  a worker left untagged until month 2, then tagged with the owner misspelt (``team-paymnts``);
  a webhook Lambda whose retry storm is this month's spike day.
* **search** (team-search): search nodes, two of them tagged ``owner`` until month 1, one still
  is; an EU node on ``Env: qa`` until it is fixed this month; Maria's GPU sandbox, left running
  since month 4, far past her personal budget.
* **shop** (team-shop, its own account): growing traffic — web nodes added in months 3 and 4,
  uploads and image resizing growing fast — so its forecast passes its budget; the uploads
  bucket untagged until month 3; a worker still owned by Alex, who has left.
* **team-platform** runs shared pieces in each project (bastion, CI runner, the log archive,
  which has no Project); a scratch instance nobody tagged.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["ec2", "rds", "s3", "lambda", "logs", "dynamodb"]
Moment = tuple[int, int]  # (month of the history, 0 = oldest; day of that month)
Tags = Mapping[str, str]

#: The demo's accounts: alias → (SubAccountName, management account?).
ACCOUNTS: dict[str, tuple[str, bool]] = {
    "main": ("acme-main", True),
    "shop": ("acme-shop", False),
    "sandbox": ("acme-sandbox", False),
}
REGIONS = ("us-east-1", "eu-west-1")
MONTHS = 6  # billing months in the history, the current one included
PROJECTS = ("checkout", "search", "shop")


def full(project: str, owner: str, env: str = "prod") -> dict[str, str]:
    """The three required tags."""
    return {"Project": project, "Owner": owner, "Env": env}


@dataclass(frozen=True)
class Resource:
    """One billed resource: where it runs, what it costs, the tags it carries from when.

    Compute (ec2, rds) costs ``hourly`` × its ``hours`` that day (× 2 Multi-AZ): always on, or
    a range for what scales in and out; the others cost ``daily`` at the start of the history,
    growing by ``growth`` a month, lower at weekends when ``weekly``. ``tags`` are ``(moment, tags)`` changes, the first one at ``since``."""

    key: str  # its name, unique in the organisation
    account: str  # an ACCOUNTS alias
    region: str
    kind: Kind
    tags: tuple[tuple[Moment, Tags], ...]
    since: Moment = (0, 1)
    size: str = ""  # instance or database class
    hourly: Decimal = Decimal(0)
    daily: Decimal = Decimal(0)
    growth: float = 0.0
    weekly: bool = False
    multi_az: bool = False
    engine: str = "postgres"
    hours: tuple[float, float] = (24.0, 24.0)  # a compute resource's hours a weekday (a range)
    weekend_hours: tuple[float, float] | None = None  # at weekends (None: as on weekdays)

    def tags_on(self, moment_date: date, cal: Calendar) -> dict[str, str]:
        """The tags the resource carries on that day (the latest change on or before it)."""
        current: Tags = {}
        for moment, tags in self.tags:
            if cal.day(moment) <= moment_date:
                current = tags
        return dict(current)


def _res(
    key: str,
    account: str,
    kind: Kind,
    tags: Tags,
    *,
    region: str = "us-east-1",
    since: Moment = (0, 1),
    changes: tuple[tuple[Moment, Tags], ...] = (),
    **costs: Any,
) -> Resource:
    return Resource(key, account, region, kind, ((since, tags), *changes), since=since, **costs)


D = Decimal
PAY, SEARCH, SHOP, PLATFORM = "team-payments", "team-search", "team-shop", "team-platform"
MARIA, ALEX, TYPO = "maria.lopez", "alex.chen", "team-paymnts"

RESOURCES: tuple[Resource, ...] = (
    # ---- checkout (account main)
    _res(
        "checkout-api-1",
        "main",
        "ec2",
        full("checkout", PAY),
        size="m5.xlarge",
        hourly=D("0.192"),
        hours=(18.0, 24.0),
        weekend_hours=(16.0, 22.0),
    ),
    _res(
        "checkout-api-2",
        "main",
        "ec2",
        full("checkout", PAY),
        size="m5.xlarge",
        hourly=D("0.192"),
        hours=(18.0, 24.0),
        weekend_hours=(16.0, 22.0),
    ),
    _res(
        "checkout-worker",
        "main",
        "ec2",
        {},
        size="c5.large",
        hourly=D("0.085"),
        hours=(12.0, 24.0),
        weekend_hours=(6.0, 12.0),
        changes=(((2, 10), full("checkout", TYPO)),),
    ),
    _res(
        "checkout-db",
        "main",
        "rds",
        full("checkout", PAY),
        size="db.r5.xlarge",
        hourly=D("0.50"),
        multi_az=True,
    ),
    _res(
        "checkout-db-replica",
        "main",
        "rds",
        full("checkout", PAY),
        size="db.r5.large",
        hourly=D("0.25"),
    ),
    _res(
        "checkout-webhooks",
        "main",
        "lambda",
        full("checkout", PAY),
        daily=D("2.40"),
        growth=0.06,
        weekly=True,
    ),
    _res(
        "/aws/lambda/checkout-webhooks",
        "main",
        "logs",
        full("checkout", TYPO),
        daily=D("1.10"),
        growth=0.06,
        weekly=True,
    ),
    _res(
        "checkout-carts",
        "main",
        "dynamodb",
        full("checkout", PAY),
        daily=D("2.60"),
        growth=0.05,
        weekly=True,
    ),
    _res(
        "acme-checkout-receipts", "main", "s3", full("checkout", PAY), daily=D("0.60"), growth=0.08
    ),
    _res(
        "checkout-bastion",
        "main",
        "ec2",
        full("checkout", PLATFORM),
        size="t3.small",
        hourly=D("0.0208"),
    ),
    # ---- search (account main)
    _res(
        "search-node-1",
        "main",
        "ec2",
        {"Project": "search", "owner": SEARCH, "Env": "prod"},
        size="r5.xlarge",
        hourly=D("0.252"),
        changes=(((1, 12), full("search", SEARCH)),),
    ),
    _res(
        "search-node-2",
        "main",
        "ec2",
        {"Project": "search", "owner": SEARCH, "Env": "prod"},
        size="r5.xlarge",
        hourly=D("0.252"),
        changes=(((1, 12), full("search", SEARCH)),),
    ),
    _res(
        "search-node-3",
        "main",
        "ec2",
        {"Project": "search", "owner": SEARCH, "Env": "prod"},
        size="r5.xlarge",
        hourly=D("0.252"),
    ),
    _res(
        "search-indexer",
        "main",
        "ec2",
        full("search", SEARCH),
        size="c5.large",
        hourly=D("0.085"),
        hours=(8.0, 20.0),
        weekend_hours=(4.0, 10.0),
    ),
    _res(
        "search-node-eu-1",
        "main",
        "ec2",
        full("search", SEARCH, "qa"),
        region="eu-west-1",
        size="r5.large",
        hourly=D("0.141"),
        changes=(((5, 2), full("search", SEARCH, "staging")),),
    ),
    _res(
        "acme-search-snapshots",
        "main",
        "s3",
        {"Project": "search", "Owner": SEARCH},
        daily=D("1.50"),
        growth=0.10,
        changes=(((1, 20), full("search", SEARCH)),),
    ),
    _res(
        "search-query-log",
        "main",
        "lambda",
        full("search", SEARCH),
        daily=D("0.80"),
        growth=0.04,
        weekly=True,
    ),
    _res(
        "maria-gpu-sandbox",
        "sandbox",
        "ec2",
        full("search", MARIA, "dev"),
        size="g4dn.xlarge",
        hourly=D("0.526"),
        since=(4, 16),
    ),
    # ---- platform and the untagged (account main)
    _res(
        "acme-central-logs",
        "main",
        "s3",
        {"Owner": PLATFORM, "Env": "prod"},
        daily=D("2.20"),
        growth=0.04,
    ),
    _res("acme-main-tmp", "main", "s3", {}, daily=D("0.30")),
    # ---- shop (account shop)
    _res(
        "shop-web-1",
        "shop",
        "ec2",
        full("shop", SHOP),
        size="m5.large",
        hourly=D("0.096"),
        hours=(16.0, 24.0),
        weekend_hours=(12.0, 20.0),
    ),
    _res(
        "shop-web-2",
        "shop",
        "ec2",
        full("shop", SHOP),
        size="m5.large",
        hourly=D("0.096"),
        hours=(16.0, 24.0),
        weekend_hours=(12.0, 20.0),
    ),
    _res(
        "shop-web-3",
        "shop",
        "ec2",
        full("shop", SHOP),
        size="m5.large",
        hourly=D("0.096"),
        hours=(16.0, 24.0),
        weekend_hours=(12.0, 20.0),
        since=(3, 6),
    ),
    _res(
        "shop-web-4",
        "shop",
        "ec2",
        full("shop", SHOP),
        size="m5.large",
        hourly=D("0.096"),
        hours=(16.0, 24.0),
        weekend_hours=(12.0, 20.0),
        since=(4, 9),
    ),
    _res(
        "shop-web-eu-1",
        "shop",
        "ec2",
        full("shop", SHOP, "staging"),
        region="eu-west-1",
        size="m5.large",
        hourly=D("0.107"),
        hours=(10.0, 14.0),
        weekend_hours=(6.0, 10.0),
    ),
    _res(
        "shop-db",
        "shop",
        "rds",
        full("shop", SHOP),
        size="db.m5.large",
        hourly=D("0.171"),
        engine="mysql",
    ),
    _res(
        "acme-shop-uploads",
        "shop",
        "s3",
        {},
        daily=D("1.30"),
        growth=0.25,
        changes=(((3, 12), full("shop", SHOP)),),
    ),
    _res(
        "shop-image-resizer",
        "shop",
        "lambda",
        full("shop", SHOP),
        daily=D("0.75"),
        growth=0.30,
        weekly=True,
    ),
    _res(
        "/aws/lambda/shop-image-resizer",
        "shop",
        "logs",
        full("shop", SHOP),
        daily=D("0.40"),
        growth=0.30,
        weekly=True,
    ),
    _res(
        "shop-sessions",
        "shop",
        "dynamodb",
        full("shop", SHOP),
        daily=D("1.30"),
        growth=0.15,
        weekly=True,
    ),
    _res(
        "shop-ci-runner",
        "shop",
        "ec2",
        full("shop", PLATFORM, "dev"),
        size="c5.xlarge",
        hourly=D("0.17"),
        hours=(12.0, 22.0),
        weekend_hours=(8.0, 14.0),
    ),
    _res(
        "shop-legacy-worker",
        "shop",
        "ec2",
        full("shop", ALEX),
        size="t3.medium",
        hourly=D("0.0416"),
    ),
    _res(
        "scratch",
        "shop",
        "ec2",
        {"Name": "scratch"},
        size="m5.xlarge",
        hourly=D("0.192"),
    ),
)

#: Data transfer without a resource (no ResourceId: it cannot carry tags), daily at the start,
#: per (account, region).
DATA_TRANSFER: dict[tuple[str, str], Decimal] = {
    ("main", "us-east-1"): D("3.20"),
    ("main", "eu-west-1"): D("0.90"),
    ("shop", "us-east-1"): D("1.80"),
    ("shop", "eu-west-1"): D("0.60"),
}
DATA_TRANSFER_GROWTH = 0.06
#: Business support: 10 % of the month's usage, at least 100 USD, billed to the management
#: account (spread over the days, as the bill accrues it).
SUPPORT_RATE, SUPPORT_MINIMUM = D("0.10"), D("100")
TAX_RATE = D("0.06")  # sales tax on each account's charges
#: Credits: (moment, amount, description); the current month's is on its first day.
CREDITS: tuple[tuple[Moment, Decimal, str], ...] = (
    ((2, 15), D("-50.00"), "AWS promotional credit"),
    ((5, 1), D("-25.00"), "AWS service credit (SLA)"),
)
#: This month's spike: a retry storm of the checkout webhooks (the cost multiplier per
#: resource on that day).
SPIKE: dict[str, float] = {"checkout-webhooks": 60.0, "/aws/lambda/checkout-webhooks": 45.0}


@dataclass(frozen=True)
class Owner:
    """An entry of the owner directory."""

    id: str
    name: str
    email: str | None = None
    channel: str | None = None  # its team webhook channel
    active: bool = True


OWNERS: tuple[Owner, ...] = (
    Owner(PAY, "Payments", "payments@acme.example", "payments-alerts"),
    Owner(SEARCH, "Search", "search@acme.example", "search-alerts"),
    Owner(SHOP, "Shop", "shop@acme.example", "shop-alerts"),
    Owner(PLATFORM, "Platform", "platform@acme.example", "platform-alerts"),
    Owner(MARIA, "Maria Lopez", "maria.lopez@acme.example"),
    Owner(ALEX, "Alex Chen", active=False),  # left in month 3; still named on resources
)


@dataclass(frozen=True)
class BudgetPlan:
    """A monthly budget of the demo policy."""

    name: str
    scope: dict[str, str]
    amount: Decimal
    owner: str


BUDGETS: tuple[BudgetPlan, ...] = (
    BudgetPlan("acme-total", {}, D("5500"), PLATFORM),
    BudgetPlan("checkout", {"Project": "checkout"}, D("2200"), PAY),
    BudgetPlan("search", {"Project": "search"}, D("1700"), SEARCH),
    BudgetPlan("shop", {"Project": "shop"}, D("800"), SHOP),
    BudgetPlan("platform", {"Owner": PLATFORM}, D("320"), PLATFORM),
    BudgetPlan("maria-sandbox", {"Owner": MARIA}, D("60"), MARIA),
)


@dataclass(frozen=True)
class Calendar:
    """The demo's months: five full billing months before ``as_of``'s and its month to date.
    Bill rows run from ``start`` to ``end`` (the day before ``as_of``), both included."""

    as_of: datetime
    months: tuple[date, ...] = field(init=False)

    def __post_init__(self) -> None:
        first = self.as_of.date().replace(day=1)
        months = [first]
        for _ in range(MONTHS - 1):
            months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
        object.__setattr__(self, "months", tuple(months))

    @property
    def start(self) -> date:
        """The first day of the history."""
        return self.months[0]

    @property
    def end(self) -> date:
        """The last day with charges: the day before ``as_of``."""
        return self.as_of.date() - timedelta(days=1)

    @property
    def current(self) -> date:
        """The first day of the current billing month."""
        return self.months[-1]

    def day(self, moment: Moment) -> date:
        """The date of a ``(month, day)`` moment (a day past the month's end is its last)."""
        month = self.months[moment[0]]
        return month.replace(day=min(moment[1], days_in(month)))

    def month_end(self, index: int) -> date:
        """The last day of billing month ``index``."""
        month = self.months[index]
        return month.replace(day=days_in(month))

    @property
    def spike_day(self) -> date | None:
        """This month's spike: its third day, or the last day with charges when earlier; None
        when the month has no charges yet (``as_of`` on its first day)."""
        if self.end < self.current:
            return None
        return min(self.current + timedelta(days=2), self.end)


def days_in(month: date) -> int:
    """The number of days of ``month``'s month."""
    return calendar.monthrange(month.year, month.month)[1]
