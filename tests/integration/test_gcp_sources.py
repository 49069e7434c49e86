"""GCP sources against the local GCP API server (real gRPC, the packages' own message types) and
the local BigQuery endpoint (real REST client, the query run on DuckDB)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from hygiene.errors import CheckSkipped
from hygiene.policy import GcpPolicy
from hygiene.sources.gcp.assets import list_resources
from hygiene.sources.gcp.billing import collect_billing
from hygiene.sources.gcp.billing_export import query_duckdb, query_export
from hygiene.sources.gcp.credentials import list_credentials
from hygiene.sources.gcp.scope import GcpScope
from tests.integration.gcp_server.bigquery import create_export_table
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401
from tests.integration.gcp_server.sample import EXPORT_TABLE, MAIN, OTHER, sample_export
from tests.integration.gcp_server.server import Denial

pytestmark = pytest.mark.integration

READ_ONLY_PREFIXES = ("Get", "List", "Search")


def connect(gcp: Gcp, **policy: object) -> GcpScope:
    return GcpScope.connect(GcpPolicy(**policy), gcp.env)  # type: ignore[arg-type]


def test_not_configured_is_skipped_with_the_reason(gcp: Gcp) -> None:
    with pytest.raises(CheckSkipped, match="GCP is not configured"):
        GcpScope.connect(GcpPolicy(), gcp.env)


def test_projects_under_the_organisation_include_nested_folders(gcp: Gcp) -> None:
    scope = connect(gcp, organization="100")
    projects, errors = scope.projects()
    assert errors == []
    assert {(p.project_id, p.number, p.parent) for p in projects} == {
        ("shop-prod", "1001", "organizations/100"),
        ("data-lake", "1004", "organizations/100"),
        ("shop-dev", "1002", "folders/200"),
        ("sandbox", "1003", "folders/200"),
    }


def test_listed_projects_are_looked_up_and_a_failed_lookup_is_an_error(gcp: Gcp) -> None:
    scope = connect(gcp, projects=["shop-prod", "ghost"])
    projects, errors = scope.projects()
    assert {p.project_id for p in projects} == {"shop-prod", "ghost"}
    assert errors == [
        "resourcemanager.getProject project ghost: PERMISSION_DENIED "
        "(API cloudresourcemanager.googleapis.com)"
    ]
    assert next(p for p in projects if p.project_id == "shop-prod").labels == {
        "project": "shop",
        "owner": "team-shop",
        "env": "prod",
    }


def test_labels_are_read_page_by_page_and_a_disabled_api_is_an_error(gcp: Gcp) -> None:
    scope = connect(gcp, organization="100")
    projects, _ = scope.projects()
    result = list_resources(scope, projects, required_keys=["Project", "Owner", "Env"])
    records = {r.resource_id: r for _, batch in result.values for r in batch}
    assert set(records) == {
        "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-1",
        "//storage.googleapis.com/shop-assets",
        "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/disks/web-1",
        "//compute.googleapis.com/projects/shop-dev/zones/europe-west1-b/instances/dev-1",
        "//pubsub.googleapis.com/projects/shop-dev/topics/events",
        "//cloudresourcemanager.googleapis.com/projects/shop-dev",
        "//storage.googleapis.com/sandbox-tmp",
    }  # the service account is not a labelled type, so it is not searched
    assert result.errors == [
        "asset.searchAllResources project data-lake: PERMISSION_DENIED "
        "(API cloudasset.googleapis.com): SERVICE_DISABLED"
    ]
    web = records[
        "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-1"
    ]
    assert (web.provider, web.account, web.region, web.resource_type, web.name) == (
        "gcp",
        "shop-prod",
        "europe-west1-b",
        "gcp:compute.googleapis.com/Instance",
        "web-1",
    )
    assert web.tags == {"Project": "shop", "Owner": "team-shop", "Env": "prod"}
    assert web.details["labels"] == {"project": "shop", "owner": "team-shop", "env": "prod"}
    assert records["//storage.googleapis.com/sandbox-tmp"].tags == {}
    pages = [
        token
        for method, scope_name, token in gcp.api.calls
        if method == "SearchAllResources" and scope_name == "projects/shop-prod"
    ]
    assert pages == ["", "2"]  # 3 results at 2 per page: the second page was fetched


def test_billing_links_and_budgets_with_their_filters(gcp: Gcp) -> None:
    scope = connect(gcp, organization="100")
    projects, _ = scope.projects()
    billing, errors = collect_billing(scope, projects)
    assert errors == []
    assert billing.accounts_read and [a.name for a in billing.accounts] == [MAIN]
    assert {(p.project_id, p.billing_account, p.billing_enabled) for p in billing.projects} == {
        ("shop-prod", MAIN, True),
        ("shop-dev", MAIN, True),
        ("sandbox", "", False),
        ("data-lake", OTHER, False),
    }
    assert billing.budgets_read == {MAIN}  # OTHER is not visible: its budgets are not asked for
    budgets = {b.budget_id: b for b in billing.budgets}
    assert set(budgets) == {"b-shop-prod", "b-dev", "b-all"}
    assert budgets["b-shop-prod"].projects == ("shop-prod",)  # projects/1001 mapped to its id
    assert (budgets["b-shop-prod"].amount, budgets["b-shop-prod"].currency) == (Decimal(500), "USD")
    assert [(t.percent, t.basis) for t in budgets["b-shop-prod"].thresholds] == [
        (50.0, "actual"),
        (90.0, "actual"),
        (100.0, "forecast"),
    ]
    assert budgets["b-dev"].amount == Decimal("200.5")
    assert budgets["b-dev"].labels == {"env": ("dev",)}
    assert budgets["b-dev"].services == ("services/6F81-5844-456A",)
    assert budgets["b-all"].amount is None


def test_a_denied_billing_account_list_falls_back_to_linked_accounts(gcp: Gcp) -> None:
    gcp.api.estate.denied[("ListBillingAccounts", "")] = Denial()
    gcp.api.estate.denied[("ListBudgets", OTHER)] = Denial(service="billingbudgets.googleapis.com")
    scope = connect(gcp, organization="100")
    projects, _ = scope.projects()
    billing, errors = collect_billing(scope, projects)
    assert not billing.accounts_read
    assert errors == [
        "billing.listBillingAccounts caller: PERMISSION_DENIED (API cloudbilling.googleapis.com): "
        "IAM_PERMISSION_DENIED",
        "budgets.listBudgets billingAccount 0B0B0B-333333-444444: PERMISSION_DENIED "
        "(API billingbudgets.googleapis.com): IAM_PERMISSION_DENIED",
    ]
    assert billing.budgets_read == {MAIN}


def test_user_managed_keys_and_secrets_become_credential_records(gcp: Gcp) -> None:
    scope = connect(gcp, organization="100")
    projects, _ = scope.projects()
    result = list_credentials(scope, projects)
    records = {r.resource_id: r for _, batch in result.values for r in batch}
    deployer = "projects/shop-prod/serviceAccounts/deployer@shop-prod.iam.gserviceaccount.com"
    ci = "projects/sandbox/serviceAccounts/ci@sandbox.iam.gserviceaccount.com"
    assert {(r.kind, r.resource_id, r.active) for r in records.values()} == {
        ("gcp-sa-key", f"{deployer}/keys/1111aaaa2222bbbb", True),
        ("gcp-sa-key", f"{deployer}/keys/3333cccc4444dddd", True),
        ("gcp-sa-key", f"{ci}/keys/5555eeee6666ffff", False),
        ("gcp-secret", "projects/1001/secrets/db-password", True),
        ("gcp-secret", "projects/1001/secrets/api-token", True),
    }  # the system-managed key is not listed
    old = records[f"{deployer}/keys/1111aaaa2222bbbb"]
    assert old.created == datetime(2026, 5, 1, tzinfo=UTC) and old.expires is None
    assert (old.account, old.owner, old.env) == ("shop-prod", "team-shop", "prod")
    assert old.details["principal"] == "deployer@shop-prod.iam.gserviceaccount.com"
    db = records["projects/1001/secrets/db-password"]
    assert db.last_rotated == datetime(2026, 3, 1, tzinfo=UTC)  # newest enabled version
    assert (db.rotation_enabled, db.owner) == (False, "team-db")
    token = records["projects/1001/secrets/api-token"]
    assert (token.rotation_enabled, token.rotation_interval_days) == (True, 30)
    assert result.errors == [
        "secretmanager.listSecrets project sandbox: PERMISSION_DENIED "
        "(API secretmanager.googleapis.com): IAM_PERMISSION_DENIED"
    ]


def test_every_call_is_read_only(gcp: Gcp) -> None:
    scope = connect(gcp, organization="100")
    projects, _ = scope.projects()
    list_resources(scope, projects)
    collect_billing(scope, projects)
    list_credentials(scope, projects)
    methods = {method for method, _, _ in gcp.api.calls}
    assert methods and all(m.startswith(READ_ONLY_PREFIXES) for m in methods)
    assert scope.stats()["gcp_api_calls"] >= len(gcp.api.calls) - 2


def test_export_through_the_bigquery_client_equals_the_query_on_duckdb(gcp: Gcp) -> None:
    scope = connect(gcp, projects=["shop-prod"])
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    remote = query_export(scope.bigquery("billing-admin"), EXPORT_TABLE, start, end)
    local = duckdb.connect()
    create_export_table(local, EXPORT_TABLE, sample_export(), detailed=True)
    assert remote == query_duckdb(local, EXPORT_TABLE, start, end)
    assert sum((r["BilledCost"] for r in remote), Decimal(0)) == Decimal("660.25")
    (sent,) = gcp.bigquery.queries
    assert sent["project"] == "billing-admin"
    assert [(p["name"], p["parameterType"]["type"]) for p in sent["queryParameters"]] == [
        ("start", "TIMESTAMP"),
        ("end", "TIMESTAMP"),
    ]


def test_bigquery_permission_denied_raises_for_the_caller_to_report(gcp: Gcp) -> None:
    from google.api_core import exceptions as gexc

    gcp.bigquery.denied_projects.add("billing-admin")
    scope = connect(gcp, projects=["shop-prod"])
    with pytest.raises(gexc.Forbidden):
        query_export(
            scope.bigquery("billing-admin"),
            EXPORT_TABLE,
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
        )


def test_throttling_is_retried_before_it_becomes_an_error(gcp: Gcp) -> None:
    from hygiene.sources.gcp.scope import default_retry

    gcp.api.estate.throttled[("SearchAllResources", "projects/shop-dev")] = 2
    gcp.api.estate.throttled[("ListSecrets", "projects/shop-prod")] = 99
    scope = GcpScope.connect(GcpPolicy(projects=["shop-dev", "shop-prod"]), gcp.env)
    scope.retry = default_retry(initial=0.01, deadline=0.5)
    projects, _ = scope.projects()
    resources = list_resources(scope, projects)
    assert resources.errors == []
    assert (
        len([c for c in gcp.api.calls if c[:2] == ("SearchAllResources", "projects/shop-dev")]) == 4
    )
    credentials = list_credentials(scope, projects)  # still throttled after the deadline
    assert credentials.errors == [
        "secretmanager.listSecrets project shop-prod: RESOURCE_EXHAUSTED "
        "(API secretmanager.googleapis.com): RATE_LIMIT_EXCEEDED (still failing after retries)"
    ]
