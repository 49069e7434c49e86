"""AWS (moto's server) and GCP (the local GCP servers) in one tags run: records, errors and
scopes of both clouds are joined by the collector."""

from __future__ import annotations

import boto3
import pytest

from hygiene.pipeline import run_audit
from hygiene.policy import AwsPolicy, GcpPolicy, Policy
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401
from tests.integration.gcp_server.sample import AS_OF

pytestmark = pytest.mark.integration


def test_tags_reports_both_clouds_with_their_scopes(aws: str, gcp: Gcp) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="untagged-logs")
    policy = Policy(
        aws=AwsPolicy(regions=["us-east-1"]),
        gcp=GcpPolicy(projects=["shop-prod", "data-lake"]),
    )
    run = run_audit(policy=policy, as_of=AS_OF, only=["tags"], environ=gcp.env)
    result = next(r for r in run.results if r.name == "tags")
    assert result.status == "error"  # data-lake's Cloud Asset API is off
    assert result.stats["errors"] == [
        "asset.searchAllResources project data-lake: PERMISSION_DENIED "
        "(API cloudasset.googleapis.com): SERVICE_DISABLED"
    ]
    assert result.stats["gcp"] == "read"
    assert result.scopes is not None
    assert "shop-prod" in result.scopes and "data-lake" not in result.scopes
    assert "123456789012" in result.scopes
    missing = {(f.details["provider"], f.resource) for f in run.findings if f.rule == "missing-tag"}
    assert ("aws", "arn:aws:s3:::untagged-logs") in missing
    assert {r for p, r in missing if p == "gcp"} == {
        "//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/disks/web-1",
        "//storage.googleapis.com/shop-assets",
    }
