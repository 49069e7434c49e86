"""Pure transforms of Cost Explorer pages and DescribeBudgets entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hygiene.policy import TagsPolicy
from hygiene.records.billing import AlertThreshold
from hygiene.sources.aws.billing import alert_thresholds, ce_page_rows, provider_budget


def test_cost_explorer_groups_normalise_values_and_empty_means_untagged() -> None:
    page = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-10-31", "End": "2026-11-01"},
                "Groups": [
                    {
                        "Keys": ["Project$checkout", "Env$Production"],
                        "Metrics": {
                            "UnblendedCost": {"Amount": "10.5", "Unit": "USD"},
                            "AmortizedCost": {"Amount": "9.25", "Unit": "USD"},
                        },
                    },
                    {
                        "Keys": ["Project$", "Env$ "],
                        "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}},
                    },
                ],
            }
        ]
    }
    rows = ce_page_rows(page, ["Project", "Env"], TagsPolicy())
    assert [
        (r.billing_month, r.day, dict(r.tags), r.billed_cost, r.effective_cost) for r in rows
    ] == [
        (
            date(2026, 10, 1),
            date(2026, 10, 31),
            {"Project": "checkout", "Env": "prod"},
            Decimal("10.5"),
            Decimal("9.25"),
        ),
        (
            date(2026, 10, 1),
            date(2026, 10, 31),
            {"Project": None, "Env": None},
            Decimal("1"),
            Decimal("1"),
        ),
    ]


def test_an_ungrouped_total_is_one_untagged_row() -> None:
    page = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-10-02", "End": "2026-10-03"},
                "Groups": [],
                "Total": {"UnblendedCost": {"Amount": "3.5", "Unit": "EUR"}},
            }
        ]
    }
    [row] = ce_page_rows(page, ["Project"], TagsPolicy())
    assert (row.currency, dict(row.tags), row.billed_cost) == (
        "EUR",
        {"Project": None},
        Decimal("3.5"),
    )


def test_only_monthly_cost_budgets_with_a_limit_are_kept() -> None:
    base = {
        "BudgetName": "b",
        "BudgetType": "COST",
        "TimeUnit": "MONTHLY",
        "BudgetLimit": {"Amount": "100.0", "Unit": "USD"},
        "CalculatedSpend": {"ActualSpend": {"Amount": "12.3", "Unit": "USD"}},
    }
    kept = provider_budget(base, "111122223333")
    assert kept is not None
    assert (kept.amount, kept.actual, kept.forecast, kept.account) == (
        Decimal("100.0"),
        Decimal("12.3"),
        None,
        "111122223333",
    )
    assert kept.thresholds is None  # not read here: describe_budgets reads the notifications
    assert provider_budget({**base, "BudgetType": "USAGE"}, "1") is None
    assert provider_budget({**base, "TimeUnit": "QUARTERLY"}, "1") is None
    assert provider_budget({**base, "BudgetLimit": {}}, "1") is None


def test_notifications_become_alert_thresholds_in_percent_of_the_amount() -> None:
    notifications = [
        {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 50.0},
        {
            "NotificationType": "FORECASTED",
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": 270.0,
            "ThresholdType": "ABSOLUTE_VALUE",
        },
        {"NotificationType": "ACTUAL", "ComparisonOperator": "EQUAL_TO", "Threshold": 100.0},
        {"NotificationType": "ACTUAL", "ComparisonOperator": "LESS_THAN", "Threshold": 10.0},
    ]
    assert alert_thresholds(notifications, Decimal("300")) == (
        AlertThreshold(50.0, "actual"),
        AlertThreshold(90.0, "forecast"),  # 270 of 300
        AlertThreshold(100.0, "actual"),
    )  # an under-spend (LESS_THAN) notification alerts on no overspend: left out
    assert alert_thresholds([], Decimal("300")) == ()
