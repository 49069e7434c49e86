"""The sample estate the GCP tests audit: an organisation with two folders' worth of projects,
labelled and unlabelled resources, an unlinked and a billing-disabled project, budgets, old and
new service-account keys, secrets, two denied APIs, and a billing export.

    organizations/100
    ├── shop-prod  (1001)  labels project/owner/env   billing: Main
    ├── data-lake  (1004)  labels env=production      billing: disabled; Cloud Asset API off
    └── folders/200
        ├── shop-dev  (1002)                          billing: Main
        └── sandbox   (1003)  no labels               billing: none; Secret Manager denied
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import asset_v1, billing_v1, iam_admin_v1, resourcemanager_v3, secretmanager_v1
from google.cloud.billing import budgets_v1
from google.type import money_pb2

from tests.integration.gcp_server.server import Denial, Estate

ORG = "organizations/100"
FOLDER = "folders/200"
MAIN = "billingAccounts/0A0A0A-111111-222222"
OTHER = "billingAccounts/0B0B0B-333333-444444"
EXPORT_TABLE = "billing-admin.billing.gcp_billing_export_resource_v1_0A0A0A_111111_222222"
AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

ACTIVE = resourcemanager_v3.Project.State.ACTIVE
USER_MANAGED = iam_admin_v1.ListServiceAccountKeysRequest.KeyType.USER_MANAGED
SYSTEM_MANAGED = iam_admin_v1.ListServiceAccountKeysRequest.KeyType.SYSTEM_MANAGED
ENABLED = secretmanager_v1.SecretVersion.State.ENABLED
DISABLED = secretmanager_v1.SecretVersion.State.DISABLED


def at(day: str) -> datetime:
    """``2026-05-01`` → that midnight, UTC."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def project(project_id: str, number: str, parent: str, **labels: str) -> resourcemanager_v3.Project:
    """A Resource Manager project."""
    return resourcemanager_v3.Project(
        name=f"projects/{number}",
        project_id=project_id,
        parent=parent,
        display_name=project_id,
        state=ACTIVE,
        labels=labels,
    )


def resource(
    project_number: str, asset_type: str, name: str, location: str = "global", **labels: str
) -> asset_v1.ResourceSearchResult:
    """A Cloud Asset search result."""
    return asset_v1.ResourceSearchResult(
        name=name,
        asset_type=asset_type,
        project=f"projects/{project_number}",
        display_name=name.rsplit("/", 1)[-1],
        location=location,
        labels=labels,
        state="RUNNING",
    )


def sample_estate() -> Estate:
    """A fresh copy of the sample estate."""
    estate = Estate()
    estate.projects = [
        project("shop-prod", "1001", ORG, project="shop", owner="team-shop", env="prod"),
        project("shop-dev", "1002", FOLDER, project="shop", owner="team-shop", env="dev"),
        project("sandbox", "1003", FOLDER),
        project("data-lake", "1004", ORG, env="production"),
    ]
    estate.folders = [
        resourcemanager_v3.Folder(
            name=FOLDER,
            parent=ORG,
            display_name="dev",
            state=resourcemanager_v3.Folder.State.ACTIVE,
        ),
    ]
    vm = "compute.googleapis.com/Instance"
    estate.resources = {
        "projects/shop-prod": [
            resource(
                "1001",
                vm,
                "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-1",
                "europe-west1-b",
                project="shop",
                owner="team-shop",
                env="prod",
            ),
            resource(
                "1001",
                "storage.googleapis.com/Bucket",
                "//storage.googleapis.com/shop-assets",
                "europe-west1",
                project="shop",
            ),
            resource(
                "1001",
                "compute.googleapis.com/Disk",
                "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/disks/web-1",
                "europe-west1-b",
            ),
            resource(
                "1001",
                "iam.googleapis.com/ServiceAccount",
                "//iam.googleapis.com/projects/shop-prod/serviceAccounts/deployer@shop-prod.iam.gserviceaccount.com",
            ),
        ],
        "projects/shop-dev": [
            resource(
                "1002",
                vm,
                "//compute.googleapis.com/projects/shop-dev/zones/europe-west1-b/instances/dev-1",
                "europe-west1-b",
                project="shop",
                owner="team-shop",
                env="development",
            ),
            resource(
                "1002",
                "pubsub.googleapis.com/Topic",
                "//pubsub.googleapis.com/projects/shop-dev/topics/events",
            ),
            resource(
                "1002",
                "cloudresourcemanager.googleapis.com/Project",
                "//cloudresourcemanager.googleapis.com/projects/shop-dev",
                project="shop",
                owner="team-shop",
                env="dev",
            ),
        ],
        "projects/sandbox": [
            resource(
                "1003",
                "storage.googleapis.com/Bucket",
                "//storage.googleapis.com/sandbox-tmp",
                "us",
            ),
        ],
    }
    estate.billing_accounts = [
        billing_v1.BillingAccount(name=MAIN, display_name="Main", open_=True, currency_code="USD"),
    ]
    estate.billing_info = {
        "projects/shop-prod": billing_v1.ProjectBillingInfo(
            name="projects/shop-prod/billingInfo",
            project_id="shop-prod",
            billing_account_name=MAIN,
            billing_enabled=True,
        ),
        "projects/shop-dev": billing_v1.ProjectBillingInfo(
            name="projects/shop-dev/billingInfo",
            project_id="shop-dev",
            billing_account_name=MAIN,
            billing_enabled=True,
        ),
        "projects/data-lake": billing_v1.ProjectBillingInfo(
            name="projects/data-lake/billingInfo",
            project_id="data-lake",
            billing_account_name=OTHER,
            billing_enabled=False,
        ),
        # sandbox: no entry → the server answers "not linked, billing disabled"
    }
    estate.budgets = {
        MAIN: [
            budgets_v1.Budget(
                name=f"{MAIN}/budgets/b-shop-prod",
                display_name="shop-prod monthly",
                budget_filter=budgets_v1.Filter(projects=["projects/1001"]),
                amount=budgets_v1.BudgetAmount(
                    specified_amount=money_pb2.Money(currency_code="USD", units=500, nanos=0)
                ),
                threshold_rules=[
                    budgets_v1.ThresholdRule(threshold_percent=0.5),
                    budgets_v1.ThresholdRule(threshold_percent=0.9),
                    budgets_v1.ThresholdRule(
                        threshold_percent=1.0,
                        spend_basis=budgets_v1.ThresholdRule.Basis.FORECASTED_SPEND,
                    ),
                ],
            ),
            budgets_v1.Budget(
                name=f"{MAIN}/budgets/b-dev",
                display_name="dev label",
                budget_filter=budgets_v1.Filter(
                    labels={"env": ["dev"]},
                    services=["services/6F81-5844-456A"],
                ),
                amount=budgets_v1.BudgetAmount(
                    specified_amount=money_pb2.Money(
                        currency_code="USD", units=200, nanos=500_000_000
                    )
                ),
                threshold_rules=[budgets_v1.ThresholdRule(threshold_percent=1.0)],
            ),
            budgets_v1.Budget(
                name=f"{MAIN}/budgets/b-all",
                display_name="everything",
                amount=budgets_v1.BudgetAmount(last_period_amount=budgets_v1.LastPeriodAmount()),
            ),
        ],
    }
    deployer = "projects/shop-prod/serviceAccounts/deployer@shop-prod.iam.gserviceaccount.com"
    ci = "projects/sandbox/serviceAccounts/ci@sandbox.iam.gserviceaccount.com"
    estate.service_accounts = {
        "projects/shop-prod": [
            iam_admin_v1.ServiceAccount(
                name=deployer,
                email="deployer@shop-prod.iam.gserviceaccount.com",
                project_id="shop-prod",
            ),
        ],
        "projects/sandbox": [
            iam_admin_v1.ServiceAccount(
                name=ci, email="ci@sandbox.iam.gserviceaccount.com", project_id="sandbox"
            ),
        ],
    }
    estate.keys = {
        deployer: [
            _key(f"{deployer}/keys/1111aaaa2222bbbb", "2026-05-01", USER_MANAGED),
            _key(f"{deployer}/keys/3333cccc4444dddd", "2026-11-01", USER_MANAGED),
            _key(f"{deployer}/keys/sys0000000000000", "2026-01-01", SYSTEM_MANAGED),
        ],
        ci: [_key(f"{ci}/keys/5555eeee6666ffff", "2025-12-01", USER_MANAGED, disabled=True)],
    }
    db = "projects/1001/secrets/db-password"
    token = "projects/1001/secrets/api-token"
    estate.secrets = {
        "projects/shop-prod": [
            secretmanager_v1.Secret(
                name=db, create_time=at("2026-01-10"), labels={"owner": "team-db", "env": "prod"}
            ),
            secretmanager_v1.Secret(
                name=token,
                create_time=at("2026-10-01"),
                rotation=secretmanager_v1.Rotation(
                    next_rotation_time=at("2026-12-01"), rotation_period={"seconds": 30 * 86400}
                ),
            ),
        ],
    }
    estate.versions = {
        db: [
            secretmanager_v1.SecretVersion(
                name=f"{db}/versions/1", create_time=at("2026-01-10"), state=DISABLED
            ),
            secretmanager_v1.SecretVersion(
                name=f"{db}/versions/2", create_time=at("2026-03-01"), state=ENABLED
            ),
        ],
        token: [
            secretmanager_v1.SecretVersion(
                name=f"{token}/versions/1", create_time=at("2026-10-01"), state=ENABLED
            ),
        ],
    }
    estate.denied = {
        ("SearchAllResources", "projects/data-lake"): Denial(
            "SERVICE_DISABLED", "cloudasset.googleapis.com"
        ),
        ("ListSecrets", "projects/sandbox"): Denial(
            "IAM_PERMISSION_DENIED", "secretmanager.googleapis.com"
        ),
    }
    return estate


def _key(
    name: str, created: str, key_type: Any, disabled: bool = False
) -> iam_admin_v1.ServiceAccountKey:
    return iam_admin_v1.ServiceAccountKey(
        name=name,
        valid_after_time=at(created),
        valid_before_time=at("9999-12-31"),
        key_type=key_type,
        disabled=disabled,
        key_origin=iam_admin_v1.ServiceAccountKeyOrigin.GOOGLE_PROVIDED,
    )


def _labels(**labels: str) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in labels.items()]


def export_row(
    day: str,
    project_id: str,
    service: str,
    cost: float,
    *,
    credits: float = 0.0,
    cost_type: str = "regular",
    labels: dict[str, str] | None = None,
    resource_name: str | None = None,
    currency: str = "USD",
) -> dict[str, Any]:
    """One line of the detailed billing export."""
    numbers = {"shop-prod": "1001", "shop-dev": "1002", "sandbox": "1003", "data-lake": "1004"}
    project_labels = {p.project_id: dict(p.labels) for p in sample_estate().projects}
    start = at(day)
    return {
        "billing_account_id": MAIN.removeprefix("billingAccounts/"),
        "service": {
            "id": "6F81-5844-456A" if service == "Compute Engine" else "95FF-2EF5-5EA1",
            "description": service,
        },
        "sku": {"id": "SKU", "description": "sku"},
        "usage_start_time": start,
        "usage_end_time": start.replace(hour=1),
        "project": {
            "id": project_id,
            "number": numbers[project_id],
            "name": project_id,
            "labels": _labels(**project_labels[project_id]),
            "ancestry_numbers": "/100/",
        },
        "labels": _labels(**(labels or {})),
        "system_labels": [],
        "location": {
            "location": "europe-west1",
            "country": "BE",
            "region": "europe-west1",
            "zone": None,
        },
        "export_time": start,
        "cost": cost,
        "currency": currency,
        "currency_conversion_rate": 1.0,
        "usage": {
            "amount": 1.0,
            "unit": "seconds",
            "amount_in_pricing_units": 1.0,
            "pricing_unit": "hour",
        },
        "credits": [
            {
                "name": "Committed use",
                "amount": credits,
                "full_name": None,
                "id": "c1",
                "type": "COMMITTED_USAGE_DISCOUNT",
            }
        ]
        if credits
        else [],
        "invoice": {"month": day[:7].replace("-", "")},
        "cost_type": cost_type,
        "adjustment_info": None,
        "resource": {"name": resource_name, "global_name": resource_name},
    }


def sample_export() -> list[dict[str, Any]]:
    """November 2026: shop-prod spends 560.25 gross, 510.25 net of credits; shop-dev 150."""
    web = "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/web-1"
    return [
        export_row(
            "2026-11-02",
            "shop-prod",
            "Compute Engine",
            300.25,
            credits=-50.0,
            labels={"env": "prod"},
            resource_name=web,
        ),
        export_row(
            "2026-11-03",
            "shop-prod",
            "Compute Engine",
            200.0,
            labels={"env": "prod"},
            resource_name=web,
        ),
        export_row(
            "2026-11-03",
            "shop-prod",
            "Cloud Storage",
            40.0,
            resource_name="//storage.googleapis.com/shop-assets",
        ),
        export_row("2026-11-03", "shop-prod", "Cloud Storage", 20.0, cost_type="tax"),
        export_row("2026-11-04", "shop-dev", "Compute Engine", 150.0, labels={"owner": "alice"}),
        export_row("2026-10-30", "shop-dev", "Compute Engine", 999.0),  # previous month
    ]
