"""The tags check against moto's server: an organisation of two accounts and two regions,
resources of many types, the exact findings, read-only proof, and failures that never pass."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions
import pytest

from hygiene.pipeline import run_audit
from hygiene.policy import AwsPolicy, Policy, PolicyException, TagsPolicy
from hygiene.sources.aws.inventory import run_inventory
from hygiene.sources.aws.session import AwsScope
from tests.fixtures.tags.estate import REGIONS, Estate, finding_key, seed
from tests.integration.readonly import ReadOnlyGuard, iam_action, load_policy, not_allowed

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("tags-estate")]

AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # moto's AMI catalogue would add snapshots we did not make
}


@pytest.fixture(scope="module")
def seeded(moto_endpoint: str) -> Iterator[Estate]:
    """One seeded organisation for the module: every test here only reads it."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL": moto_endpoint}.items():
            mp.setenv(name, value)
        urllib.request.urlopen(
            urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
        )
        yield seed(per_type=2)


@pytest.fixture
def estate(seeded: Estate, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Estate:
    """The seeded organisation, with this test's environment pointing boto3 at it."""
    for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    return seeded


def org_policy(**tags: Any) -> Policy:
    return Policy(aws=AwsPolicy(organization=True, regions=list(REGIONS)), tags=TagsPolicy(**tags))


def audit(policy: Policy, hooks: tuple[Any, ...] = ()) -> dict[str, Any]:
    run = run_audit(policy=policy, as_of=AS_OF, only=["tags"], options={"aws_before_call": hooks})
    return run.to_contract()


def test_reports_exactly_the_non_compliant_resources(estate: Estate) -> None:
    guard = ReadOnlyGuard()
    document = audit(org_policy(), (guard,))
    check = document["run"]["checks"]["tags"]
    assert check["status"] == "ok", check["reason"]
    assert document["run"]["status"] == "complete"
    assert {finding_key(f) for f in document["findings"]} == estate.expected()
    assert guard.violations == []
    stats = check["stats"]
    assert stats["accounts"] == estate.accounts
    assert stats["accounts_covered"] == estate.accounts
    assert stats["resources"] == len(estate.resources)
    ok = sum(1 for _a, _t, p in estate.resources.values() if p == "ok")
    assert stats["compliant"] == ok
    assert stats["compliance_percent"] == round(100 * ok / len(estate.resources), 2)
    assert set(stats["by_account"]) == set(estate.accounts)
    assert stats["by_owner"]["team-a"] == {"resources": ok, "compliant": ok, "percent": 100.0}
    assert (
        stats["by_resource_type"]["iam:role"]["resources"] == 2 * 3 + 1
    )  # 2 per account, lambda-exec, OrganizationAccountAccessRole
    assert stats["api_calls"] == sum(stats["api_calls_by_operation"].values()) > 0


def test_finding_names_account_region_type_arn_tags_and_owner(estate: Estate) -> None:
    document = audit(org_policy())
    invalid = [f for f in document["findings"] if f["rule"] == "invalid-tag-value"]
    assert invalid
    for finding in invalid:
        arn = finding["resource"]
        account, rtype, _profile = estate.resources[arn]
        assert finding["owner"] == "team-c"
        assert finding["project"] == "search"
        assert finding["details"]["account"] == account
        assert finding["details"]["resource_type"] == rtype
        assert finding["details"]["arn"] == arn
        assert finding["details"]["region"] in (*REGIONS, "global")
        assert finding["details"]["tags"] == {
            "Project": "search",
            "Owner": "team-c",
            "Env": "prodution",
        }
        assert finding["details"]["suggestion"] == "prod"
        assert finding["severity"] == "medium"


def test_every_call_is_read_only_and_in_the_shipped_iam_policy(estate: Estate) -> None:
    guard = ReadOnlyGuard()
    scope = AwsScope.connect(
        AwsPolicy(organization=True, regions=list(REGIONS)), before_call=[guard]
    )
    inventory = run_inventory(scope)
    assert inventory.errors == []
    assert guard.violations == []
    assert {
        "sts.AssumeRole",
        "ec2.DescribeInstances",
        "resourcegroupstaggingapi.GetResources",
        "iam.GetAccountAuthorizationDetails",
    } <= guard.operations
    assert not_allowed(guard.operations) == set()
    # the guard itself refuses a write
    with pytest.raises(Exception, match="non-read-only"):
        scope.client("sqs", "us-east-1").create_queue(QueueName="nope")


def test_policy_grants_no_write_action() -> None:
    """The tags statements grant only read-style actions (other checks own their statements)."""
    document = load_policy()
    ours = [
        st for st in document["Statement"] if st["Sid"] in ("HygieneScope", "HygieneTagsInventory")
    ]
    assert len(ours) == 2
    for statement in ours:
        assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
        for action in statement["Action"]:
            name = action.split(":", 1)[1]
            assert name.startswith(("Describe", "List", "Get", "BatchGet", "Lookup")) or action in (
                "sts:AssumeRole",
                "apigateway:GET",
            ), action
    assert iam_action("s3.ListBuckets") == "s3:ListAllMyBuckets"


def _fail(service: str, code: str) -> Any:
    def hook(model: Any = None, **_: Any) -> None:
        if model is not None and model.service_model.service_name == service:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": code, "Message": f"injected {code}"}}, model.name
            )

    return hook


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_a_failing_service_makes_the_run_incomplete_but_others_still_report(
    estate: Estate, code: str
) -> None:
    document = audit(org_policy(), (_fail("dynamodb", code),))
    check = document["run"]["checks"]["tags"]
    assert document["run"]["status"] == "incomplete"
    assert check["status"] == "error"
    errors = check["stats"]["errors"]
    assert sorted(errors) == sorted(
        f"dynamodb {region} {account}: ListTables: {code} (injected {code})"
        for account in estate.accounts
        for region in REGIONS
    )
    assert check["stats"]["accounts_covered"] == []
    assert {finding_key(f) for f in document["findings"]} == estate.expected(
        exclude_types=("dynamodb:",)
    )


def test_an_account_that_cannot_be_entered_is_one_error_and_the_others_report(
    estate: Estate,
) -> None:
    caller, member = sorted(estate.accounts, key=lambda a: a != "123456789012")

    def deny_assume_role(model: Any = None, **_: Any) -> None:
        if model is not None and model.name == "AssumeRole":
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "AccessDenied",
                        "Message": "not authorized to perform sts:AssumeRole",
                    }
                },
                "AssumeRole",
            )

    document = audit(org_policy(), (deny_assume_role,))
    check = document["run"]["checks"]["tags"]
    assert document["run"]["status"] == "incomplete"
    assert check["stats"]["errors"] == [
        f"account {member}: AssumeRole: AccessDenied (not authorized to perform sts:AssumeRole)"
    ]
    assert check["stats"]["accounts_covered"] == [caller]
    assert {finding_key(f) for f in document["findings"]} == estate.expected(accounts={caller})


def test_an_scp_disabled_region_is_skipped_not_an_error(estate: Estate) -> None:
    def scp(model: Any = None, context: Any = None, **_: Any) -> None:
        if model is not None and model.service_model.service_name == "sqs":
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "AccessDenied",
                        "Message": "User is not authorized with an explicit deny in a service control policy",
                    }
                },
                model.name,
            )

    document = audit(org_policy(), (scp,))
    check = document["run"]["checks"]["tags"]
    assert check["status"] == "ok"
    assert len(check["stats"]["skipped"]) == len(estate.accounts) * len(REGIONS)
    assert {finding_key(f) for f in document["findings"]} == estate.expected(
        exclude_types=("sqs:",)
    )


def test_exceptions_by_arn_glob_type_account_and_tag_condition(estate: Estate) -> None:
    member = estate.accounts[1]
    policy = org_policy().model_copy(
        update={
            "exceptions": [
                PolicyException(
                    match={"resource_type": "sqs:queue"},
                    reason="queues are ephemeral",
                    owner="ops",
                    expires="2027-01-01",
                ),
                PolicyException(
                    match={"resource": "arn:aws:s3:::bkt-*"},
                    reason="legacy buckets",
                    owner="ops",
                    expires="2027-01-01",
                ),
                PolicyException(
                    match={"account": member, "rule": "tag-key-case"},
                    reason="migrating",
                    owner="ops",
                    expires="2027-01-01",
                ),
                PolicyException(
                    match={"tags.Project": "search"},
                    reason="search sunset",
                    owner="search",
                    expires="2027-01-01",
                ),
                PolicyException(
                    match={"resource_type": "kms:key"},
                    reason="old",
                    owner="sec",
                    expires="2026-01-01",
                ),
            ]
        }
    )
    document = audit(policy)
    expected = {
        k
        for k in estate.expected(exclude_types=("sqs:", "s3:"))
        if not (k[0] == "tag-key-case" and estate.resources[k[1]][0] == member)
        and estate.resources[k[1]][2] not in ("invalid", "empty")  # Project=search
    }
    keys = {finding_key(f) for f in document["findings"] if f["check"] == "tags"}
    assert keys == expected
    expired = [f for f in document["findings"] if f["rule"] == "exception-expired"]
    assert [f["details"]["match"] for f in expired] == [{"resource_type": "kms:key"}]


def test_resource_types_and_managed_resources(estate: Estate) -> None:
    document = audit(org_policy(resource_types=["ec2:*"], skip_aws_managed=False))
    types = {f["details"]["resource_type"] for f in document["findings"]}
    assert types <= {
        f"ec2:{t}"
        for t in (
            "instance",
            "volume",
            "snapshot",
            "vpc",
            "subnet",
            "security-group",
            "elastic-ip",
            "internet-gateway",
            "launch-template",
            "route-table",
            "network-acl",
        )
    }
    # with managed resources included, the default VPCs are reported too
    default_vpcs = [
        f
        for f in document["findings"]
        if f["details"]["resource_type"] == "ec2:vpc" and f["resource"] not in estate.resources
    ]
    assert len(default_vpcs) == len(estate.accounts) * len(REGIONS)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def test_throttling_within_the_retries_is_not_an_error(estate: Estate) -> None:
    """The first two ListTables answers are ThrottlingException (as DynamoDB sends it); botocore's
    adaptive retries get through, so nothing is lost and nothing is an error."""
    from botocore.awsrequest import AWSResponse

    caller = estate.accounts[0] if estate.accounts[0] == "123456789012" else estate.accounts[1]
    scope = AwsScope.connect(AwsPolicy(accounts=[caller], regions=list(REGIONS)))
    throttled: list[str] = []

    def throttle(request: Any = None, **_: Any) -> Any:
        if len(throttled) >= 2:
            return None
        throttled.append(request.url)
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                "message": "Rate of requests exceeds the allowed throughput.",
            }
        ).encode()
        return AWSResponse(
            request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body)
        )

    events = scope.base._session.get_component("event_emitter")
    events.register("before-send.dynamodb.ListTables", throttle)
    inventory = run_inventory(scope, ["dynamodb:table"])
    assert inventory.errors == []
    assert len(throttled) == 2
    assert {r.resource_id for r in inventory.records} == {
        arn
        for arn, (account, rtype, _p) in estate.resources.items()
        if account == caller and rtype == "dynamodb:table"
    }
