"""The budgets check over plain spend records: every rule, exact findings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hygiene.checks.budgets.rules import evaluate
from hygiene.checks.budgets.stats import spend_stats
from hygiene.findings import Finding
from hygiene.policy import Policy
from hygiene.records.billing import AlertThreshold, ProviderBudget, SpendData, SpendRow

SEP = date(2024, 9, 1)
AS_OF = datetime(2024, 9, 15, 23, 59, 59, tzinfo=UTC)
KEYS = ("Project", "Owner", "Env")


def daily_rows(
    amounts: list[float],
    *,
    project: str | None,
    env: str | None,
    account: str,
    currency: str = "USD",
    owner: str | None = "team-a",
    category: str = "Usage",
) -> list[SpendRow]:
    return [
        SpendRow(
            billing_month=SEP,
            day=SEP + timedelta(days=i),
            currency=currency,
            provider="AWS",
            sub_account=account,
            category=category,
            tags={"Project": project, "Owner": owner if project else None, "Env": env},
            billed_cost=Decimal(str(a)),
            effective_cost=Decimal(str(a)),
            line_items=1,
        )
        for i, a in enumerate(amounts)
    ]


def policy() -> Policy:
    return Policy.model_validate(
        {
            "budgets": [
                {
                    "name": "checkout-prod",
                    "scope": {"Project": "checkout", "Env": "production"},
                    "amount": "1000",
                    "owner": "payments",
                },
                {"name": "search", "scope": {"Project": "search"}, "amount": "1000"},
                {"name": "data", "scope": {"Project": "data"}, "amount": "500", "currency": "EUR"},
            ]
        }
    )


def records() -> SpendData:
    rows = (
        daily_rows([80] * 15, project="checkout", env="prod", account="111")  # 1200 > 1000
        + daily_rows([56] * 15, project="search", env="dev", account="222")  # 840: 84 %
        + daily_rows([10] * 15, project="data", env="dev", account="333")  # USD: not counted
        + daily_rows([5] * 15, project="data", env="dev", account="333", currency="EUR")
        + daily_rows([1] * 15, project="orphan", env="dev", account="444")
        + daily_rows([30] * 13 + [300, 30], project=None, env="prod", account="999")  # spike
        + daily_rows([-50], project="checkout", env="prod", account="111", category="Credit")
    )
    budgets = [
        ProviderBudget(
            "AWS", "123456789012", "aws-monthly", Decimal(100), "USD", Decimal(150), Decimal(300)
        ),
        ProviderBudget(
            "AWS", "123456789012", "aws-ok", Decimal(1000), "USD", Decimal(100), Decimal(500)
        ),
    ]
    return SpendData(rows=rows, provider_budgets=budgets, tag_keys=KEYS)


def test_every_rule_fires_exactly_where_it_should() -> None:
    findings = evaluate(records(), policy(), AS_OF)
    assert sorted((f.rule, f.resource, f.severity.value) for f in findings) == [
        ("budget-exceeded", "aws-budget:123456789012:aws-monthly", "high"),
        ("budget-exceeded", "budget:checkout-prod", "high"),
        ("budget-threshold", "budget:search", "medium"),
        ("currency-mismatch", "budget:data", "high"),
        ("forecast-exceeds-budget", "budget:search", "medium"),
        ("no-budget", "project:orphan", "low"),
        ("spend-anomaly", "spend:AWS:999", "medium"),
        ("untagged-spend", "spend:USD", "medium"),
    ]
    by_rule = {(f.rule, f.resource): f for f in findings}
    exceeded = by_rule[("budget-exceeded", "budget:checkout-prod")]
    assert exceeded.details["actual"] == "1200.00"  # credits are not netted from the budget
    assert (exceeded.owner, exceeded.project, exceeded.env) == (
        "payments",
        "checkout",
        "prod",  # the budget scope says production: normalised
    )
    assert exceeded.details["scope"] == "Project=checkout, Env=prod"
    search = by_rule[("forecast-exceeds-budget", "budget:search")]
    assert (search.details["forecast"], search.details["forecast_method"]) == ("1680.00", "trend")
    assert by_rule[("budget-threshold", "budget:search")].details["threshold"] == 80.0
    mismatch = by_rule[("currency-mismatch", "budget:data")].details
    assert (mismatch["currency"], mismatch["amount"]) == ("USD", "150.00")
    untagged = by_rule[("untagged-spend", "spend:USD")].details
    # 720 untagged of 1200 + 840 + 150 + 15 + 720 = 2925 gross usage
    assert (untagged["untagged_cost"], untagged["gross_usage_cost"], untagged["share"]) == (
        "720.00",
        "2925.00",
        24.6,
    )
    anomaly = by_rule[("spend-anomaly", "spend:AWS:999")].details
    assert [d["day"] for d in anomaly["days"]] == ["2024-09-14"]
    assert (
        by_rule[("budget-exceeded", "aws-budget:123456789012:aws-monthly")].details["account"]
        == "123456789012"
    )


def test_ids_are_stable_across_runs_and_days() -> None:
    first = {f.id for f in evaluate(records(), policy(), AS_OF)}
    later = {f.id for f in evaluate(records(), policy(), AS_OF + timedelta(hours=6))}
    assert first == later


def test_stats_hold_the_spend_table_and_budget_rows() -> None:
    stats = spend_stats(records(), policy(), AS_OF)
    assert stats["spend"]["currency"] == "USD"
    assert set(stats["spend_other_currencies"]) == {"EUR"}
    assert stats["spend"]["untagged"] == {"cost": "720.00", "share": 24.6}
    assert stats["spend"]["charges"]["credit"] == "-50.00"
    assert [
        (b["name"], b["actual"], b["percent"], b["forecast_percent"]) for b in stats["budgets"]
    ] == [
        ("checkout-prod", "1200.00", 120.0, 240.0),
        ("search", "840.00", 84.0, 168.0),
        ("data", "75.00", 15.0, 30.0),
        ("aws-monthly", "150.00", 150.0, 300.0),
        ("aws-ok", "100.00", 10.0, 50.0),
    ]
    keys = [g["key"] for g in stats["spend"]["groups"]]
    assert keys[0] == {"Project": "checkout", "Owner": "team-a", "Env": "prod"}
    assert {"Project": None, "Owner": None, "Env": "prod"} in keys


def test_nothing_without_spend() -> None:
    assert evaluate(SpendData(tag_keys=KEYS), policy(), AS_OF) == []


def provider(
    name: str,
    actual: str,
    forecast: str,
    thresholds: tuple[AlertThreshold, ...] | None,
    cloud: str = "GCP",
) -> ProviderBudget:
    return ProviderBudget(
        cloud,
        "0A0A0A-111111-222222" if cloud == "GCP" else "123456789012",
        name,
        Decimal(1000),
        "USD",
        Decimal(actual),
        Decimal(forecast),
        thresholds=thresholds,
    )


def judged(findings: list[Finding]) -> list[tuple[str, str, object, object, object]]:
    return sorted(
        (
            f.rule,
            f.resource.rsplit(":", 1)[-1],
            f.details.get("threshold"),
            f.details.get("threshold_source"),
            f.details.get("thresholds"),
        )
        for f in findings
    )


def test_provider_budgets_are_judged_against_their_own_alert_thresholds() -> None:
    budgets = [
        # 50 % of actual and 90 % of forecast: both crossed, though the defaults (80/100) are not
        provider(
            "own",
            "600",
            "950",
            (AlertThreshold(50.0), AlertThreshold(90.0, "forecast")),
        ),
        # its only alert is 100 % of actual: the 150 % forecast is not judged
        provider("actual-only", "600", "1500", (AlertThreshold(100.0),)),
        # no alerts at all: the policy's thresholds, and a finding that nobody is told
        provider("none", "850", "1100", ()),
        # alerts not read (a record built without them): the policy's thresholds, no finding
        provider("unread", "850", "1100", None, cloud="AWS"),
    ]
    data = SpendData(provider_budgets=budgets, tag_keys=KEYS)
    findings = evaluate(data, Policy(), AS_OF)
    own = {"actual": [50.0], "forecast": [90.0]}
    default = {"actual": [80.0, 100.0], "forecast": [100.0]}
    assert judged(findings) == [
        ("budget-threshold", "none", 80.0, "policy", default),
        ("budget-threshold", "own", 50.0, "budget", own),
        ("budget-threshold", "unread", 80.0, "policy", default),
        ("budget-without-alerts", "none", None, "policy", default),
        ("forecast-exceeds-budget", "none", 100.0, "policy", default),
        ("forecast-exceeds-budget", "own", 90.0, "budget", own),
        ("forecast-exceeds-budget", "unread", 100.0, "policy", default),
    ]
    [silent] = [f for f in findings if f.rule == "budget-without-alerts"]
    assert (silent.severity.value, silent.resource) == (
        "low",
        "gcp-budget:0A0A0A-111111-222222:none",
    )
    assert silent.message == (
        "GCP budget none (billing account 0A0A0A-111111-222222) has no alert thresholds, so "
        "nobody is told when spend crosses it; add threshold rules (e.g. 50% and 90% of actual, "
        "100% of forecast) and who they notify."
    )
    assert silent.details == {
        "budget": "none",
        "scope": "gcp:0A0A0A-111111-222222",
        "source": "gcp",
        "account": "0A0A0A-111111-222222",
        "amount": "1000.00",
        "currency": "USD",
        "threshold_source": "policy",
        "thresholds": default,
    }


def test_budgets_without_alerts_fall_back_to_billing_provider_thresholds() -> None:
    policy = Policy.model_validate(
        {
            "billing": {
                "provider_thresholds": {"actual": [70], "forecast": []},
                "severity": {"budget-without-alerts": "info"},
            }
        }
    )
    data = SpendData(provider_budgets=[provider("none", "850", "1100", (), cloud="AWS")])
    findings = evaluate(data, policy, AS_OF)
    fallback = {"actual": [70.0], "forecast": []}
    assert judged(findings) == [
        ("budget-threshold", "none", 70.0, "policy", fallback),
        ("budget-without-alerts", "none", None, "policy", fallback),
    ]
    [silent] = [f for f in findings if f.rule == "budget-without-alerts"]
    assert (silent.severity.value, silent.resource) == ("info", "aws-budget:123456789012:none")
    assert silent.message.startswith(
        "AWS budget none (account 123456789012) has no alert thresholds, so nobody is told "
        "when spend crosses it; add notifications on actual and forecasted spend"
    )


def test_policy_budgets_name_their_own_thresholds_as_the_source() -> None:
    [finding] = [
        f
        for f in evaluate(records(), policy(), AS_OF)
        if (f.rule, f.resource) == ("budget-threshold", "budget:search")
    ]
    assert (finding.details["threshold_source"], finding.details["thresholds"]) == (
        "budget",
        {"actual": [80.0, 100.0], "forecast": [100.0]},
    )


def test_a_project_whose_spend_rounds_to_nothing_has_no_no_budget_finding() -> None:
    rows = daily_rows([0.0001] * 3, project="crumbs", env="dev", account="555") + daily_rows(
        [0.004, 0.003], project="cents", env="dev", account="555"
    )
    data = SpendData(rows=rows, provider_budgets=[], tag_keys=KEYS)
    found = {f.resource for f in evaluate(data, policy(), AS_OF) if f.rule == "no-budget"}
    assert found == {"project:cents"}  # 0.0003 would read "spent 0.00"; 0.007 is 0.01
