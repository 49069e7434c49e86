"""The demo organisation's bill: FOCUS 1.0 rows, one per resource per day, generated from
``demo.org`` with a seeded random generator (no network, the same bytes for the same inputs).

The resources' ``ResourceId`` is what AWS's FOCUS export names them by (an EC2 instance id, a
bucket name, an RDS, Lambda, log group or DynamoDB ARN): ``placed`` maps each resource of the
plan to the id it got when it was created (in moto), so the bill and the inventory join. Each
row carries the resource's tags of that day. Spend that cannot carry tags is there too: data
transfer without a resource, the Business support charge, sales tax, and a small credit.

The bill is written as AWS Data Exports lays it out, one file per billing period
(``BILLING_PERIOD=2026-07/acme-focus-2026-07.csv``), so a month's file can be written when the
month is over and later months added beside it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from demo.org import (
    ACCOUNTS,
    CREDITS,
    DATA_TRANSFER,
    DATA_TRANSFER_GROWTH,
    RESOURCES,
    SPIKE,
    SUPPORT_MINIMUM,
    SUPPORT_RATE,
    TAX_RATE,
    Calendar,
    Resource,
    days_in,
)

DEFAULT_SEED = 2026
#: The FOCUS 1.0 columns the demo bill has (those AWS's FOCUS 1.0 export fills for it).
COLUMNS: tuple[str, ...] = (
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
)
AWS_INC = "Amazon Web Services, Inc."
BILLING_ACCOUNT_NAME = "Acme Corp"
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "eu-west-1": "Europe (Ireland)"}
CENT = Decimal("0.000001")  # costs are written to the micro-dollar
WEEKEND = 0.8  # request-driven spend at weekends
STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Product:
    """How a kind of resource is billed: FOCUS service, category, type, unit and list price."""

    service: str
    category: str
    resource_type: str
    unit: str
    price: Decimal
    description: str


PRODUCTS: dict[str, Product] = {
    "ec2": Product(
        "Amazon EC2",
        "Compute",
        "Instance",
        "Hours",
        Decimal(0),
        "${price} per On Demand Linux {size} Instance Hour",
    ),
    "rds": Product(
        "Amazon RDS",
        "Databases",
        "DB Instance",
        "Hours",
        Decimal(0),
        "${price} per RDS {size} {az} instance hour (or partial hour) running {engine}",
    ),
    "s3": Product(
        "Amazon S3",
        "Storage",
        "Bucket",
        "GB-Mo",
        Decimal("0.023"),
        "$0.023 per GB - first 50 TB / month of storage used",
    ),
    "lambda": Product(
        "AWS Lambda",
        "Compute",
        "Function",
        "Lambda-GB-Second",
        Decimal("0.0000166667"),
        "AWS Lambda - Total Compute - US East (Northern Virginia)",
    ),
    "logs": Product(
        "Amazon CloudWatch",
        "Management and Governance",
        "Log Group",
        "GB",
        Decimal("0.50"),
        "$0.50 per GB - log data ingested",
    ),
    "dynamodb": Product(
        "Amazon DynamoDB",
        "Databases",
        "Table",
        "WriteRequestUnits",
        Decimal("0.00000125"),
        "$1.25 per million write request units",
    ),
}
TRANSFER = Product(
    "AWS Data Transfer",
    "Networking",
    "",
    "GB",
    Decimal("0.09"),
    "$0.09 per GB - first 10 TB / month data transfer out beyond the global free tier",
)
SUPPORT_SERVICE = "AWS Support (Business)"


def money(value: Decimal | float) -> Decimal:
    """A cost rounded to the micro-dollar."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def sku(*parts: str) -> str:
    """A stable made-up SKU id for a product (upper-case hex of its description)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16].upper()


@dataclass(frozen=True)
class Placement:
    """Where the bill's rows for one plan go: the ids of the accounts the plan names and of
    each resource created so far (plan key → ResourceId)."""

    accounts: Mapping[str, str]  # ACCOUNTS alias → account id
    resources: Mapping[str, str]

    @property
    def billing_account(self) -> str:
        """The management account, which pays the bill."""
        return next(self.accounts[a] for a, (_, mgmt) in ACCOUNTS.items() if mgmt)


class Bill:
    """The rows of the demo bill for the days asked, deterministic for a seed."""

    def __init__(
        self,
        cal: Calendar,
        placement: Placement,
        *,
        seed: int = DEFAULT_SEED,
        resources: Sequence[Resource] = RESOURCES,
    ) -> None:
        self.cal, self.placement, self.seed, self.resources = cal, placement, seed, resources

    # ----------------------------------------------------------------- rows

    def rows(self, first: date, last: date) -> Iterator[dict[str, str]]:
        """Every row charged on the days ``first`` … ``last`` (both included; clipped to the
        calendar's history)."""
        day = max(first, self.cal.start)
        last = min(last, self.cal.end)
        while day <= last:
            yield from self.day_rows(day)
            day += timedelta(days=1)

    def day_rows(self, day: date) -> list[dict[str, str]]:
        """One day's rows: each live resource, data transfer, support, tax and any credit."""
        rows: list[dict[str, str]] = []
        usage: dict[str, Decimal] = defaultdict(Decimal)  # account alias → usage cost
        for resource in self.resources:
            if self.cal.day(resource.since) > day:
                continue
            cost = self.resource_cost(resource, day)
            usage[resource.account] += cost
            rows.append(self._resource_row(resource, day, cost))
        for (account, region), base in DATA_TRANSFER.items():
            rng = self._rng("transfer", account, region, day)
            cost = money(
                float(base)
                * self._growth(day, DATA_TRANSFER_GROWTH)
                * self._weekly(day)
                * rng.uniform(0.9, 1.1)
            )
            usage[account] += cost
            rows.append(self._transfer_row(account, region, day, cost))
        month = day.replace(day=1)
        total = sum(usage.values(), Decimal(0))
        support = money(max(SUPPORT_MINIMUM / days_in(month), SUPPORT_RATE * total))
        management = next(a for a, (_, mgmt) in ACCOUNTS.items() if mgmt)
        rows.append(self._support_row(management, day, support))
        usage[management] += support
        for account in ACCOUNTS:
            if usage[account]:
                rows.append(self._tax_row(account, day, money(usage[account] * TAX_RATE)))
        for moment, amount, what in CREDITS:
            if self.cal.day(moment) == day:
                rows.append(self._credit_row(management, day, amount, what))
        return rows

    def resource_cost(self, resource: Resource, day: date) -> Decimal:
        """What ``resource`` costs on ``day``: compute by the hour, the rest by usage."""
        if resource.kind in ("ec2", "rds"):
            cost = (
                float(resource.hourly) * self.hours(resource, day) * (2 if resource.multi_az else 1)
            )
        else:
            rng = self._rng("usage", resource.key, "", day)
            cost = (
                float(resource.daily)
                * self._growth(day, resource.growth)
                * (self._weekly(day) if resource.weekly else 1.0)
                * rng.uniform(0.8, 1.2)
            )
        if day == self.cal.spike_day:
            cost *= SPIKE.get(resource.key, 1.0)
        return money(cost)

    def hours(self, resource: Resource, day: date) -> float:
        """The hours a compute resource ran on ``day`` (whole minutes, from its range)."""
        low, high = (
            resource.weekend_hours
            if resource.weekend_hours is not None and day.weekday() >= 5
            else resource.hours
        )
        if low == high:
            return low
        return round(self._rng("hours", resource.key, "", day).uniform(low, high) * 60) / 60

    # ----------------------------------------------------------------- helpers

    def _rng(self, *parts: object) -> random.Random:
        return random.Random("|".join(str(p) for p in (self.seed, *parts)))

    def _growth(self, day: date, rate: float) -> float:
        return float((1 + rate) ** ((day - self.cal.start).days / 30.44))

    @staticmethod
    def _weekly(day: date) -> float:
        return WEEKEND if day.weekday() >= 5 else 1.0

    def _base(self, account: str, region: str | None, day: date) -> dict[str, str]:
        month = day.replace(day=1)
        next_month = (month + timedelta(days=32)).replace(day=1)
        name, _ = ACCOUNTS[account]
        return {
            "BillingAccountId": self.placement.billing_account,
            "BillingAccountName": BILLING_ACCOUNT_NAME,
            "BillingCurrency": "USD",
            "BillingPeriodStart": month.strftime(STAMP),
            "BillingPeriodEnd": next_month.strftime(STAMP),
            "ChargePeriodStart": day.strftime(STAMP),
            "ChargePeriodEnd": (day + timedelta(days=1)).strftime(STAMP),
            "InvoiceIssuerName": AWS_INC,
            "ProviderName": "AWS",
            "PublisherName": AWS_INC,
            "RegionId": region or "",
            "RegionName": REGION_NAMES.get(region or "", ""),
            "SubAccountId": self.placement.accounts[account],
            "SubAccountName": name,
        }

    def _costs(self, cost: Decimal) -> dict[str, str]:
        text = _text(cost)
        return {"BilledCost": text, "EffectiveCost": text, "ListCost": text, "ContractedCost": text}

    def _priced(
        self, cost: Decimal, unit: str, price: Decimal, quantity: Decimal
    ) -> dict[str, str]:
        amount = _text(quantity.quantize(CENT))
        return {
            **self._costs(cost),
            "ChargeCategory": "Usage",
            "ChargeFrequency": "Usage-Based",
            "ConsumedQuantity": amount,
            "ConsumedUnit": unit,
            "PricingQuantity": amount,
            "PricingUnit": unit,
            "ListUnitPrice": _text(price),
            "ContractedUnitPrice": _text(price),
            "PricingCategory": "Standard",
        }

    def _resource_row(self, resource: Resource, day: date, cost: Decimal) -> dict[str, str]:
        try:
            resource_id = self.placement.resources[resource.key]
        except KeyError:
            raise KeyError(
                f"{resource.key} is billed from {self.cal.day(resource.since)} but was not created"
            ) from None
        product = PRODUCTS[resource.kind]
        if resource.kind in ("ec2", "rds"):
            price = resource.hourly * (2 if resource.multi_az else 1)
            quantity = Decimal(str(self.hours(resource, day)))
        else:
            price = product.price
            quantity = cost / price if price else Decimal(0)
        description = product.description.format(
            price=_text(price),
            size=resource.size,
            az="Multi-AZ" if resource.multi_az else "Single-AZ",
            engine=resource.engine,
        )
        sku_id = sku(product.service, resource.size or product.unit, resource.region)
        return {
            **self._base(resource.account, resource.region, day),
            **self._priced(cost, product.unit, price, quantity),
            "AvailabilityZone": f"{resource.region}a" if resource.kind in ("ec2", "rds") else "",
            "ChargeDescription": description,
            "ResourceId": resource_id,
            "ResourceName": resource.key,
            "ResourceType": product.resource_type,
            "ServiceCategory": product.category,
            "ServiceName": product.service,
            "SkuId": sku_id,
            "SkuPriceId": f"{sku_id}.{sku(sku_id, 'OnDemand')[:10]}",
            "Tags": json.dumps(resource.tags_on(day, self.cal), sort_keys=True),
        }

    def _transfer_row(self, account: str, region: str, day: date, cost: Decimal) -> dict[str, str]:
        sku_id = sku(TRANSFER.service, region)
        return {
            **self._base(account, region, day),
            **self._priced(cost, TRANSFER.unit, TRANSFER.price, cost / TRANSFER.price),
            "ChargeDescription": TRANSFER.description,
            "ServiceCategory": TRANSFER.category,
            "ServiceName": TRANSFER.service,
            "SkuId": sku_id,
            "SkuPriceId": f"{sku_id}.{sku(sku_id, 'OnDemand')[:10]}",
        }

    def _support_row(self, account: str, day: date, cost: Decimal) -> dict[str, str]:
        return {
            **self._base(account, None, day),
            **self._costs(cost),
            "ChargeCategory": "Purchase",
            "ChargeFrequency": "Recurring",
            "ChargeDescription": "Business support: 10% of monthly AWS usage (at least $100)",
            "PricingCategory": "Standard",
            "ServiceCategory": "Management and Governance",
            "ServiceName": SUPPORT_SERVICE,
        }

    def _tax_row(self, account: str, day: date, cost: Decimal) -> dict[str, str]:
        return {
            **self._base(account, None, day),
            **self._costs(cost),
            "ChargeCategory": "Tax",
            "ChargeFrequency": "Recurring",
            "ChargeDescription": f"Sales tax ({_text(TAX_RATE * 100)}%)",
            "ServiceCategory": "Other",
            "ServiceName": "Tax",
        }

    def _credit_row(self, account: str, day: date, amount: Decimal, what: str) -> dict[str, str]:
        return {
            **self._base(account, None, day),
            **self._costs(amount),
            "ChargeCategory": "Credit",
            "ChargeFrequency": "One-Time",
            "ChargeDescription": what,
            "ServiceCategory": "Compute",
            "ServiceName": "Amazon EC2",
        }


# --------------------------------------------------------------------------- files


def partition(directory: Path, month: date) -> Path:
    """The file of one billing period, laid out as AWS Data Exports does."""
    return directory / f"BILLING_PERIOD={month:%Y-%m}" / f"acme-focus-{month:%Y-%m}.csv"


def write_csv(path: Path, rows: Iterator[dict[str, str]]) -> int:
    """Write ``rows`` under the FOCUS header; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_month(directory: Path, bill: Bill, index: int) -> Path:
    """Write billing month ``index`` of the calendar (the current one: up to yesterday)."""
    month = bill.cal.months[index]
    path = partition(directory, month)
    write_csv(path, bill.rows(month, bill.cal.month_end(index)))
    return path
