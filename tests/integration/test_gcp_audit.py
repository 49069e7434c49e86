"""The GCP parts of the tags and billing-links collectors through ``run_audit`` with history:
findings keep their ids across runs, a failed project's findings are never resolved, and the
covered projects are the check's scopes; billing-links and the budgets check's ``gcp-budgets``
source read GCP billing once per run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hygiene.pipeline import run_audit
from hygiene.policy import GcpPolicy, Policy
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401
from tests.integration.gcp_server.sample import AS_OF, EXPORT_TABLE, MAIN, resource
from tests.integration.gcp_server.server import Denial

pytestmark = pytest.mark.integration

DISK = "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/disks/web-1"
LAKE = "//storage.googleapis.com/lake-raw"
POLICY = Policy(gcp=GcpPolicy(organization="100"))


def tag_findings(run: object) -> dict[str, str]:
    return {f.resource: f.id for f in run.findings if f.check == "tags"}  # type: ignore[attr-defined]


def test_failed_projects_keep_their_findings_open(gcp: Gcp, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    estate = gcp.api.estate
    denial = estate.denied.pop(("SearchAllResources", "projects/data-lake"))
    estate.resources["projects/data-lake"] = [
        resource("1004", "storage.googleapis.com/Bucket", LAKE)
    ]
    first = run_audit(policy=POLICY, as_of=AS_OF, only=["tags"], state_path=state, environ=gcp.env)
    assert first.status == "complete"
    assert {DISK, LAKE} <= set(tag_findings(first))

    # data-lake's Cloud Asset API is switched off again, and the disk gets its labels
    estate.denied[("SearchAllResources", "projects/data-lake")] = denial
    estate.resources["projects/shop-prod"] = [
        r for r in estate.resources["projects/shop-prod"] if r.name != DISK
    ] + [
        resource(
            "1001",
            "compute.googleapis.com/Disk",
            DISK,
            "europe-west1-b",
            project="shop",
            owner="team-shop",
            env="prod",
        )
    ]
    second = run_audit(policy=POLICY, as_of=AS_OF, only=["tags"], state_path=state, environ=gcp.env)
    assert second.status == "incomplete"
    result = next(r for r in second.results if r.name == "tags")
    assert result.scopes == ["sandbox", "shop-dev", "shop-prod"]
    ids = tag_findings(first)
    assert second.resolved == []  # an errored check resolves nothing, covered or not
    assert LAKE not in tag_findings(second)

    del estate.denied[("SearchAllResources", "projects/data-lake")]
    third = run_audit(policy=POLICY, as_of=AS_OF, only=["tags"], state_path=state, environ=gcp.env)
    assert third.status == "complete"
    assert ids[DISK] in third.resolved
    lake = next(f for f in third.findings if f.resource == LAKE)
    assert (lake.id, lake.status) == (ids[LAKE], "open")  # the same finding, never resolved


def test_billing_links_scopes_are_the_projects_whose_links_were_read(gcp: Gcp) -> None:
    gcp.api.estate.denied[("GetProjectBillingInfo", "projects/sandbox")] = Denial()
    run = run_audit(policy=POLICY, as_of=AS_OF, only=["billing-links"], environ=gcp.env)
    result = next(r for r in run.results if r.name == "billing-links")
    assert result.status == "error"
    assert result.scopes == ["data-lake", "shop-dev", "shop-prod"]
    assert {f.rule for f in run.findings} == {"billing-disabled"}
    assert result.stats["errors"] == [
        "billing.getBillingInfo project sandbox: PERMISSION_DENIED "
        "(API cloudbilling.googleapis.com): IAM_PERMISSION_DENIED"
    ]


def test_billing_links_and_gcp_budgets_share_one_read_of_gcp_billing(gcp: Gcp) -> None:
    gcp.api.estate.denied[("GetProjectBillingInfo", "projects/sandbox")] = Denial()
    policy = Policy.model_validate(
        {
            "gcp": {"organization": "100", "billing_export": EXPORT_TABLE},
            "billing": {"sources": ["gcp-budgets"]},
        }
    )
    run = run_audit(policy=policy, as_of=AS_OF, only=["billing-links", "budgets"], environ=gcp.env)
    # both checks ran, concurrently; every call (each page) was made once, by whichever asked first
    assert [c for c, n in Counter(gcp.api.calls).items() if n > 1] == []
    assert {(method, name) for method, name, _ in gcp.api.calls} == {
        ("ListProjects", "organizations/100"),
        ("ListProjects", "folders/200"),
        ("ListFolders", "organizations/100"),
        ("ListFolders", "folders/200"),
        ("ListBillingAccounts", ""),
        ("GetProjectBillingInfo", "projects/shop-prod"),
        ("GetProjectBillingInfo", "projects/shop-dev"),
        ("GetProjectBillingInfo", "projects/sandbox"),
        ("GetProjectBillingInfo", "projects/data-lake"),
        ("ListBudgets", MAIN),
    }
    assert len(gcp.bigquery.queries) == 1  # the export, queried once for both
    results = {r.name: r for r in run.results}
    denied = (
        "billing.getBillingInfo project sandbox: PERMISSION_DENIED "
        "(API cloudbilling.googleapis.com): IAM_PERMISSION_DENIED"
    )
    # the one failed call is each check's error: neither passes silently over it
    assert results["billing-links"].stats["errors"] == [denied]
    assert results["budgets"].stats["errors"] == [denied]
    links = {b["name"]: b["actual"] for b in results["billing-links"].stats["budgets"]}
    judged = {b["name"]: b["actual"] for b in results["budgets"].stats["budgets"]}
    assert (
        links
        == judged
        == {
            "shop-prod monthly": "490.25",
            "dev label": "150.00",
            "everything": "640.25",
        }
    )
    assert sorted((f.check, f.rule, f.resource.rsplit(":", 1)[-1]) for f in run.findings) == [
        (
            "billing-links",
            "billing-disabled",
            "//cloudresourcemanager.googleapis.com/projects/data-lake",
        ),
        ("budgets", "budget-threshold", "shop-prod monthly"),
        ("budgets", "budget-without-alerts", "everything"),
        ("budgets", "forecast-exceeds-budget", "shop-prod monthly"),
    ]
