"""Cloud SQL backup configuration through the local GCP API server (Cloud Asset ListAssets)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from tests.fixtures.backups.gcp_assets import AssetsServer, cloudsql_asset
from tests.integration.gcp_server.sample import project
from tests.integration.gcp_server.server import Denial, Estate

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def backup(enabled: bool, kept: int = 7, pitr: bool = False, **extra: object) -> dict[str, object]:
    return {
        "enabled": enabled,
        "pointInTimeRecoveryEnabled": pitr,
        "backupRetentionSettings": {"retentionUnit": "COUNT", "retainedBackups": kept},
        **extra,
    }


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[AssetsServer]:
    api = AssetsServer()
    api.estate = Estate(
        projects=[
            project("shop-prod", "1001", "organizations/100"),
            project("sandbox", "1002", "organizations/100"),
        ]
    )
    api.assets = {
        "projects/shop-prod": [
            cloudsql_asset(
                "shop-prod",
                "orders",
                {
                    "region": "europe-west1",
                    "databaseVersion": "POSTGRES_15",
                    "settings": {
                        "userLabels": {"env": "prod", "tier": "1"},
                        "backupConfiguration": backup(True, 30, pitr=True),
                    },
                },
            ),
            cloudsql_asset(
                "shop-prod",
                "ledger",
                {
                    "region": "europe-west1",
                    "databaseVersion": "MYSQL_8_0",
                    "settings": {
                        "userLabels": {"project": "shop"},
                        "backupConfiguration": backup(False),
                    },
                },
            ),
            cloudsql_asset(
                "shop-prod",
                "reports",
                {
                    "region": "europe-west1",
                    "databaseVersion": "MYSQL_8_0",
                    "settings": {"backupConfiguration": backup(True, 7, binaryLogEnabled=True)},
                },
            ),
            cloudsql_asset(
                "shop-prod",
                "orders-replica",
                {
                    "region": "europe-west1",
                    "instanceType": "READ_REPLICA_INSTANCE",
                    "masterInstanceName": "shop-prod:orders",
                    "settings": {},
                },
            ),
        ],
    }
    api.estate.denied[("ListAssets", "projects/sandbox")] = Denial(
        reason="SERVICE_DISABLED", service="cloudasset.googleapis.com"
    )
    api.start()
    monkeypatch.setenv("HYGIENE_GCP_ENDPOINT", api.endpoint)
    try:
        yield api
    finally:
        api.stop()


def test_cloudsql_backups_judged_and_denied_project_is_an_error(server: AssetsServer) -> None:
    policy = Policy.model_validate({"gcp": {"projects": ["shop-prod", "sandbox"]}})
    import os

    run = run_audit(policy=policy, as_of=AS_OF, only=["backups"], environ=dict(os.environ))
    [result] = [r for r in run.results if r.name == "backups"]
    assert result.status == "error"
    assert result.stats["errors"] == [
        "asset.listAssets project sandbox: PERMISSION_DENIED (API cloudasset.googleapis.com): SERVICE_DISABLED"
    ]
    assert result.scopes == ["shop-prod"]
    assert result.stats["aws"].startswith("skipped: no AWS credentials")
    assert result.stats["cloudsql_instances"] == 3
    prefix = "//cloudsql.googleapis.com/projects/shop-prod/instances/"
    assert {(f.rule, f.resource) for f in run.findings} == {
        ("backup-disabled", prefix + "ledger"),
        ("retention-too-short", prefix + "reports"),
    }
    ledger = next(f for f in run.findings if f.rule == "backup-disabled")
    assert (ledger.project, ledger.details["account"], ledger.details["region"]) == (
        "shop",
        "shop-prod",
        "europe-west1",
    )
    assert ledger.details["implied_rpo_minutes"] is None
    reports = next(f for f in run.findings if f.rule == "retention-too-short")
    assert (reports.details["retention_days"], reports.details["implied_rpo_minutes"]) == (7, 5)
