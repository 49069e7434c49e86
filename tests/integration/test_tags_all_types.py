"""Every inventory family against moto: one resource of each type the main estate does not seed
(load balancers, EKS, OpenSearch, ElastiCache, RDS clusters, CloudFront, HTTP APIs, NAT
gateways, AMIs, ...), found with exactly its tags, by read-only calls the shipped policy allows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hygiene.policy import AwsPolicy
from hygiene.sources.aws.inventory import RESOURCE_TYPES, run_inventory
from hygiene.sources.aws.session import AwsScope
from tests.fixtures.tags.other_types import seed_other_types
from tests.integration.readonly import ReadOnlyGuard, not_allowed

pytestmark = pytest.mark.integration

# the types tests/fixtures/tags/estate.py seeds
ESTATE_TYPES = {
    "iam:role", "iam:user", "ec2:instance", "ec2:volume", "ec2:snapshot", "ec2:vpc", "ec2:subnet",
    "ec2:security-group", "ec2:elastic-ip", "ec2:internet-gateway", "ec2:launch-template",
    "s3:bucket", "sqs:queue", "sns:topic", "logs:log-group", "dynamodb:table", "kms:key",
    "secretsmanager:secret", "lambda:function", "ecr:repository", "ecs:cluster", "kinesis:stream",
    "states:stateMachine", "apigateway:restapi", "elasticfilesystem:file-system",
    "elasticloadbalancing:targetgroup", "redshift:cluster",
}  # fmt: skip


@pytest.fixture
def no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before ``aws`` resets moto: its AMI catalogue would add snapshots nobody made."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def test_every_family_lists_its_types_with_their_tags(no_default_amis: None, aws: str) -> None:
    expected = seed_other_types("us-east-1")
    guard = ReadOnlyGuard()
    scope = AwsScope.connect(AwsPolicy(regions=["us-east-1"]), before_call=[guard])
    inventory = run_inventory(scope)
    assert inventory.errors == []
    found = {(r.resource_type, r.resource_id): r.tags for r in inventory.records}
    assert {key: found.get(key) for key in expected} == expected
    # with the main estate, every one of the 49 types has been listed against moto
    assert {rtype for rtype, _arn in expected} | ESTATE_TYPES == set(RESOURCE_TYPES)
    assert guard.violations == []
    assert {"eks.DescribeNodegroup", "elbv2.DescribeTags", "elb.DescribeTags", "opensearch.ListTags",
            "iam.ListPolicyTags", "ecs.DescribeServices"} <= guard.operations  # fmt: skip
    assert not_allowed(guard.operations) == set()


def test_an_unexpected_response_fails_its_slice_not_the_run(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from hygiene.sources.aws import inventory

    def broken(*_: object) -> list[object]:
        raise KeyError("QueueUrls")

    families = tuple(
        dataclasses.replace(f, lister=broken) if f.name == "sqs" else f for f in inventory.FAMILIES
    )
    monkeypatch.setattr(inventory, "FAMILIES", families)
    scope = AwsScope.connect(AwsPolicy(regions=["us-east-1"]))
    result = run_inventory(scope)
    assert result.errors == [f"sqs us-east-1 {scope.caller_account}: KeyError: 'QueueUrls'"]
    assert result.covered_accounts == []
    assert result.slices["error"] == 1
    assert [
        r.details["managed_reason"] for r in result.records if r.resource_type == "ec2:vpc"
    ] == ["default VPC"]  # the other families still report


def test_history_resolves_only_in_fully_covered_accounts(
    no_default_amis: None, aws: str, tmp_path: Path
) -> None:
    import boto3
    import botocore.exceptions

    from hygiene.pipeline import run_audit
    from hygiene.policy import Policy, TagsPolicy

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    policy = Policy(aws=AwsPolicy(regions=["us-east-1"]), tags=TagsPolicy(resource_types=["sqs:*"]))
    state = tmp_path / "state.db"

    def audit(day: int, hooks: tuple[object, ...] = ()) -> dict[str, Any]:
        as_of = datetime(2026, 11, day, tzinfo=UTC)
        run = run_audit(policy=policy, as_of=as_of, only=["tags"], state_path=state,
                        options={"aws_before_call": hooks})  # fmt: skip
        return run.to_contract()

    first = audit(1)
    [finding] = first["findings"]
    assert (finding["rule"], finding["status"]) == ("missing-tag", "new")
    assert audit(2)["findings"][0]["status"] == "open"

    sqs.tag_queue(QueueUrl=url, Tags={"Project": "shop", "Owner": "team-a", "Env": "prod"})

    def deny_sqs(model: Any = None, **_: Any) -> None:
        if model is not None and model.service_model.service_name == "sqs":
            raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied"}}, model.name)

    partial = audit(3, (deny_sqs,))  # the account is not fully covered: nothing resolves
    assert partial["run"]["status"] == "incomplete"
    assert (partial["findings"], partial["run"]["resolved"]) == ([], [])
    complete = audit(4)
    assert complete["run"]["resolved"] == [finding["id"]]


def test_a_key_carried_twice_is_read_as_found_and_flagged(no_default_amis: None, aws: str) -> None:
    import boto3

    from hygiene.pipeline import run_audit
    from hygiene.policy import Policy, TagsPolicy

    # AWS tag keys are case-sensitive (IAM's are not, so these are a queue and a bucket)
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"Project": "shop", "Owner": "team-a", "Env": "prod", "env": "dev"})  # fmt: skip
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="invoices")
    s3.put_bucket_tagging(
        Bucket="invoices",
        Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in
                            {"Project": "shop", "Owner": "team-a", "Environment": "production",
                             "Env": "prod"}.items()]},
    )  # fmt: skip
    policy = Policy(
        aws=AwsPolicy(regions=["us-east-1"]),
        tags=TagsPolicy(resource_types=["sqs:queue", "s3:bucket"]),
    )
    run = run_audit(policy=policy, as_of=datetime(2026, 11, 27, tzinfo=UTC), only=["tags"])
    document = run.to_contract()
    assert document["run"]["status"] == "complete"
    queue_arn = f"arn:aws:sqs:us-east-1:{run.results[0].stats['accounts'][0]}:orders"
    assert sorted(
        (f["rule"], f["resource"], f["details"]["raw_keys"], f["details"]["used_key"],
         f["details"]["conflicting"], f["env"])
        for f in document["findings"]
    ) == [
        ("duplicate-tag-key", "arn:aws:s3:::invoices", ["Env", "Environment"], "Env", False, "prod"),
        ("duplicate-tag-key", queue_arn, ["Env", "env"], "Env", True, "prod"),
    ]  # fmt: skip
    stats = document["run"]["checks"]["tags"]["stats"]
    assert (stats["resources"], stats["compliant"]) == (2, 0)
