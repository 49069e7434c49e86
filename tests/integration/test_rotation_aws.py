"""The rotation check against moto's server: what the sources read, read-only calls, exact findings."""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.exceptions
import pytest

from hygiene.checks.rotation.collect import collect, secret_versions_unread
from hygiene.checks.rotation.rules import evaluate
from hygiene.context import RunContext
from hygiene.errors import CheckSkipped
from hygiene.findings import Finding
from hygiene.pipeline import run_audit
from hygiene.policy import AwsPolicy, Policy
from hygiene.sources.aws import credentials
from hygiene.sources.aws.credentials import IAM_ACTIONS, collect_credentials
from hygiene.sources.aws.session import AwsScope
from tests.fixtures.rotation.seed import ACCOUNT, SECRET_VALUE, Estate, seed
from tests.integration.readonly import ReadOnlyGuard, iam_action, not_allowed

pytestmark = pytest.mark.integration

AWS = AwsPolicy(regions=["us-east-1"])


@pytest.fixture(autouse=True)
def version_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto 5.2.5's ``ListSecretVersionIds`` stamps every version with the time of the call
    (``int(time.time())``) instead of the ``createdate`` it stored when the version was made
    (``GetSecretValue`` and AWS report the stored one). This puts the stored date in the answer,
    and changes nothing else of moto's server; harmless once moto is fixed.
    """
    from moto.secretsmanager.models import SecretsManagerBackend

    buggy = SecretsManagerBackend.list_secret_version_ids

    def list_secret_version_ids(self: SecretsManagerBackend, secret_id: str) -> str:
        answer = json.loads(buggy(self, secret_id))
        stored = self.secrets[secret_id].versions
        for version in answer["Versions"]:
            version["CreatedDate"] = stored[version["VersionId"]]["createdate"]
        return json.dumps(answer)

    monkeypatch.setattr(SecretsManagerBackend, "list_secret_version_ids", list_secret_version_ids)


@pytest.fixture
def estate(aws: str) -> Estate:
    return seed(aws)


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def test_sources_read_every_kind_with_read_only_calls(estate: Estate) -> None:
    guard = ReadOnlyGuard()
    scope = AwsScope.connect(AWS, before_call=[guard])
    inventory = collect_credentials(scope)

    assert inventory.errors == []
    assert inventory.accounts == [ACCOUNT]
    assert inventory.root_not_in_report == [ACCOUNT]  # moto's report has no root row of its own
    assert {(r.kind, r.name, r.active) for r in inventory.records} == {
        ("iam-console-password", "alice", True),
        ("iam-access-key", estate.keys["alice"], True),
        ("iam-access-key", estate.keys["ci-used"], True),
        ("iam-access-key", estate.keys["ci-never"], True),
        ("iam-access-key", estate.keys["retired"], False),
        ("iam-server-certificate", "legacy-lb", True),
        ("secretsmanager-secret", "db-password", True),
        ("secretsmanager-secret", "api-token", True),
        ("secretsmanager-secret", "legacy-token", True),
        ("kms-key", estate.kms["rotated"], True),
        ("kms-key", estate.kms["plain"], True),
        ("acm-certificate", "shop.example.org", True),
        ("acm-certificate", "api.example.org", True),
    }
    by_name = {r.name: r for r in inventory.records}
    assert by_name[estate.keys["alice"]].last_used is not None
    assert by_name[estate.keys["ci-never"]].last_used is None
    assert by_name[estate.keys["ci-never"]].details["user_has_console"] is False
    assert by_name[estate.keys["alice"]].tags == {"Env": "production", "Project": "shop"}
    assert (by_name["api-token"].rotation_enabled, by_name["api-token"].rotation_interval_days) == (
        True,
        30,
    )
    assert by_name["db-password"].rotation_enabled is False
    assert by_name[estate.kms["plain"]].details["aliases"] == ["alias/orders"]
    assert by_name[estate.kms["rotated"]].tags == {"Owner": "security"}
    assert by_name["shop.example.org"].expires is not None
    assert (
        by_name["shop.example.org"].expires.date() == (estate.seeded_at + timedelta(days=45)).date()
    )

    assert guard.violations == []
    assert not_allowed(guard.operations) == set(), (
        "add these to deploy/iam/hygiene-readonly-policy.json"
    )
    made = {iam_action(op) for op in guard.operations} - {"sts:GetCallerIdentity"}
    # moto's ListCertificates summaries carry NotAfter, so the DescribeCertificate fallback is unused.
    assert made == set(IAM_ACTIONS) - {"acm:DescribeCertificate"}
    assert set(scope.calls.counts) == {
        "sts.GetCallerIdentity",
        "iam.GenerateCredentialReport", "iam.GetCredentialReport",
        "iam.ListUsers", "iam.ListUserTags", "iam.GetLoginProfile", "iam.ListAccessKeys",
        "iam.GetAccessKeyLastUsed", "iam.ListServerCertificates",
        "secretsmanager.ListSecrets", "secretsmanager.ListSecretVersionIds",
        "kms.ListAliases", "kms.ListKeys", "kms.DescribeKey", "kms.GetKeyRotationStatus", "kms.ListResourceTags",
        "acm.ListCertificates", "acm.ListTagsForCertificate",
    }  # fmt: skip
    assert scope.calls.counts["iam.GetAccessKeyLastUsed"] == 4
    assert scope.calls.counts["secretsmanager.ListSecretVersionIds"] == 3  # one per secret
    # never rotated nor changed since they were seeded: aged from creation, or their rotation
    assert by_name["db-password"].last_rotated is None
    assert by_name["db-password"].details["current_version_created"] is not None
    assert by_name["api-token"].last_rotated is not None


def test_a_denied_slice_is_an_error_not_an_empty_list(estate: Estate) -> None:
    def deny_kms(model: Any = None, **_: Any) -> None:
        if model.service_model.service_name == "kms" and model.name == "ListKeys":
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "ListKeys"
            )

    scope = AwsScope.connect(AwsPolicy(regions=["us-east-1"]), before_call=[deny_kms])
    inventory = collect_credentials(scope)

    assert inventory.errors == [
        f"kms us-east-1 {ACCOUNT}: ListKeys: AccessDeniedException (not allowed)"
    ]
    assert inventory.accounts == []  # so earlier findings of this account are not resolved
    assert {r.kind for r in inventory.records} == {
        "iam-console-password", "iam-access-key", "iam-server-certificate", "secretsmanager-secret",
        "acm-certificate",
    }  # fmt: skip


def finding_set(findings: list[Finding], estate: Estate) -> set[tuple[str, str]]:
    names = {v: k for k, v in estate.keys.items()} | {v: f"kms:{k}" for k, v in estate.kms.items()}
    return {
        (
            f.rule,
            names.get(
                f.details.get("name", ""), f.details.get("name") or f.details.get("principal", "")
            ),
        )
        for f in findings
    }


def test_audit_eighty_days_later_reports_exactly_due_disabled_unused_and_expiring(
    estate: Estate,
) -> None:
    policy = Policy(aws=AWS)
    run = run_audit(
        policy=policy, as_of=estate.seeded_at + timedelta(days=80, hours=1), only=["rotation"]
    )

    assert run.status == "complete"
    assert finding_set(run.findings, estate) == {
        ("rotation-due-soon", "alice"),  # prod key, 80 of 90 days
        ("unused-credential", "alice"),  # console password never used
        ("unused-credential", "ci-never"),
        ("multiple-active-keys", user_arn("ci-bot")),
        ("certificate-expiring", "legacy-lb"),  # moto's fixed 2012 expiry
        ("certificate-expiring", "shop.example.org"),  # expired 35 days ago
        ("rotation-disabled", "db-password"),
        ("unused-credential", "db-password"),  # never read
        ("rotation-due-soon", "api-token"),  # rotates every 30 days yet last rotated 80 days ago
        ("unused-credential", "api-token"),
        ("rotation-disabled", "legacy-token"),  # every 365 days, longer than 90
        ("rotation-due-soon", "legacy-token"),
        ("unused-credential", "legacy-token"),
        ("rotation-disabled", "kms:plain"),
    }
    by_rule_name = {(f.rule, f.details.get("name")): f for f in run.findings}
    alice = by_rule_name[("rotation-due-soon", estate.keys["alice"])]
    assert (alice.owner, alice.project, alice.env) == ("alice", "shop", "prod")
    assert (
        alice.details["age_days"],
        alice.details["limit_days"],
        alice.details["due_in_days"],
    ) == (80, 90, 10)
    ci = by_rule_name[("unused-credential", estate.keys["ci-never"])]
    assert (ci.owner, ci.env) == ("platform", "dev")
    assert ci.message.endswith(
        "its user has no console access either, so the user may be obsolete."
    )
    assert run.results[0].stats["aws"]["accounts"] == [ACCOUNT]
    assert run.results[0].stats["gcp"] == {
        "status": "skipped",
        "reason": "GCP is not configured (set gcp.projects, gcp.organization or gcp.folders)",
    }
    assert run.results[0].stats["credentials"] == {
        "acm-certificate": 2, "iam-access-key": 4, "iam-console-password": 1, "iam-server-certificate": 1,
        "kms-key": 2, "secretsmanager-secret": 3,
    }  # fmt: skip


def test_fresh_estate_has_only_the_structural_findings(estate: Estate) -> None:
    run = run_audit(
        policy=Policy(aws=AWS), as_of=estate.seeded_at + timedelta(hours=1), only=["rotation"]
    )
    assert finding_set(run.findings, estate) == {
        ("multiple-active-keys", user_arn("ci-bot")),
        ("certificate-expiring", "legacy-lb"),
        ("rotation-disabled", "db-password"),
        ("rotation-disabled", "legacy-token"),
        ("rotation-disabled", "kms:plain"),
    }


def test_no_secret_value_reaches_the_findings(estate: Estate) -> None:
    run = run_audit(
        policy=Policy(aws=AWS), as_of=estate.seeded_at + timedelta(days=100), only=["rotation"]
    )
    assert SECRET_VALUE not in repr(run.to_contract())


def test_without_credentials_the_check_is_skipped_unless_the_registry_has_entries() -> None:
    ctx = RunContext(run_id="r", as_of=datetime(2026, 6, 30, tzinfo=UTC), policy=Policy())
    with pytest.raises(CheckSkipped, match="no AWS credentials"):
        collect(ctx)
    policy = Policy.model_validate(
        {"rotation": {"registry": [{"name": "stripe", "last_rotated": "2026-01-01"}]}}
    )
    collection = collect(RunContext(run_id="r", as_of=ctx.as_of, policy=policy))
    assert [r.name for r in collection.records] == ["stripe"]
    assert collection.scopes == ["registry"]
    assert collection.stats["aws"]["status"] == "skipped"
    assert collection.stats["aws"]["reason"].startswith("no AWS credentials found")
    assert collection.errors == []


def test_a_user_deleted_while_being_read_is_left_out_not_an_error(estate: Estate) -> None:
    iam = boto3.client("iam")
    done: list[str] = []

    def delete_alice_first(model: Any = None, params: Any = None, **_: Any) -> None:
        body = (params or {}).get("body") or {}
        if model.name == "ListUserTags" and "alice" in str(body) and not done:
            done.append("alice")
            iam.delete_login_profile(UserName="alice")
            iam.delete_access_key(UserName="alice", AccessKeyId=estate.keys["alice"])
            iam.delete_user(UserName="alice")

    scope = AwsScope.connect(AWS, before_call=[delete_alice_first])
    inventory = collect_credentials(scope)

    assert done == ["alice"]
    assert inventory.errors == []
    assert inventory.accounts == [ACCOUNT]
    assert {
        r.details.get("user")
        for r in inventory.records
        if r.kind.startswith("iam-") and "user" in r.details
    } == {
        "ci-bot",
        "retired",
    }


ROOT_USER = "<root_account>"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


def give_root_two_keys(endpoint: str) -> dict[str, str]:
    """Give the account's root user two active access keys, the first one used, and no MFA.

    moto's credential report has no ``<root_account>`` row of its own: ``IAMBackend.
    get_credential_report`` writes one row per IAM user (``User.to_csv``), and no moto-api
    endpoint sets the report. So this creates, through moto's own IAM API, a user named
    ``<root_account>`` (moto does not check the name's characters); its row then reads as AWS's
    root row does (keys' active flags, last rotated, last used, mfa_active). Real IAM never
    lists the root user in ListUsers; moto lists this stand-in, so its keys also appear as an
    IAM user's keys here, and the tests below look at the root rules only.
    """
    iam = boto3.client("iam")
    iam.create_user(UserName=ROOT_USER)
    used = iam.create_access_key(UserName=ROOT_USER)["AccessKey"]
    unused = iam.create_access_key(UserName=ROOT_USER)["AccessKey"]
    boto3.Session(
        aws_access_key_id=used["AccessKeyId"],
        aws_secret_access_key=used["SecretAccessKey"],
        region_name="us-east-1",
    ).client("s3", endpoint_url=endpoint).list_buckets()  # so IAM records its last use
    return {
        "used": used["AccessKeyId"],
        "unused": unused["AccessKeyId"],
        "secret": used["SecretAccessKey"],
    }


def root_findings(findings: Any) -> list[Finding]:
    return sorted(
        (f for f in findings if f.rule.startswith("root-")),
        key=lambda f: (f.rule, f.details["name"]),
    )


def test_root_access_keys_and_mfa_come_from_the_credential_report(aws: str) -> None:
    keys = give_root_two_keys(aws)
    seeded = datetime.now(UTC)
    guard = ReadOnlyGuard()
    inventory = collect_credentials(AwsScope.connect(AWS, before_call=[guard]))

    assert inventory.errors == [] and inventory.root_not_in_report == []
    root = [r for r in inventory.records if r.kind.startswith("root-")]
    assert [(r.kind, r.name, r.resource_id, r.active) for r in root] == [
        ("root-user", "root", ROOT_ARN, True),
        ("root-access-key", "access_key_1", ROOT_ARN, True),
        ("root-access-key", "access_key_2", ROOT_ARN, True),
    ]
    assert root[0].details["mfa_active"] is False
    assert (root[1].last_used is not None, root[2].last_used) == (True, None)
    assert not any(value in repr(root) for value in keys.values())  # no key id, no key material
    assert guard.violations == [] and not_allowed(guard.operations) == set()

    run = run_audit(policy=Policy(aws=AWS), as_of=seeded + timedelta(hours=1), only=["rotation"])
    assert run.status == "complete"
    found = root_findings(run.findings)
    assert [(f.rule, f.severity.value, f.resource, f.details["name"]) for f in found] == [
        ("root-access-key", "critical", ROOT_ARN, "access_key_1"),
        ("root-access-key", "critical", ROOT_ARN, "access_key_2"),
        ("root-mfa-disabled", "high", ROOT_ARN, "root"),
    ]
    day = seeded.date().isoformat()
    assert found[0].message.startswith(
        f"The root user of account {ACCOUNT} has an active access key (access_key_1, created "
        f"{day}, last used {day}); the root user must have no access keys: "
    )
    assert found[1].message.startswith(
        f"The root user of account {ACCOUNT} has an active access key (access_key_2, created "
        f"{day}, never used); "
    )
    assert found[2].message.startswith(f"The root user of account {ACCOUNT} has no MFA device: ")
    assert not any(value in repr(found) for value in keys.values())
    assert keys["secret"] not in repr(run.to_contract())

    # MFA on, keys deleted: both rules are satisfied
    iam = boto3.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="root")["VirtualMFADevice"]
    iam.enable_mfa_device(
        UserName=ROOT_USER,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    for key_id in (keys["used"], keys["unused"]):
        iam.delete_access_key(UserName=ROOT_USER, AccessKeyId=key_id)
    fixed = run_audit(policy=Policy(aws=AWS), as_of=seeded + timedelta(hours=2), only=["rotation"])
    assert fixed.status == "complete"
    assert root_findings(fixed.findings) == []


def test_a_credential_report_that_cannot_be_read_is_an_error(aws: str) -> None:
    give_root_two_keys(aws)

    def deny_report(model: Any = None, **_: Any) -> None:
        if model.name == "GetCredentialReport":
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "GetCredentialReport"
            )

    inventory = collect_credentials(AwsScope.connect(AWS, before_call=[deny_report]))
    assert inventory.errors == [
        f"credential-report global {ACCOUNT}: GetCredentialReport: AccessDenied (not allowed)"
    ]
    assert inventory.accounts == []  # earlier root findings of this account stay open
    assert not any(r.kind.startswith("root-") for r in inventory.records)
    assert any(r.kind == "iam-access-key" for r in inventory.records)  # the rest is still read


def test_a_report_not_ready_in_time_makes_the_run_incomplete(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hygiene.sources.aws.credentials import root

    # moto answers the first GenerateCredentialReport with STARTED; with no time to wait, that
    # is a report not ready in time.
    monkeypatch.setattr(root, "REPORT_TIMEOUT_S", 0.0)
    inventory = collect_credentials(AwsScope.connect(AWS))
    assert inventory.errors == [
        f"credential-report global {ACCOUNT}: GenerateCredentialReport: the report was not "
        "ready after 0 s (last state STARTED)"
    ]
    assert inventory.accounts == []

    urllib.request.urlopen(urllib.request.Request(f"{aws}/moto-api/reset", method="POST"))
    run = run_audit(policy=Policy(aws=AWS), as_of=datetime.now(UTC), only=["rotation"])
    assert run.status == "incomplete"
    assert run.results[0].status == "error"


def test_a_value_put_by_hand_counts_as_a_rotation_a_tag_or_description_does_not(aws: str) -> None:
    sm = boto3.client("secretsmanager")
    for name in ("changed", "tagged"):
        sm.create_secret(
            Name=name, SecretString=SECRET_VALUE, Tags=[{"Key": "Env", "Value": "prod"}]
        )
    time.sleep(1.05)  # moto stamps versions in whole seconds
    sm.put_secret_value(SecretId="changed", SecretString=SECRET_VALUE[::-1])
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "Owner", "Value": "data"}])
    sm.update_secret(SecretId="tagged", Description="edited, value unchanged")
    listed = {item["Name"]: item for item in sm.list_secrets()["SecretList"]}
    created = listed["changed"]["CreatedDate"]
    put = next(
        v["CreatedDate"]
        for v in sm.list_secret_version_ids(SecretId="changed")["Versions"]
        if "AWSCURRENT" in v["VersionStages"]
    )
    assert put > created
    assert listed["tagged"]["LastChangedDate"] > listed["tagged"]["CreatedDate"]  # not the age

    guard = ReadOnlyGuard()
    inventory = collect_credentials(AwsScope.connect(AWS, before_call=[guard]))
    assert inventory.errors == [] and guard.violations == []
    assert not_allowed(guard.operations) == set()
    by_name = {r.name: r for r in inventory.records if r.kind == "secretsmanager-secret"}
    assert (by_name["changed"].created, by_name["changed"].last_rotated) == (created, put)
    assert (by_name["tagged"].created, by_name["tagged"].last_rotated) == (
        listed["tagged"]["CreatedDate"],
        None,
    )

    # 91 days after creation: the secret only tagged is overdue; the one given a new value a
    # second later is 90 days old (due soon), judged by its new version's date.
    as_of = created + timedelta(days=91)
    run = run_audit(policy=Policy(aws=AWS), as_of=as_of, only=["rotation"])
    assert run.status == "complete"
    aged = {
        f.details["name"]: f
        for f in run.findings
        if f.rule in ("rotation-overdue", "rotation-due-soon")
    }
    assert {name: f.rule for name, f in aged.items()} == {
        "changed": "rotation-due-soon",
        "tagged": "rotation-overdue",
    }
    changed, tagged = aged["changed"], aged["tagged"]
    assert (changed.details["age_days"], changed.details["basis"]) == (90, "last_rotated")
    assert changed.details["basis_date"] == put.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert changed.message.startswith("The Secrets Manager secret changed was last rotated 90 days")
    assert (tagged.details["age_days"], tagged.details["basis"]) == (91, "created")
    assert tagged.details["last_changed"] is not None
    assert SECRET_VALUE not in repr(run.to_contract())
    assert SECRET_VALUE[::-1] not in repr(run.to_contract())


def test_unreadable_versions_of_one_secret_fall_back_to_its_old_dates_and_are_noted(
    estate: Estate, caplog: pytest.LogCaptureFixture
) -> None:
    sm = boto3.client("secretsmanager")
    time.sleep(1.05)  # moto stamps versions in whole seconds
    for name in ("db-password", "api-token"):
        sm.put_secret_value(SecretId=name, SecretString=SECRET_VALUE[::-1])

    def deny_db_password(model: Any = None, params: Any = None, **_: Any) -> None:
        body = (params or {}).get("body") or b""
        if model.name == "ListSecretVersionIds" and "db-password" in str(body):
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "resource policy"}},
                "ListSecretVersionIds",
            )

    with caplog.at_level(logging.WARNING, logger="hygiene.sources.aws.credentials"):
        inventory = collect_credentials(AwsScope.connect(AWS, before_call=[deny_db_password]))

    assert inventory.errors == []  # one secret, not the slice: the run stays complete
    assert inventory.accounts == [ACCOUNT]
    assert secret_versions_unread(inventory.records) == 1  # the figure in stats.aws
    by_name = {r.name: r for r in inventory.records if r.kind == "secretsmanager-secret"}
    denied, read = by_name["db-password"], by_name["api-token"]
    assert denied.last_rotated is None  # its CreatedDate, as before: the new value is not seen
    assert denied.details["current_version_created"] is None
    assert denied.details["versions_error"] == (
        "ListSecretVersionIds: AccessDeniedException (resource policy)"
    )
    assert read.last_rotated is not None
    assert read.details["current_version_created"] is not None
    assert "versions_error" not in read.details
    assert read.created is not None and read.last_rotated > read.created  # its new value
    assert read.details["current_version_created"] > read.details["last_rotation"]
    noted = [r.getMessage() for r in caplog.records if r.name == credentials.__name__]
    assert [text for text in noted if text.startswith("secretsmanager")] == [
        f"secretsmanager us-east-1 {ACCOUNT}: the versions of 1 of 3 secrets could not be read, "
        "so they are aged from LastRotatedDate/CreatedDate (a value changed by hand is not "
        "seen): db-password: ListSecretVersionIds: AccessDeniedException (resource policy)"
    ]

    # 200 days on (over dev's 180 and prod's 90): db-password is judged from its CreatedDate and
    # its findings say why the value's date is unknown; api-token from its new value's date
    found = evaluate(
        inventory.records, Policy(aws=AWS), estate.seeded_at + timedelta(days=200, hours=1)
    )
    db = {f.rule: f for f in found if f.details.get("name") == "db-password"}
    assert db["rotation-overdue"].details["basis"] == "created"
    assert db["rotation-overdue"].details["age_days"] == 200
    assert all(f.details["versions_error"] == denied.details["versions_error"] for f in db.values())
    api = {f.rule: f for f in found if f.details.get("name") == "api-token"}
    assert api["rotation-overdue"].details["basis"] == "last_rotated"
    assert api["rotation-overdue"].details["basis_date"] > estate.seeded_at.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
