"""The ``bigquery://`` billing source: the GCP export through the local BigQuery server, mapped to
FOCUS by sources/gcp/billing_export.py, then aggregated by the same spend query as files; and the
``gcp-budgets`` source: GCP budgets, their spend from the export, judged against their own
threshold rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from google.cloud.billing import budgets_v1
from google.type import money_pb2

from hygiene.checks.budgets.collect import collect
from hygiene.checks.budgets.rules import evaluate
from hygiene.checks.budgets.stats import spend_stats
from hygiene.context import RunContext
from hygiene.policy import Policy
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401
from tests.integration.gcp_server.sample import AS_OF, EXPORT_TABLE, MAIN

pytestmark = pytest.mark.integration


def test_bigquery_export_source(gcp: Gcp, tmp_path: Path) -> None:
    policy = Policy.model_validate(
        {
            "gcp": {"projects": ["shop-prod", "shop-dev"]},
            "billing": {"sources": [f"bigquery://{EXPORT_TABLE}"]},
            "budgets": [
                {"name": "shop-prod", "scope": {"SubAccountId": "shop-prod"}, "amount": "500"}
            ],
        }
    )
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=policy, cache_dir=tmp_path, environ=gcp.env)
    collection = collect(ctx)
    assert collection.errors == []
    totals: dict[tuple[date, str, str | None, str], Decimal] = defaultdict(Decimal)
    for row in collection.records.rows:
        totals[(row.billing_month, row.provider, row.sub_account, row.category)] += row.billed_cost
    # sources/gcp sample_export(): November shop-prod 300.25 + 200 + 40 usage, 20 tax, -50 credit;
    # shop-dev 150; October shop-dev 999
    assert dict(totals) == {
        (date(2026, 11, 1), "Google Cloud", "shop-prod", "Usage"): Decimal("540.25"),
        (date(2026, 11, 1), "Google Cloud", "shop-prod", "Tax"): Decimal("20"),
        (date(2026, 11, 1), "Google Cloud", "shop-prod", "Credit"): Decimal("-50"),
        (date(2026, 11, 1), "Google Cloud", "shop-dev", "Usage"): Decimal("150"),
        (date(2026, 10, 1), "Google Cloud", "shop-dev", "Usage"): Decimal("999"),
    }
    envs = {r.tags["Env"] for r in collection.records.rows if r.sub_account == "shop-prod"}
    assert envs == {"prod"}  # resource labels over the project's labels (env: prod)
    findings = evaluate(collection.records, policy, AS_OF)
    # every row carries Project/Owner/Env through its project's labels: nothing untagged
    assert sorted((f.rule, f.resource) for f in findings) == [
        ("budget-exceeded", "budget:shop-prod")
    ]
    stats = spend_stats(collection.records, policy, AS_OF)  # the check's tally
    assert stats["spend"]["untagged"] == {"cost": "0.00", "share": 0.0}
    assert stats["budgets"][0]["actual"] == "540.25"


def shop_dev_budget() -> budgets_v1.Budget:
    """shop-dev's own budget: alerts at 50 % of current spend and 90 % of forecasted spend."""
    return budgets_v1.Budget(
        name=f"{MAIN}/budgets/b-shop-dev",
        display_name="shop-dev monthly",
        budget_filter=budgets_v1.Filter(projects=["projects/1002"]),
        amount=budgets_v1.BudgetAmount(
            specified_amount=money_pb2.Money(currency_code="USD", units=250)
        ),
        threshold_rules=[
            budgets_v1.ThresholdRule(
                threshold_percent=0.5, spend_basis=budgets_v1.ThresholdRule.Basis.CURRENT_SPEND
            ),
            budgets_v1.ThresholdRule(
                threshold_percent=0.9, spend_basis=budgets_v1.ThresholdRule.Basis.FORECASTED_SPEND
            ),
        ],
    )


def test_gcp_budgets_are_judged_against_their_own_threshold_rules(gcp: Gcp, tmp_path: Path) -> None:
    gcp.api.estate.budgets[MAIN].append(shop_dev_budget())
    policy = Policy.model_validate(
        {
            "gcp": {"organization": "100", "billing_export": EXPORT_TABLE},
            "billing": {"sources": ["gcp-budgets"]},
        }
    )
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=policy, cache_dir=tmp_path, environ=gcp.env)
    collection = collect(ctx)
    assert collection.errors == []
    findings = evaluate(collection.records, policy, AS_OF)
    account = MAIN.removeprefix("billingAccounts/")
    # As of Nov 20 12:00 (19.5 of 30 days) each forecast is the run rate, actual × 30 / 19.5.
    # shop-prod monthly (50 %, 90 % current; 100 % forecasted): 490.25 of 500 is 98 %, forecast
    #   754.23 is 150.8 %.
    # shop-dev monthly (50 % current, 90 % forecasted): 150 of 250 is 60 %, forecast 230.77 is
    #   92.3 % — neither would cross the policy's defaults (80 % actual, 100 % forecast).
    # dev label (100 % current only): 150 of 200.50 is 74.8 %; its 115.1 % forecast is not
    #   judged, as the budget has no forecasted-spend rule.
    # everything (no rules; last period's 999): 640.25 is 64.1 %, forecast 985.00 is 98.6 %,
    #   under the policy's thresholds — but it alerts nobody.
    assert sorted(
        (
            f.rule,
            f.resource.removeprefix(f"gcp-budget:{account}:"),
            f.severity.value,
            f.details.get("threshold"),
            f.details.get("threshold_source"),
        )
        for f in findings
    ) == [
        ("budget-threshold", "shop-dev monthly", "medium", 50.0, "budget"),
        ("budget-threshold", "shop-prod monthly", "medium", 90.0, "budget"),
        ("budget-without-alerts", "everything", "low", None, "policy"),
        ("forecast-exceeds-budget", "shop-dev monthly", "medium", 90.0, "budget"),
        ("forecast-exceeds-budget", "shop-prod monthly", "medium", 100.0, "budget"),
    ]
    by_key = {(f.rule, f.details["budget"]): f.details for f in findings}
    expected = {
        "actual": "150.00",
        "percent": 60.0,
        "forecast": "230.77",
        "forecast_percent": 92.3,
        "thresholds": {"actual": [50.0], "forecast": [90.0]},
    }
    shop_dev = by_key[("forecast-exceeds-budget", "shop-dev monthly")]
    assert {key: shop_dev[key] for key in expected} == expected
    assert by_key[("budget-without-alerts", "everything")] == {
        "budget": "everything",
        "scope": f"gcp:{account}",
        "source": "gcp",
        "account": account,
        "amount": "999.00",
        "currency": "USD",
        "threshold_source": "policy",
        "thresholds": {"actual": [80.0, 100.0], "forecast": [100.0]},
    }
    assert [
        (b["name"], b["percent"], b["forecast_percent"])
        for b in spend_stats(collection.records, policy, AS_OF)["budgets"]
    ] == [
        ("shop-prod monthly", 98.0, 150.8),
        ("dev label", 74.8, 115.1),
        ("everything", 64.1, 98.6),
        ("shop-dev monthly", 60.0, 92.3),
    ]
