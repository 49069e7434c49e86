"""Pure parts of the AWS inventory: tag shapes, type selection, the catalogue of types, and the
read-only helpers other AWS tests reuse."""

from __future__ import annotations

from hygiene.sources.aws.inventory import FAMILIES, RESOURCE_TYPES, type_filter
from hygiene.sources.aws.inventory.base import chunks, make, tag_dict
from tests.integration.readonly import iam_action, load_policy, not_allowed, policy_allows


def test_tag_dict_reads_every_aws_shape() -> None:
    assert tag_dict([{"Key": "Env", "Value": "prod"}, {"Key": "Owner"}]) == {
        "Env": "prod",
        "Owner": "",
    }
    assert tag_dict([{"key": "Env", "value": "dev"}]) == {"Env": "dev"}
    assert tag_dict([{"TagKey": "Project", "TagValue": "x"}]) == {"Project": "x"}
    assert tag_dict({"Env": "prod", "Owner": None}) == {"Env": "prod", "Owner": ""}
    assert tag_dict(None) == {} and tag_dict([]) == {}


def test_catalogue_has_at_least_40_unique_types() -> None:
    assert len(RESOURCE_TYPES) == len(set(RESOURCE_TYPES)) == 49
    assert len({f.name for f in FAMILIES}) == len(FAMILIES)
    assert {f.name for f in FAMILIES if f.global_service} == {"iam", "cloudfront"}


def test_type_filter_globs() -> None:
    everything = type_filter([])
    assert everything("ec2:instance") and everything("iam:role")
    some = type_filter(["ec2:*", "s3:bucket"])
    assert some("ec2:volume") and some("s3:bucket")
    assert not some("iam:role") and not some("s3:bucketx")


def test_make_marks_managed_resources() -> None:
    record = make("1", "us-east-1", "ec2:vpc", "arn:x", {}, "v", "default VPC", id="vpc-1")
    assert record.managed_by_provider
    assert record.details == {"managed_reason": "default VPC", "id": "vpc-1"}
    assert not make("1", "us-east-1", "ec2:vpc", "arn:y", {}).managed_by_provider


def test_chunks() -> None:
    assert [list(c) for c in chunks(list(range(5)), 2)] == [[0, 1], [2, 3], [4]]


def test_iam_action_mapping_and_policy_matching() -> None:
    assert iam_action("ec2.DescribeInstances") == "ec2:DescribeInstances"
    assert iam_action("resourcegroupstaggingapi.GetResources") == "tag:GetResources"
    assert iam_action("elbv2.DescribeTags") == "elasticloadbalancing:DescribeTags"
    assert iam_action("apigatewayv2.GetApis") == "apigateway:GET"
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": ["ec2:Describe*", "s3:ListAllMyBuckets"]},
            {"Effect": "Deny", "Action": "iam:*"},
        ]
    }
    assert policy_allows(document, "ec2:DescribeVolumes")
    assert not policy_allows(document, "ec2:RunInstances")
    assert not policy_allows(document, "iam:GetUser")
    assert not_allowed({"ec2.DescribeVpcs", "ec2.TerminateInstances"}, document) == {
        "ec2:TerminateInstances"
    }
    assert (
        not_allowed({"sqs.ListQueues", "iam.GetAccountAuthorizationDetails"}, load_policy())
        == set()
    )
