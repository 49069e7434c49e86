"""The headline's budget basis: layered budgets are never added up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hygiene.checks.budgets.headline import basis_of_stats, budget_basis, scope_keys
from hygiene.checks.budgets.spend import BudgetStatus


def status(
    name: str, scope: str, amount: str, actual: str, forecast: str | None = None
) -> BudgetStatus:
    return BudgetStatus(
        name=name,
        scope=scope,
        amount=Decimal(amount),
        currency="USD",
        actual=Decimal(actual),
        forecast=None if forecast is None else Decimal(forecast),
        method="trend",
        foreign={},
    )


def keys(scope: str) -> frozenset[str]:
    return frozenset(part.split("=")[0] for part in scope.split(", ") if "=" in part)


def pairs(*statuses: BudgetStatus) -> list[tuple[dict[str, Any], frozenset[str]]]:
    return [(s.to_stats(), keys(s.scope)) for s in statuses]


LAYERED = pairs(
    status("checkout", "Project=checkout", "1000", "900", "1300"),
    status("search", "Project=search", "800", "300", "500"),
    status("payments", "Owner=team-payments", "1200", "950", "1350"),
)


def test_an_org_wide_budget_is_the_basis_and_nothing_is_summed() -> None:
    org = status("org", "all", "4000", "1500", "3900")
    basis = budget_basis([*LAYERED, (org.to_stats(), frozenset())], "USD", Decimal("1500"))
    assert basis is not None
    assert (basis["basis"], basis["budgets"], basis["amount"]) == ("all", ["org"], "4000.00")
    assert basis["forecast"] == "3900.00" and basis["forecast_percent"] == 97.5
    assert basis["not_summed"] == ["Owner", "Project"]


def test_without_one_the_disjoint_budgets_that_cover_most_spend_are_summed() -> None:
    basis = budget_basis(LAYERED, "USD", Decimal("1500"))
    assert basis is not None
    assert basis["basis"] == "Project" and basis["budgets"] == ["checkout", "search"]
    assert (basis["amount"], basis["actual"], basis["forecast"]) == (
        "1800.00",
        "1200.00",
        "1800.00",
    )
    assert basis["covers_percent_of_spend"] == 80.0
    assert basis["not_summed"] == ["Owner"]  # 1200 of Owner budgets never added to 1800


def test_the_same_scope_twice_counts_once_and_other_currencies_are_left_out() -> None:
    twice = pairs(
        status("a", "Project=x", "100", "50"),
        status("b", "Project=x", "100", "50"),
    )
    euro = BudgetStatus("eu", "all", Decimal(9), "EUR", Decimal(1), None, "none", {})
    basis = budget_basis([*twice, (euro.to_stats(), frozenset())], "USD", Decimal(50))
    assert basis is not None and basis["budgets"] == ["a"] and basis["amount"] == "100.00"
    assert basis["forecast"] is None  # one member has no forecast: no sum pretends otherwise
    assert budget_basis([(euro.to_stats(), frozenset())], "USD", Decimal(50)) is None


def test_a_run_recorded_without_a_basis_gets_the_same_one_from_its_budget_rows() -> None:
    rows = [s for s, _ in LAYERED]
    provider = {**rows[0], "name": "aws", "scope": "SubAccountId=1", "source": "aws-budgets"}
    basis = basis_of_stats([*rows, provider], "USD", Decimal("1500"))
    assert basis == budget_basis(LAYERED, "USD", Decimal("1500"))
    assert scope_keys("Project=checkout, Env=prod") == {"Project", "Env"}
    assert scope_keys("all") == frozenset()
