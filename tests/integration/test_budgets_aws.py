"""AWS billing sources against moto's server: Cost Explorer (queued, paged results), AWS Budgets
(seeded CalculatedSpend) and FOCUS files in S3; read-only, counted, and in the IAM policy."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

import hygiene.checks.budgets.collect as collector
from hygiene.checks.budgets.rules import evaluate
from hygiene.context import RunContext
from hygiene.policy import Policy
from hygiene.records.billing import AlertThreshold
from hygiene.sources.aws.session import AwsScope
from tests.integration.readonly import ReadOnlyGuard, load_policy, not_allowed, policy_allows

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "focus" / "focus_sample.csv"
AS_OF = datetime(2024, 9, 10, 23, 59, 59, tzinfo=UTC)


def ce_group(project: str, env: str, amount: str) -> dict[str, Any]:
    money = {"Amount": amount, "Unit": "USD"}
    return {
        "Keys": [f"Project${project}", f"Env${env}"],
        "Metrics": {"UnblendedCost": money, "AmortizedCost": money},
    }


def queue_cost_explorer(endpoint: str, pages: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": pages}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request)


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> ReadOnlyGuard:
    guard = ReadOnlyGuard()
    monkeypatch.setattr(
        collector, "_aws_scope", lambda policy: AwsScope.connect(policy.aws, before_call=[guard])
    )
    return guard


def context(tmp_path: Path, policy: Policy) -> RunContext:
    return RunContext(run_id="t", as_of=AS_OF, policy=policy, cache_dir=tmp_path / "cache")


def test_cost_explorer_pages_and_aws_budgets(
    aws: str, tmp_path: Path, guard: ReadOnlyGuard
) -> None:
    day = {"Start": "2024-09-02", "End": "2024-09-03"}
    queue_cost_explorer(
        aws,
        [
            {
                "ResultsByTime": [
                    {
                        "TimePeriod": day,
                        "Groups": [ce_group("checkout", "production", "850.5")],
                        "Estimated": False,
                    }
                ],
                "NextPageToken": "page-2",
            },
            {
                "ResultsByTime": [
                    {
                        "TimePeriod": day,
                        "Groups": [ce_group("search", "dev", "20.25"), ce_group("", "dev", "4.75")],
                        "Estimated": False,
                    }
                ]
            },
        ],
    )
    client = boto3.client("budgets", region_name="us-east-1")
    client.create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": "aws-monthly",
            "BudgetType": "COST",
            "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "100", "Unit": "USD"},
            "CalculatedSpend": {
                "ActualSpend": {"Amount": "150", "Unit": "USD"},
                "ForecastedSpend": {"Amount": "310", "Unit": "USD"},
            },
        },
    )  # no notifications: judged with billing.provider_thresholds, and nobody is told
    email = [{"SubscriptionType": "EMAIL", "Address": "finops@example.com"}]
    client.create_budget(
        AccountId="123456789012",
        Budget={
            "BudgetName": "aws-alerted",
            "BudgetType": "COST",
            "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "300", "Unit": "USD"},
            "CalculatedSpend": {
                "ActualSpend": {"Amount": "160", "Unit": "USD"},
                "ForecastedSpend": {"Amount": "280", "Unit": "USD"},
            },
        },
        NotificationsWithSubscribers=[
            {
                "Notification": {
                    "NotificationType": "ACTUAL",
                    "ComparisonOperator": "GREATER_THAN",
                    "Threshold": 50.0,
                    "ThresholdType": "PERCENTAGE",
                },
                "Subscribers": email,
            },
            {
                "Notification": {
                    "NotificationType": "FORECASTED",
                    "ComparisonOperator": "GREATER_THAN",
                    "Threshold": 270.0,
                    "ThresholdType": "ABSOLUTE_VALUE",
                },
                "Subscribers": email,
            },
        ],
    )  # its own alerts: 50 % of actual, 270 of 300 (90 %) forecast
    policy = Policy.model_validate(
        {
            "billing": {"sources": ["aws-cost-explorer", "aws-budgets"]},
            "budgets": [
                {
                    "name": "checkout-prod",
                    "scope": {"Project": "checkout", "Env": "prod"},
                    "amount": "1000",
                }
            ],
        }
    )
    collection = collector.collect(context(tmp_path, policy))
    assert collection.errors == []
    data = collection.records
    rows = sorted(data.rows, key=lambda r: r.billed_cost)
    assert [(r.day, dict(r.tags), r.billed_cost) for r in rows] == [
        (date(2024, 9, 2), {"Project": None, "Env": "dev"}, Decimal("4.75")),
        (date(2024, 9, 2), {"Project": "search", "Env": "dev"}, Decimal("20.25")),
        (date(2024, 9, 2), {"Project": "checkout", "Env": "prod"}, Decimal("850.5")),
    ]
    assert sorted(
        (b.name, b.amount, b.actual, b.forecast, b.thresholds) for b in data.provider_budgets
    ) == [
        (
            "aws-alerted",
            Decimal("300"),
            Decimal("160"),
            Decimal("280"),
            (AlertThreshold(50.0, "actual"), AlertThreshold(90.0, "forecast")),
        ),
        ("aws-monthly", Decimal("100"), Decimal("150"), Decimal("310"), ()),
    ]
    assert collection.stats["api_calls_by_operation"] == {
        "budgets.DescribeBudgets": 1,
        "budgets.DescribeNotificationsForBudget": 2,
        "ce.GetCostAndUsage": 2,
        "sts.GetCallerIdentity": 1,
    }
    assert guard.violations == []
    findings = evaluate(data, policy, AS_OF)
    assert sorted((f.rule, f.resource) for f in findings) == [
        ("budget-exceeded", "aws-budget:123456789012:aws-monthly"),
        # 160 of 300 (53.3 %) and a 280 forecast (93.3 %): under the defaults (80 %, 100 %),
        # over the budget's own notifications (50 %, 90 %)
        ("budget-threshold", "aws-budget:123456789012:aws-alerted"),
        ("budget-threshold", "budget:checkout-prod"),
        ("budget-without-alerts", "aws-budget:123456789012:aws-monthly"),
        ("forecast-exceeds-budget", "aws-budget:123456789012:aws-alerted"),
        ("no-budget", "project:search"),
    ]
    alerted = {
        f.rule: (f.details["threshold"], f.details["threshold_source"])
        for f in findings
        if f.resource.endswith(":aws-alerted")
    }
    assert alerted == {
        "budget-threshold": (50.0, "budget"),
        "forecast-exceeds-budget": (90.0, "budget"),
    }
    threshold = next(f for f in findings if f.resource == "budget:checkout-prod")
    # one charge on Sep 2 then nothing: the trimmed trend expects no more spend this month
    assert (threshold.details["percent"], threshold.details["forecast_method"]) == (
        85.0,
        "trend",
    )  # 85.05 rounds half-even
    document = load_policy()
    for action in ("ce:GetCostAndUsage", "budgets:ViewBudget", "sts:GetCallerIdentity"):
        assert policy_allows(document, action), action
    assert not_allowed(guard.operations, document) == set()


def test_focus_files_from_s3(aws: str, tmp_path: Path, guard: ReadOnlyGuard) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="billing")
    s3.upload_file(str(SAMPLE), "billing", "focus/2024-09/part-0.csv")
    s3.put_object(Bucket="billing", Key="focus/manifest.json", Body=b"{}")
    policy = Policy.model_validate({"billing": {"sources": ["s3://billing/focus/"]}})
    collection = collector.collect(context(tmp_path, policy))
    assert collection.errors == []
    providers: dict[str, Decimal] = {}
    for row in collection.records.rows:
        if row.billing_month == date(2024, 9, 1):
            providers[row.provider] = providers.get(row.provider, Decimal(0)) + row.billed_cost
    # the sample's September totals (see tests/unit/test_budgets_focus_sample.py), charges to Sep 10
    assert set(providers) == {"AWS", "Microsoft", "Oracle"}
    assert (tmp_path / "cache" / "s3" / "billing" / "focus" / "2024-09" / "part-0.csv").is_file()
    assert not (tmp_path / "cache" / "s3" / "billing" / "focus" / "manifest.json").exists()
    assert guard.operations >= {"s3.ListObjectsV2", "s3.GetObject"}
    assert guard.violations == []
    document = load_policy()
    assert policy_allows(document, "s3:ListBucket") and policy_allows(document, "s3:GetObject")


def test_a_failing_source_is_an_error_not_silence(
    aws: str, tmp_path: Path, guard: ReadOnlyGuard
) -> None:
    policy = Policy.model_validate(
        {"billing": {"sources": ["s3://no-such-bucket/x/", str(SAMPLE)]}}
    )
    collection = collector.collect(context(tmp_path, policy))
    assert collection.errors == [
        "billing source 's3://no-such-bucket/x/': S3 NoSuchBucket; check the bucket name and "
        "that the role may s3:ListBucket and s3:GetObject on it"
    ]
    assert {r.provider for r in collection.records.rows} == {"AWS", "Microsoft", "Oracle"}
