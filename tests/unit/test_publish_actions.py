"""'Do these first': findings become actions per owner, ranked by money at stake and severity."""

from __future__ import annotations

from typing import Any

from hygiene.publish.actions import plan


def finding(check: str, rule: str, severity: str, resource: str, **extra: Any) -> dict[str, Any]:
    details = extra.pop("details", {})
    return {
        "id": f"{rule}:{resource}",
        "check": check,
        "rule": rule,
        "severity": severity,
        "resource": resource,
        "owner": extra.pop("owner", None),
        "location": extra.pop("location", None),
        "details": details,
        **extra,
    }


def allocation(*resources: tuple[str, str, str | None]) -> dict[str, Any]:
    return {
        "allocation": {
            "currency": "USD",
            "top_non_compliant": [
                {
                    "resource_id": rid,
                    "name": "",
                    "cost": cost,
                    "missing": ["Owner"],
                    "owner_candidates": [{"owner": owner, "source": "tag"}] if owner else [],
                }
                for rid, cost, owner in resources
            ],
        }
    }


LEAK = finding(
    "secrets",
    "leaked-live-credential",
    "critical",
    "arn:aws:iam::1:user/ci",
    owner="team-a",
    details={
        "status": "active",
        "principal": "ci",
        "account": "1",
        "repo": "api",
        "path": "x.py",
        "where": "history-only",
    },
)
OVERDUE = finding(
    "rotation",
    "rotation-overdue",
    "high",
    "arn:aws:iam::1:user/bot",
    owner="team-b",
    details={"age_days": 400},
)


def test_a_critical_leak_comes_first_whatever_the_money() -> None:
    stats = allocation(("arn:aws:ec2:r:1:instance/i-1", "90000.00", "team-c"))
    actions = plan([OVERDUE, LEAK], stats)
    assert [a["kind"] for a in actions] == [
        "revoke-leaked-key",
        "tag-resources",
        "rotate-credentials",
    ]
    assert actions[0]["owner"] == "team-a" and actions[0]["money_at_stake"] is None
    assert actions[1]["money_at_stake"] == "90000.00" and actions[1]["currency"] == "USD"


def test_money_and_severity_weigh_together() -> None:
    # 900 of untagged spend (medium: 900 + 100) outranks a high rotation (500) …
    big = plan([OVERDUE], allocation(("i-1", "900.00", "team-c")))
    assert [a["kind"] for a in big] == ["tag-resources", "rotate-credentials"]
    # … and 5 of it (105) does not
    small = plan([OVERDUE], allocation(("i-1", "5.00", "team-c")))
    assert [a["kind"] for a in small] == ["rotate-credentials", "tag-resources"]


def test_resources_group_by_owner_candidate_and_budget_overrun_is_the_stake() -> None:
    stats = allocation(
        ("i-1", "10.00", "team-c"), ("i-2", "20.00", "team-c"), ("i-3", "1.00", None)
    )
    cap = finding(
        "budgets",
        "forecast-exceeds-budget",
        "medium",
        "budget:checkout",
        owner="team-c",
        details={
            "budget": "checkout",
            "scope": "Project=checkout",
            "amount": "100.00",
            "actual": "80.00",
            "forecast": "250.00",
            "currency": "USD",
        },
    )
    actions = {a["kind"] + ":" + str(a["owner"]): a for a in plan([cap], stats)}
    assert actions["cap-budget:team-c"]["money_at_stake"] == "150.00"
    assert actions["tag-resources:team-c"]["money_at_stake"] == "30.00"
    assert actions["tag-resources:team-c"]["findings"] == 2
    assert actions["tag-resources:None"]["detail"].startswith("no owner candidate")


def test_an_owner_tag_that_names_nobody_costs_what_its_resources_cost() -> None:
    typo = [
        finding(
            "tags",
            "unknown-owner",
            "medium",
            f"arn:aws:ec2:r:1:instance/i-{n}",
            owner="team-paymnts",
            details={"owner_value": "team-paymnts", "did_you_mean": "team-payments"},
        )
        for n in (1, 2)
    ]
    stats = allocation(("arn:aws:ec2:r:1:instance/i-1", "40.00", "team-paymnts"))
    fix = next(a for a in plan(typo, stats) if a["kind"] == "fix-owner-tag")
    assert fix["owner"] == "team-payments" and fix["findings"] == 2
    assert fix["money_at_stake"] == "40.00" and "did you mean 'team-payments'" in fix["title"]


def test_the_list_is_cut_at_ten_and_ranked_from_one() -> None:
    many = [
        finding("rotation", "rotation-overdue", "high", f"k{n}", owner=f"o{n}") for n in range(14)
    ]
    actions = plan(many, {})
    assert [a["rank"] for a in actions] == list(range(1, 11))
    assert len(plan(many, {}, limit=None)) == 14


def test_a_resource_whose_only_fault_is_its_owner_value_is_one_fix_owner_action() -> None:
    stats = allocation(("i-typo", "80.00", "team-paymnts"), ("i-bare", "20.00", "team-b"))
    stats["allocation"]["top_non_compliant"][0] |= {"missing": [], "rules": ["unknown-owner"]}
    typo = finding(
        "tags",
        "unknown-owner",
        "medium",
        "i-typo",
        owner="team-paymnts",
        details={"owner_value": "team-paymnts", "did_you_mean": "team-payments"},
    )
    actions = plan([typo], stats)
    assert [(a["kind"], a["owner"], a["money_at_stake"]) for a in actions] == [
        ("fix-owner-tag", "team-payments", "80.00"),
        ("tag-resources", "team-b", "20.00"),
    ]
