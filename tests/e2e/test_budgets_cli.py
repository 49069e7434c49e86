"""The installed CLI: ``hygiene spend`` and ``hygiene audit --only budgets`` on the FOCUS sample."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SAMPLE = str(REPO / "data" / "focus" / "focus_sample.csv")
POLICY = str(REPO / "tests" / "fixtures" / "budgets" / "policy.yaml")


def test_spend_prints_the_monthly_table(tmp_path: Path) -> None:
    result = run_cli(
        "spend", "--source", SAMPLE, "--month", "2024-09", "--by", "Project,Env", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "│" in line]
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in lines]
    assert cells == [
        ["(no Project tag)", "dev", "17.69", "", "", "17.69", ""],
        ["(no Project tag)", "prod", "4.17", "", "", "4.17", ""],
        ["(no Project tag)", "(no Env tag)", "0.76", "", "", "0.76", ""],
        ["Foo", "prod", "0.00", "", "", "0.00", ""],
    ]
    assert result.stdout.splitlines()[-1] == (
        "spend 22.62 USD, forecast 22.62; untagged spend 22.78 (100% of usage); apart from "
        "spend: credit -2.61, tax 0.00, adjustment 0.27; net 20.28"
    )


def test_spend_json_with_budgets_and_the_billing_period(tmp_path: Path) -> None:
    result = run_cli(
        "spend",
        "--config",
        POLICY,
        "--source",
        SAMPLE,
        "--month",
        "2024-10",
        "--by",
        "Env",
        "--format",
        "json",
        "-o",
        str(tmp_path / "spend.json"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    table = json.loads((tmp_path / "spend.json").read_text())
    # October holds one Oracle row (0.24, Env dev) charged on Sep 30 but billed in October
    assert table["groups"] == [
        {
            "key": {"Env": "dev"},
            "cost": "0.24",
            "budget": "15.00",
            "percent": 1.6,
            "forecast": "0.24",
            "forecast_method": "complete",
            "mom_change": -98.6,
        }
    ]  # against September's dev usage of 17.69124140013: (0.24 - 17.691…) / 17.691… = -98.6 %
    assert (table["month"], table["total"], table["untagged"]) == (
        "2024-10",
        "0.24",
        {"cost": "0.00", "share": 0.0},
    )


def test_spend_usage_errors_exit_2(tmp_path: Path) -> None:
    bad_month = run_cli("spend", "--source", SAMPLE, "--month", "09-2024", cwd=tmp_path)
    assert (bad_month.returncode, bad_month.stderr.strip()) == (
        2,
        "hygiene: error: --month '09-2024': expected YYYY-MM, e.g. 2026-10",
    )
    missing = run_cli(
        "spend", "--source", str(tmp_path / "none.csv"), "--month", "2024-09", cwd=tmp_path
    )
    assert missing.returncode == 2
    assert "none.csv': no such file or directory" in missing.stderr


def test_audit_only_budgets_reports_breaches_as_of(tmp_path: Path) -> None:
    env = {"HYGIENE_BILLING_SOURCES": SAMPLE}
    result = run_cli(
        "audit",
        "--only",
        "budgets",
        "--config",
        POLICY,
        "--as-of",
        "2024-09-30",
        "--no-state",
        "--format",
        "json",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1, result.stderr  # budget-exceeded is high
    document = json.loads(result.stdout)
    jsonschema.validate(
        document, json.loads((REPO / "docs" / "findings-v1.schema.json").read_text())
    )
    check = document["run"]["checks"]["budgets"]
    assert check["status"] == "ok"
    assert sorted((f["rule"], f["resource"]) for f in document["findings"]) == [
        ("budget-exceeded", "budget:dev"),
        ("budget-threshold", "budget:prod"),
        ("untagged-spend", "spend:USD"),
    ]  # no no-budget: Project Foo's spend is all Env prod, which the prod budget covers
    assert [(b["name"], b["actual"], b["percent"]) for b in check["stats"]["budgets"]] == [
        ("dev", "17.69", 117.9),
        ("prod", "4.17", 83.4),
    ]
    spend = run_cli(
        "spend",
        "--config",
        POLICY,
        "--source",
        SAMPLE,
        "--month",
        "2024-09",
        "--by",
        "Project,Owner,Env",
        "--as-of",
        "2024-09-30",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert check["stats"]["spend"] == json.loads(spend.stdout)


def test_audit_mid_month_forecasts(tmp_path: Path) -> None:
    env = {"HYGIENE_BILLING_SOURCES": SAMPLE}
    tight = str(REPO / "tests" / "fixtures" / "budgets" / "tight.yaml")
    result = run_cli(
        "audit",
        "--only",
        "budgets",
        "--config",
        tight,
        "--as-of",
        "2024-09-15",
        "--no-state",
        "--format",
        "json",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr  # nothing high: the budget is not exceeded yet
    document = json.loads(result.stdout)
    assert sorted((f["rule"], f["resource"]) for f in document["findings"]) == [
        ("budget-threshold", "budget:dev"),
        ("forecast-exceeds-budget", "budget:dev"),
        ("untagged-spend", "spend:USD"),
    ]  # no no-budget for Project Foo: no budget covers it, but its 0.0003 USD is no spend to budget
    forecast = next(f for f in document["findings"] if f["rule"] == "forecast-exceeds-budget")
    # actual: dev usage charged Sep 1-15 (csv + Decimal: 3.83399061220); forecast: the trimmed
    # least-squares trend over the 15 daily points (two large days on Sep 12-13 are trimmed)
    assert {
        k: forecast["details"][k] for k in ("actual", "percent", "forecast", "forecast_method")
    } == {
        "actual": "3.83",
        "percent": 95.8,
        "forecast": "4.14",
        "forecast_method": "trend",
    }
