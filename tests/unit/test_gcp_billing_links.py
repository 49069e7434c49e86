"""billing-links evaluator, GCP budget filters → spend, label canonicalisation: pure, plain data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from google.api_core import exceptions as gexc

from hygiene.checks.billing_links.rules import evaluate
from hygiene.policy import GcpPolicy, Policy
from hygiene.records.gcp import BillingAccount, GcpBilling, GcpBudget, ProjectBilling
from hygiene.sources.gcp.assets import canonical_labels
from hygiene.sources.gcp.budget_spend import budget_spend, matches, month_bounds
from hygiene.sources.gcp.scope import Call, Endpoint, describe_error

MAIN = "billingAccounts/AAA"
AS_OF = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


def billing(**overrides: Any) -> GcpBilling:
    data = GcpBilling(
        accounts=[BillingAccount(MAIN, "Main")],
        projects=[
            ProjectBilling("ok", MAIN, True, {"owner": "team-a", "env": "production"}),
            ProjectBilling("unlinked", "", False, {"project": "shop"}),
            ProjectBilling("disabled", MAIN, False),
            ProjectBilling("elsewhere", "billingAccounts/ZZZ", True),
            ProjectBilling("no-budget", MAIN, True),
        ],
        budgets=[
            GcpBudget(f"{MAIN}/budgets/1", "ok only", MAIN, Decimal(10), "USD", projects=("ok",))
        ],
        budgets_read={MAIN},
        accounts_read=True,
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def rules(findings: list[Any]) -> set[tuple[str, str]]:
    return {(f.details["project_id"], f.rule) for f in findings}


def test_each_rule_fires_for_exactly_its_project() -> None:
    findings = evaluate(billing(), Policy(), AS_OF)
    assert rules(findings) == {
        ("unlinked", "billing-unlinked"),
        ("disabled", "billing-disabled"),
        ("elsewhere", "billing-account-not-visible"),
        ("no-budget", "project-without-budget"),
    }
    by_rule = {f.rule: f for f in findings}
    unlinked = by_rule["billing-unlinked"]
    assert unlinked.resource == "//cloudresourcemanager.googleapis.com/projects/unlinked"
    assert unlinked.project == "shop"
    assert unlinked.scope == "unlinked"
    assert unlinked.severity.value == "medium"
    assert by_rule["project-without-budget"].severity.value == "low"
    assert "gcloud billing projects link unlinked" in unlinked.message


def test_an_empty_project_filter_covers_every_project_of_its_account() -> None:
    everything = GcpBudget(f"{MAIN}/budgets/2", "all", MAIN, Decimal(100), "USD")
    findings = evaluate(billing(budgets=[everything]), Policy(), AS_OF)
    assert ("no-budget", "project-without-budget") not in rules(findings)
    assert ("ok", "project-without-budget") not in rules(findings)


def test_nothing_is_claimed_about_what_could_not_be_read() -> None:
    # account list and budgets unreadable: no "not visible", no "without budget"
    findings = evaluate(
        billing(accounts=[], accounts_read=False, budgets_read=set()), Policy(), AS_OF
    )
    assert rules(findings) == {("unlinked", "billing-unlinked"), ("disabled", "billing-disabled")}


def test_severity_comes_from_the_policy_and_ids_are_stable() -> None:
    policy = Policy(gcp=GcpPolicy(severity={"billing-unlinked": "high"}))
    first = {f.rule: f for f in evaluate(billing(), policy, AS_OF)}
    again = {f.rule: f for f in evaluate(billing(), policy, datetime(2027, 1, 1, tzinfo=UTC))}
    assert first["billing-unlinked"].severity.value == "high"
    assert {r: f.id for r, f in first.items()} == {r: f.id for r, f in again.items()}


def test_owner_and_env_come_from_project_labels_normalised() -> None:
    project = ProjectBilling("ok", "", False, {"owner": "team-a", "env": "production"})
    (finding,) = evaluate(billing(projects=[project]), Policy(), AS_OF)
    assert (finding.owner, finding.env) == ("team-a", "prod")


# --------------------------------------------------------------------------- budget spend


def row(day: str, cost: str, **fields: Any) -> dict[str, Any]:
    base = {
        "BillingAccountId": "AAA",
        "SubAccountId": "p1",
        "x_ServiceId": "6F81",
        "ChargeCategory": "Usage",
        "ChargePeriodStart": datetime.fromisoformat(day).replace(tzinfo=UTC),
        "BillingCurrency": "USD",
        "BilledCost": Decimal(cost),
        "Tags": json.dumps({"env": "prod"}),
    }
    return {**base, **fields}


ROWS = [
    row("2026-11-01", "100"),
    row("2026-11-02", "-10", ChargeCategory="Credit"),
    row("2026-11-03", "7", ChargeCategory="Tax"),
    row("2026-11-04", "50", SubAccountId="p2", Tags=json.dumps({"env": "dev"})),
    row("2026-11-05", "30", x_ServiceId="95FF"),
    row("2026-11-06", "999", BillingCurrency="EUR"),
    row("2026-11-20", "500"),  # after as_of
    row("2026-10-15", "80"),  # last month
    row("2026-11-07", "40", BillingAccountId="OTHER"),
]


def budget(**fields: Any) -> GcpBudget:
    base: dict[str, Any] = {
        "name": f"{MAIN}/budgets/b",
        "display_name": "b",
        "billing_account": MAIN,
        "amount": Decimal(200),
        "currency": "USD",
    }
    return GcpBudget(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "actual"),
    [
        ({}, Decimal(170)),  # 100 - 10 + 50 + 30; no tax, no EUR, nothing after as_of
        ({"projects": ("p1",)}, Decimal(120)),
        ({"services": ("services/6F81",)}, Decimal(140)),
        ({"labels": {"env": ("dev",)}}, Decimal(50)),
        ({"credit_types_treatment": "EXCLUDE_ALL_CREDITS"}, Decimal(180)),
    ],
)
def test_budget_filters_select_the_spend(fields: dict[str, Any], actual: Decimal) -> None:
    spend = budget_spend(budget(**fields), ROWS, AS_OF)
    assert spend.actual == actual
    assert spend.month == "2026-11"


def test_last_period_budget_takes_last_months_spend_and_forecast_runs_the_rate() -> None:
    spend = budget_spend(budget(amount=None), ROWS, AS_OF)
    assert spend.amount == Decimal(80)
    # 170 spent in 15 of 30 days → 340 by the month's end
    assert spend.forecast == Decimal("340.00")
    assert spend.percent == 212.5


def test_rows_of_another_account_never_match() -> None:
    assert not matches(budget(), ROWS[-1])
    assert matches(budget(), ROWS[0])


def test_month_bounds_cross_the_year() -> None:
    previous, start, following = month_bounds(datetime(2026, 1, 5, tzinfo=UTC))
    assert (previous.isoformat(), start.isoformat(), following.isoformat()) == (
        "2025-12-01T00:00:00+00:00",
        "2026-01-01T00:00:00+00:00",
        "2026-02-01T00:00:00+00:00",
    )


# --------------------------------------------------------------------------- labels, errors, endpoints


def test_lowercase_labels_are_the_policys_keys_but_aliases_stay() -> None:
    labels = {"project": "shop", "owner": "a", "environment": "prod", "cost-center": "7"}
    assert canonical_labels(labels, ["Project", "Owner", "Env"]) == {
        "Project": "shop",
        "Owner": "a",
        "environment": "prod",
        "cost-center": "7",
    }


def test_errors_name_method_target_status_and_api() -> None:
    call = Call("asset.searchAllResources", "cloudasset.googleapis.com", "project p1")
    denied = gexc.PermissionDenied("nope")
    assert describe_error(call, denied) == (
        "asset.searchAllResources project p1: PERMISSION_DENIED (API cloudasset.googleapis.com)"
    )
    assert describe_error(call, OSError("refused")) == (
        "asset.searchAllResources project p1: OSError: refused (API cloudasset.googleapis.com)"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Endpoint()),
        ("http://127.0.0.1:9000/", Endpoint("127.0.0.1:9000", insecure=True)),
        ("https://private.googleapis.com", Endpoint("private.googleapis.com")),
        ("asset.example.internal:443", Endpoint("asset.example.internal:443")),
    ],
)
def test_endpoint_parsing(value: str | None, expected: Endpoint) -> None:
    assert Endpoint.parse(value) == expected


def test_filters_that_cannot_be_applied_to_export_rows_are_named() -> None:
    from google.cloud.billing import budgets_v1

    from hygiene.sources.gcp.billing import budget_from_proto

    proto = budgets_v1.Budget(
        name=f"{MAIN}/budgets/x",
        budget_filter=budgets_v1.Filter(
            projects=["projects/1001", "projects/999"],
            resource_ancestors=["folders/200"],
            calendar_period=budgets_v1.CalendarPeriod.QUARTER,
        ),
    )
    budget = budget_from_proto(proto, MAIN, {"1001": "shop-prod"})
    assert budget.unmapped == ("resource_ancestors", "calendar_period=QUARTER")
    assert budget.projects == ("shop-prod", "projects/999")  # an unknown number stays as found
    assert (budget.amount, budget.currency) == (None, "")


def test_without_application_default_credentials_gcp_is_skipped() -> None:
    from hygiene.errors import CheckSkipped
    from hygiene.sources.gcp.scope import GcpScope

    # $HOME is a fresh directory and the network guard stops the metadata-server probe
    with pytest.raises(CheckSkipped, match="no GCP credentials found"):
        GcpScope.connect(GcpPolicy(projects=["p1"]), {})
