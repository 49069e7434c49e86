"""The rotation check over GCP through the local GCP API server: service-account keys and
Secret Manager secrets judged by the same rules as AWS; a denied project is an error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401

pytestmark = pytest.mark.integration

POLICY = Policy.model_validate({"gcp": {"organization": "100"}})
DEPLOYER = "projects/shop-prod/serviceAccounts/deployer@shop-prod.iam.gserviceaccount.com"


def test_gcp_keys_and_secrets_against_the_policy(gcp: Gcp) -> None:
    as_of = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    run = run_audit(policy=POLICY, as_of=as_of, only=["rotation"], environ=dict(gcp.env))

    result = run.results[0]
    assert result.status == "error"  # Secret Manager is denied on sandbox
    assert result.stats["errors"] == [
        "secretmanager.listSecrets project sandbox: PERMISSION_DENIED (API secretmanager.googleapis.com): "
        "IAM_PERMISSION_DENIED"
    ]
    assert result.scopes == ["registry", "data-lake", "shop-dev", "shop-prod"]
    assert {(f.rule, f.resource) for f in run.findings} == {
        # user-managed key created 2026-05-01: 203 days, over the prod limit of 90
        ("rotation-overdue", f"{DEPLOYER}/keys/1111aaaa2222bbbb"),
        # two enabled user-managed keys on the deployer (the system-managed one is not listed)
        ("multiple-active-keys", f"{DEPLOYER}/keys/1111aaaa2222bbbb"),
        # newest enabled version 2026-03-01: 264 days, and no rotation schedule
        ("rotation-overdue", "projects/1001/secrets/db-password"),
        ("rotation-disabled", "projects/1001/secrets/db-password"),
    }
    by_rule = {(f.rule, f.resource): f for f in run.findings}
    key = by_rule[("rotation-overdue", f"{DEPLOYER}/keys/1111aaaa2222bbbb")]
    assert (key.owner, key.env, key.details["age_days"], key.details["limit_days"]) == (
        "team-shop",
        "prod",
        203,
        90,
    )
    assert key.details["account"] == "shop-prod"
    secret = by_rule[("rotation-overdue", "projects/1001/secrets/db-password")]
    assert (secret.owner, secret.details["basis"], secret.details["age_days"]) == (
        "team-db",
        "last_rotated",
        264,
    )
    multiple = by_rule[("multiple-active-keys", f"{DEPLOYER}/keys/1111aaaa2222bbbb")]
    assert multiple.details["principal"] == "deployer@shop-prod.iam.gserviceaccount.com"
