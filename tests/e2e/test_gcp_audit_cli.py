"""``hygiene audit`` (the installed command) against the local GCP servers: unlabelled resources,
unlinked projects, GCP budgets with their spend from the export, overdue keys — and, without GCP
configuration, GCP skipped with the reason rather than an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_cli
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401

pytestmark = pytest.mark.e2e

POLICY = REPO_ROOT / "tests" / "fixtures" / "gcp" / "policy.yaml"
ACCOUNT = "0A0A0A-111111-222222"
SHOP_PROD = "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b"
DEPLOYER = "projects/shop-prod/serviceAccounts/deployer@shop-prod.iam.gserviceaccount.com"


def audit(*args: str, cwd: Path) -> tuple[int, dict]:
    result = run_cli(
        "audit",
        "--only",
        "tags,rotation,billing-links,budgets",
        "--as-of",
        "2026-11-20T12:00:00Z",
        "--no-state",
        "--format",
        "json",
        *args,
        cwd=cwd,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_audit_reports_the_gcp_estate_with_the_aws_finding_contract(
    gcp: Gcp, tmp_path: Path
) -> None:
    code, report = audit("--config", str(POLICY), cwd=tmp_path)
    assert code == 3  # two APIs denied: incomplete, the rest still reported
    checks = report["run"]["checks"]
    assert {name: c["status"] for name, c in checks.items()} == {
        "tags": "error",
        "rotation": "error",
        "billing-links": "ok",
        "budgets": "ok",
        "policy": "ok",
    }
    assert (
        "asset.searchAllResources project data-lake: PERMISSION_DENIED (API cloudasset.googleapis.com)"
        in checks["tags"]["reason"]
    )
    assert (
        "secretmanager.listSecrets project sandbox: PERMISSION_DENIED"
        in checks["rotation"]["reason"]
    )
    found = {(f["check"], f["rule"], f["resource"]) for f in report["findings"]}
    assert found == {
        ("tags", "missing-tag", f"{SHOP_PROD}/disks/web-1"),
        ("tags", "missing-tag", "//pubsub.googleapis.com/projects/shop-dev/topics/events"),
        ("tags", "missing-tag", "//storage.googleapis.com/sandbox-tmp"),
        ("tags", "missing-tag", "//storage.googleapis.com/shop-assets"),
        (
            "billing-links",
            "billing-unlinked",
            "//cloudresourcemanager.googleapis.com/projects/sandbox",
        ),
        (
            "billing-links",
            "billing-disabled",
            "//cloudresourcemanager.googleapis.com/projects/data-lake",
        ),
        # each GCP budget against its own threshold rules: shop-prod monthly past its 90 % rule
        # and its 100 % forecasted rule; dev label (one rule, 100 % current) is at 74.8 %, its
        # forecast not judged; everything has no rules at all
        ("budgets", "budget-threshold", f"gcp-budget:{ACCOUNT}:shop-prod monthly"),
        ("budgets", "forecast-exceeds-budget", f"gcp-budget:{ACCOUNT}:shop-prod monthly"),
        ("budgets", "budget-without-alerts", f"gcp-budget:{ACCOUNT}:everything"),
        ("rotation", "rotation-overdue", f"{DEPLOYER}/keys/1111aaaa2222bbbb"),
        ("rotation", "rotation-overdue", "projects/1001/secrets/db-password"),
        ("rotation", "rotation-disabled", "projects/1001/secrets/db-password"),
        ("rotation", "multiple-active-keys", f"{DEPLOYER}/keys/1111aaaa2222bbbb"),
    }
    budget = next(f for f in report["findings"] if f["rule"] == "budget-threshold")
    assert (budget["details"]["actual"], budget["details"]["amount"]) == ("490.25", "500.00")
    assert (budget["details"]["threshold"], budget["details"]["threshold_source"]) == (
        90.0,
        "budget",
    )
    spends = {
        b["name"]: (b["actual"], b["amount"]) for b in checks["billing-links"]["stats"]["budgets"]
    }
    assert spends == {
        "shop-prod monthly": ("490.25", "500.00"),
        "dev label": ("150.00", "200.50"),
        "everything": ("640.25", "999.00"),
    }
    compliance = checks["tags"]["stats"]  # over every cloud read, and per provider
    assert (compliance["resources"], compliance["compliant"]) == (7, 3)
    assert compliance["by_provider"] == {"gcp": {"resources": 7, "compliant": 3, "percent": 42.86}}
    assert compliance["by_account"]["shop-prod"] == {
        "resources": 3,
        "compliant": 1,
        "percent": 33.33,
    }
    assets = next(
        f for f in report["findings"] if f["resource"] == "//storage.googleapis.com/shop-assets"
    )
    assert (assets["project"], assets["details"]["account"]) == ("shop", "shop-prod")


def test_without_gcp_configuration_gcp_is_skipped_not_an_error(gcp: Gcp, tmp_path: Path) -> None:
    code, report = audit(cwd=tmp_path)
    checks = report["run"]["checks"]
    assert code == 3  # every check skipped: nothing was audited, a misconfigured job turns red
    assert report["run"]["reason"] == "nothing was audited: every check was skipped"
    assert audit("--allow-empty", cwd=tmp_path)[0] == 0
    assert checks["billing-links"]["status"] == "skipped"
    assert "GCP is not configured" in checks["billing-links"]["reason"]
    assert checks["tags"]["status"] == "skipped"
    assert "GCP: GCP is not configured" in checks["tags"]["reason"]
    assert report["findings"] == []
