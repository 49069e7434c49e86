"""AWS billing sources: Cost Explorer GetCostAndUsage (opt-in: each page is billed), AWS Budgets
DescribeBudgets and each budget's DescribeNotificationsForBudget, and downloading CUR/FOCUS exports
from S3 for the local DuckDB reader.

Read-only: ``ce:GetCostAndUsage``, ``budgets:ViewBudget`` (DescribeBudgets,
DescribeNotificationsForBudget), ``s3:ListBucket``, ``s3:GetObject``. Every call goes through an
:class:`AwsScope` client, so it is counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from hygiene.errors import HygieneError
from hygiene.policy import TagsPolicy
from hygiene.records.billing import AlertThreshold, ProviderBudget, SpendRow
from hygiene.sources.aws.session import AwsScope
from hygiene.tagging import normalise_value

log = logging.getLogger(__name__)

#: Cost Explorer lives in us-east-1 whatever the region of the caller.
CE_REGION = "us-east-1"
#: Cost Explorer metric behind each FOCUS cost column.
CE_METRICS = {"BilledCost": "UnblendedCost", "EffectiveCost": "AmortizedCost"}


def cost_explorer_rows(
    scope: AwsScope, start: date, end: date, tag_keys: Sequence[str], policy: TagsPolicy
) -> list[SpendRow]:
    """Daily cost per value of up to two tag keys from GetCostAndUsage, over [start, end).

    Cost Explorer groups by at most two keys and matches tag keys exactly, so only the first two
    ``tag_keys`` are grouped and their aliases are not; the month is the calendar month of the
    day (Cost Explorer exposes no billing period). Every page is a billed API call.
    """
    keys = list(tag_keys)[:2]
    client = scope.client("ce", CE_REGION)
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": list(CE_METRICS.values()),
        "GroupBy": [{"Type": "TAG", "Key": key} for key in keys],
    }
    rows: list[SpendRow] = []
    token: str | None = None
    while True:
        page = client.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        rows += ce_page_rows(page, keys, policy)
        token = page.get("NextPageToken")
        if not token:
            return rows


def ce_page_rows(page: dict[str, Any], keys: Sequence[str], policy: TagsPolicy) -> list[SpendRow]:
    """One GetCostAndUsage response page as spend records (pure)."""
    rows = []
    for result in page.get("ResultsByTime", []):
        day = date.fromisoformat(result["TimePeriod"]["Start"])
        groups = result.get("Groups") or []
        if not groups and result.get("Total"):
            groups = [{"Keys": [f"{k}$" for k in keys], "Metrics": result["Total"]}]
        for group in groups:
            tags: dict[str, str | None] = {}
            for key, raw in zip(keys, group.get("Keys", []), strict=False):
                value = raw.split("$", 1)[1] if "$" in raw else raw
                normalised = normalise_value(key, value, policy) if value.strip() else ""
                tags[key] = normalised or None
            metrics = group.get("Metrics", {})
            billed = metrics.get(CE_METRICS["BilledCost"], {})
            effective = metrics.get(CE_METRICS["EffectiveCost"], billed)
            currency = billed.get("Unit") or effective.get("Unit") or "USD"
            rows.append(
                SpendRow(
                    billing_month=day.replace(day=1),
                    day=day,
                    currency=currency,
                    provider="AWS",
                    sub_account=None,
                    category="Usage",
                    tags=tags,
                    billed_cost=Decimal(billed.get("Amount", "0")),
                    effective_cost=Decimal(effective.get("Amount", billed.get("Amount", "0"))),
                    line_items=1,
                )
            )
    return rows


def describe_budgets(scope: AwsScope, account: str) -> list[ProviderBudget]:
    """Monthly cost budgets of ``account`` from AWS Budgets, with AWS's actual and forecast and
    their notifications (one DescribeNotificationsForBudget per budget judged)."""
    client = scope.client("budgets", CE_REGION, account)
    budgets: list[ProviderBudget] = []
    for page in client.get_paginator("describe_budgets").paginate(AccountId=account):
        for raw in page.get("Budgets", []):
            budget = provider_budget(raw, account)
            if budget is None:
                continue
            notifications: list[dict[str, Any]] = []
            for found in client.get_paginator("describe_notifications_for_budget").paginate(
                AccountId=account, BudgetName=budget.name
            ):
                notifications += found.get("Notifications", [])
            budgets.append(
                replace(budget, thresholds=alert_thresholds(notifications, budget.amount))
            )
    return budgets


def provider_budget(raw: dict[str, Any], account: str) -> ProviderBudget | None:
    """One DescribeBudgets entry as a record (its notifications not read: ``thresholds`` None);
    None for non-cost or non-monthly budgets (pure)."""
    if raw.get("BudgetType", "COST") != "COST" or raw.get("TimeUnit", "MONTHLY") != "MONTHLY":
        return None
    limit = raw.get("BudgetLimit") or {}
    spend = raw.get("CalculatedSpend") or {}
    actual = spend.get("ActualSpend") or {}
    forecast = spend.get("ForecastedSpend")
    if not limit.get("Amount"):
        return None
    return ProviderBudget(
        provider="AWS",
        account=account,
        name=str(raw["BudgetName"]),
        amount=Decimal(str(limit["Amount"])),
        currency=str(limit.get("Unit", "USD")),
        actual=Decimal(str(actual.get("Amount", "0"))),
        forecast=Decimal(str(forecast["Amount"])) if forecast and forecast.get("Amount") else None,
        time_unit=str(raw.get("TimeUnit", "MONTHLY")),
    )


def alert_thresholds(
    notifications: list[dict[str, Any]], amount: Decimal
) -> tuple[AlertThreshold, ...]:
    """A budget's notifications as alert thresholds, in percent of ``amount`` (pure).

    ACTUAL → actual, FORECASTED → forecast; an ABSOLUTE_VALUE threshold becomes its percentage of
    the amount. ``LESS_THAN`` notifications (under-spend) alert on nothing over the budget and are
    left out.
    """
    found = []
    for notification in notifications:
        if notification.get("ComparisonOperator", "GREATER_THAN") == "LESS_THAN":
            continue
        value = Decimal(str(notification.get("Threshold", 0)))
        if notification.get("ThresholdType", "PERCENTAGE") == "ABSOLUTE_VALUE":
            value = value * 100 / amount
        forecasted = notification.get("NotificationType") == "FORECASTED"
        found.append(AlertThreshold(round(float(value), 4), "forecast" if forecasted else "actual"))
    return tuple(found)


def download_s3_prefix(scope: AwsScope, url: str, dest: Path, suffixes: Sequence[str]) -> list[str]:
    """Download the billing files under an ``s3://bucket/prefix`` into ``dest``; local paths.

    An object already downloaded with the same size and ETag is not fetched again.
    """
    import botocore.exceptions

    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise HygieneError(f"billing source {url!r}: expected s3://bucket/prefix")
    client = scope.client("s3", scope.default_region)
    paths: list[str] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if not any(key.lower().endswith(s) for s in suffixes):
                    continue
                target = dest / bucket / key
                marker = target.with_name(target.name + ".etag")
                stamp = f"{str(item.get('ETag', '')).strip(chr(34))}:{item.get('Size')}"
                if not (target.exists() and marker.exists() and marker.read_text() == stamp):
                    _download(client, bucket, key, target)
                    marker.write_text(stamp)
                paths.append(str(target))
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise HygieneError(
            f"billing source {url!r}: S3 {code}; check the bucket name and that the role may "
            "s3:ListBucket and s3:GetObject on it"
        ) from None
    log.info("downloaded %d billing file(s) from %s", len(paths), url)
    return sorted(paths)


def _download(client: Any, bucket: str, key: str, target: Path) -> None:
    """Stream one object to ``target`` through a temporary file (GetObject only)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    with partial.open("wb") as handle:
        for chunk in body.iter_chunks(chunk_size=8 * 1024 * 1024):
            handle.write(chunk)
    partial.replace(target)
