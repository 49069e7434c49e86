"""The pure API-response → record transforms of the rotation sources, and the registry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from hygiene.checks.rotation.collect import registry_record, registry_records
from hygiene.config import load_policy
from hygiene.errors import ConfigError
from hygiene.policy import ExternalSecret, RotationPolicy
from hygiene.sources.aws.credentials import (
    CredentialReportError,
    access_key_record,
    acm_record,
    current_version_created,
    is_rotatable_kms_key,
    kms_record,
    list_acm,
    list_kms,
    read_credential_report,
    root_records,
    schedule_days,
    secret_record,
    tag_dict,
    value_changed,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
USER = {"UserName": "ci-bot", "Arn": "arn:aws:iam::111122223333:user/ci/ci-bot", "CreateDate": T0}


@pytest.mark.parametrize(
    ("rules", "days"),
    [
        (None, None),
        ({"AutomaticallyAfterDays": 30}, 30),
        ({"ScheduleExpression": "rate(10 days)"}, 10),
        ({"ScheduleExpression": "rate(1 day)"}, 1),
        ({"ScheduleExpression": "rate(36 hours)"}, 2),
        ({"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}, None),
    ],
)
def test_schedule_days(rules: dict[str, object] | None, days: int | None) -> None:
    assert schedule_days(rules) == days


def test_tag_dict_accepts_every_aws_shape() -> None:
    assert tag_dict(
        [{"Key": "Env", "Value": "prod"}, {"TagKey": "Owner", "TagValue": "ops"}, {"key": "x"}]
    ) == {
        "Env": "prod",
        "Owner": "ops",
        "x": "",
    }


def test_access_key_record_with_and_without_last_use() -> None:
    key = {
        "AccessKeyId": "AKIAEXAMPLE",
        "Status": "Inactive",
        "CreateDate": T0,
        "UserName": "ci-bot",
    }
    used = {"LastUsedDate": T0, "ServiceName": "s3", "Region": "eu-west-1"}
    record = access_key_record("111122223333", USER, key, used, {"Env": "prod"}, has_console=False)
    assert (record.kind, record.resource_id, record.name, record.active) == (
        "iam-access-key",
        USER["Arn"],
        "AKIAEXAMPLE",
        False,
    )
    assert (record.created, record.last_used, record.owner, record.tags) == (
        T0,
        T0,
        "ci-bot",
        {"Env": "prod"},
    )
    assert record.details == {
        "principal": USER["Arn"],
        "user": "ci-bot",
        "user_has_console": False,
        "last_used_service": "s3",
        "last_used_region": "eu-west-1",
    }
    never = access_key_record(
        "1", USER, key, {"ServiceName": "N/A", "Region": "N/A"}, {}, has_console=True
    )
    assert never.last_used is None
    assert never.details["last_used_service"] is None


def test_secret_record_from_a_list_secrets_item() -> None:
    item = {
        "ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf",
        "Name": "db",
        "CreatedDate": T0,
        "LastRotatedDate": T0,
        "LastAccessedDate": T0,
        "RotationEnabled": True,
        "RotationRules": {"ScheduleExpression": "rate(45 days)"},
        "Tags": [{"Key": "Owner", "Value": "data"}],
        "OwningService": "rds",
    }
    record = secret_record("1", "eu-west-1", item)
    assert (record.rotation_enabled, record.rotation_interval_days, record.last_rotated) == (
        True,
        45,
        T0,
    )
    assert (record.region, record.tags, record.details["owning_service"]) == (
        "eu-west-1",
        {"Owner": "data"},
        "rds",
    )
    off = secret_record(
        "1", "eu-west-1", {"ARN": "a", "Name": "n", "RotationRules": {"AutomaticallyAfterDays": 9}}
    )
    assert (off.rotation_enabled, off.rotation_interval_days) == (False, None)


SECRET = {"ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf", "Name": "db"}
DAY = timedelta(days=1)


def versions(current: datetime | None) -> list[dict[str, Any]]:
    """A ``ListSecretVersionIds`` ``Versions`` list: the AWSCURRENT version created at ``current``
    (none when None), an AWSPREVIOUS one and one with a custom label, both older."""
    listed: list[dict[str, Any]] = [
        {"VersionId": "v1", "VersionStages": ["AWSPREVIOUS"], "CreatedDate": T0},
        {"VersionId": "v0", "VersionStages": ["blue"], "CreatedDate": T0 - DAY},
    ]
    if current is not None:
        listed.insert(
            1, {"VersionId": "v2", "VersionStages": ["AWSCURRENT"], "CreatedDate": current}
        )
    return listed


def test_current_version_created_is_the_awscurrent_versions_date() -> None:
    assert current_version_created(versions(T0 + 5 * DAY)) == T0 + 5 * DAY
    assert current_version_created(versions(None)) is None
    assert current_version_created([]) is None
    both = [{"VersionId": "v", "VersionStages": ["AWSPENDING", "AWSCURRENT"], "CreatedDate": T0}]
    assert current_version_created(both) == T0


@pytest.mark.parametrize(
    ("created", "rotated", "current", "changed"),
    [
        # a value put by hand after the last rotation: the new version's date
        (T0, T0 + DAY, T0 + 9 * DAY, T0 + 9 * DAY),
        # rotated after the current version was created (or at the same time): the rotation
        (T0, T0 + 9 * DAY, T0 + DAY, T0 + 9 * DAY),
        # never rotated, value put by hand
        (T0, None, T0 + 30 * DAY, T0 + 30 * DAY),
        # the value the secret was created with (same second, or a moment later) is no change
        (T0, None, T0, None),
        (T0, None, T0 + timedelta(milliseconds=400), None),
        (T0, T0 + DAY, T0, T0 + DAY),
        # a second later is a change
        (T0, None, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1)),
        # versions not read (or no AWSCURRENT version): LastRotatedDate, else nothing
        (T0, T0 + DAY, None, T0 + DAY),
        (T0, None, None, None),
        # no CreatedDate to compare with: the current version counts
        (None, None, T0, T0),
        # naive and aware datetimes compare (naive ones are UTC)
        (T0.replace(tzinfo=None), None, T0 + DAY, T0 + DAY),
    ],
)
def test_value_changed_is_the_later_of_rotation_and_current_version(
    created: datetime | None,
    rotated: datetime | None,
    current: datetime | None,
    changed: datetime | None,
) -> None:
    assert value_changed(created, rotated, current) == changed


def test_secret_record_ages_a_value_put_by_hand_not_a_metadata_edit() -> None:
    item = {**SECRET, "CreatedDate": T0, "LastChangedDate": T0 + 20 * DAY}
    put = secret_record("1", "eu-west-1", item, current_version_created(versions(T0 + 9 * DAY)))
    assert (put.created, put.last_rotated) == (T0, T0 + 9 * DAY)
    assert put.details["current_version_created"] == "2026-01-11T03:04:05Z"
    assert put.details["last_rotation"] is None
    assert put.details["last_changed"] == "2026-01-22T03:04:05Z"  # a tag edit: not the age
    assert "versions_error" not in put.details

    # only tagged or described since creation: LastChangedDate moved, the value did not
    tagged = secret_record("1", "eu-west-1", item, current_version_created(versions(T0)))
    assert (tagged.created, tagged.last_rotated) == (T0, None)
    assert tagged.details["current_version_created"] == "2026-01-02T03:04:05Z"

    rotated = {**item, "LastRotatedDate": T0 + 40 * DAY, "RotationEnabled": True}
    record = secret_record("1", "eu-west-1", rotated, T0 + 39 * DAY)
    assert record.last_rotated == T0 + 40 * DAY
    assert record.details["last_rotation"] == "2026-02-11T03:04:05Z"


def test_secret_record_whose_versions_could_not_be_read_keeps_the_old_dates() -> None:
    item = {**SECRET, "CreatedDate": T0, "LastRotatedDate": T0 + DAY}
    error = "ListSecretVersionIds: AccessDeniedException (denied by the resource policy)"
    record = secret_record("1", "eu-west-1", item, versions_error=error)
    assert (record.created, record.last_rotated) == (T0, T0 + DAY)
    assert record.details["current_version_created"] is None
    assert record.details["versions_error"] == error
    never = secret_record("1", "eu-west-1", {**SECRET, "CreatedDate": T0}, versions_error=error)
    assert never.last_rotated is None  # aged from its creation, as before


@pytest.mark.parametrize(
    ("change", "rotatable"),
    [
        ({}, True),
        ({"KeyManager": "AWS"}, False),
        ({"KeySpec": "RSA_2048"}, False),
        ({"KeyState": "PendingDeletion"}, False),
        ({"Origin": "EXTERNAL"}, False),
        ({"MultiRegionConfiguration": {"MultiRegionKeyType": "REPLICA"}}, False),
        ({"MultiRegionConfiguration": {"MultiRegionKeyType": "PRIMARY"}}, True),
    ],
)
def test_only_customer_managed_symmetric_enabled_keys_are_rotatable(
    change: dict[str, object], rotatable: bool
) -> None:
    meta = {
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
    }
    assert is_rotatable_kms_key({**meta, **change}) is rotatable


def test_kms_record_rotation_period() -> None:
    meta = {"Arn": "arn:aws:kms:eu-west-1:1:key/k1", "KeyId": "k1", "CreationDate": T0}
    custom = kms_record(
        "1",
        "eu-west-1",
        meta,
        {"KeyRotationEnabled": True, "RotationPeriodInDays": 180},
        {},
        ["alias/b", "alias/a"],
    )
    assert (custom.rotation_enabled, custom.rotation_interval_days, custom.details["aliases"]) == (
        True,
        180,
        ["alias/a", "alias/b"],
    )
    default = kms_record("1", "eu-west-1", meta, {"KeyRotationEnabled": True}, {}, [])
    assert default.rotation_interval_days == 365
    off = kms_record("1", "eu-west-1", meta, {"KeyRotationEnabled": False}, {}, [])
    assert (off.rotation_enabled, off.rotation_interval_days) == (False, None)


def test_acm_record() -> None:
    cert = {
        "CertificateArn": "arn:aws:acm:eu-west-1:1:certificate/abc",
        "DomainName": "shop.example.org",
        "NotAfter": T0,
        "ImportedAt": T0,
        "Status": "ISSUED",
        "Type": "IMPORTED",
        "InUseBy": ["arn:elb"],
    }
    record = acm_record("1", "eu-west-1", cert, {"Env": "prod"})
    assert (record.kind, record.name, record.expires, record.details["in_use"]) == (
        "acm-certificate",
        "shop.example.org",
        T0,
        True,
    )


def test_registry_entries_become_external_records() -> None:
    entry = ExternalSecret(
        name="stripe-api",
        owner="payments",
        env="prod",
        last_rotated=date(2026, 3, 1),
        max_age_days=60,
    )
    record = registry_record(entry)
    assert (record.provider, record.account, record.kind, record.resource_id) == (
        "external",
        "registry",
        "external",
        "registry:stripe-api",
    )
    assert record.last_rotated == datetime(2026, 3, 1, tzinfo=UTC)
    assert (record.owner, record.env, record.details) == ("payments", "prod", {"max_age_days": 60})
    policy = RotationPolicy(
        registry=[
            entry,
            ExternalSecret(name="vault", kind="vault-token", last_rotated=date(2026, 1, 1)),
        ]
    )
    assert [(r.name, r.kind, r.details) for r in registry_records(policy)] == [
        ("stripe-api", "external", {"max_age_days": 60}),
        ("vault", "vault-token", {}),
    ]


def test_registry_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "rotation:\n  registry:\n    - name: stripe\n      owner: payments\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as missing:
        load_policy([path])
    assert (
        str(missing.value)
        == f"{path}:3: rotation.registry[0].last_rotated: required key is missing"
    )
    path.write_text(
        "rotation:\n  registry:\n"
        "    - {name: stripe, last_rotated: 2026-01-01}\n"
        "    - {name: stripe, last_rotated: 2026-02-01}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as twice:
        load_policy([path])
    assert str(twice.value) == f"{path}:2: rotation.registry: registry name 'stripe' is used twice"


class _Pages:
    def __init__(self, pages: list[dict[str, object]]) -> None:
        self.pages = pages

    def paginate(self, **_: object) -> list[dict[str, object]]:
        return self.pages


class _OldAcm:
    """ACM as older endpoints answer: summaries without NotAfter/Status (moto always sends them,
    so this fallback has no real part to run against)."""

    def __init__(self) -> None:
        self.described: list[str] = []

    def get_paginator(self, operation: str) -> _Pages:
        assert operation == "list_certificates"
        return _Pages(
            [
                {
                    "CertificateSummaryList": [
                        {"CertificateArn": "arn:c1", "DomainName": "a.example.org"}
                    ]
                }
            ]
        )

    def describe_certificate(self, CertificateArn: str) -> dict[str, object]:
        self.described.append(CertificateArn)
        return {"Certificate": {"CertificateArn": CertificateArn, "DomainName": "a.example.org", "NotAfter": T0,
                                "Status": "ISSUED", "InUseBy": []}}  # fmt: skip

    def list_tags_for_certificate(self, CertificateArn: str) -> dict[str, object]:
        return {"Tags": [{"Key": "Owner", "Value": "web"}]}


def test_acm_describes_a_certificate_only_when_the_summary_lacks_its_expiry() -> None:
    client = _OldAcm()

    class Scope:
        def client(self, service: str, region: str, account: str = "") -> _OldAcm:
            return client

    [record] = list_acm(Scope(), "1", "eu-west-1")  # type: ignore[arg-type]
    assert client.described == ["arn:c1"]
    assert (record.name, record.expires, record.tags, record.details["in_use"]) == (
        "a.example.org",
        T0,
        {"Owner": "web"},
        False,
    )


class _Kms:
    """KMS with an AWS-managed key (moto cannot make one: the alias prefix is reserved)."""

    def __init__(self) -> None:
        self.described: list[str] = []

    def get_paginator(self, operation: str) -> _Pages:
        pages = {
            "list_aliases": [{"Aliases": [{"AliasName": "alias/aws/s3", "TargetKeyId": "aws-owned"},
                                          {"AliasName": "alias/orders", "TargetKeyId": "mine"}]}],
            "list_keys": [{"Keys": [{"KeyId": "aws-owned"}, {"KeyId": "mine"}]}],
            "list_resource_tags": [{"Tags": [{"TagKey": "Owner", "TagValue": "orders"}]}],
        }  # fmt: skip
        return _Pages(pages[operation])  # type: ignore[arg-type]

    def describe_key(self, KeyId: str) -> dict[str, object]:
        self.described.append(KeyId)
        return {"KeyMetadata": {"KeyId": KeyId, "Arn": f"arn:kms:{KeyId}", "KeyManager": "CUSTOMER",
                                "KeySpec": "SYMMETRIC_DEFAULT", "KeyState": "Enabled", "CreationDate": T0}}  # fmt: skip

    def get_key_rotation_status(self, KeyId: str) -> dict[str, object]:
        return {"KeyRotationEnabled": True, "RotationPeriodInDays": 90}


def test_kms_skips_aws_managed_keys_without_describing_them() -> None:
    client = _Kms()

    class Scope:
        def client(self, service: str, region: str, account: str = "") -> _Kms:
            return client

    [record] = list_kms(Scope(), "1", "eu-west-1")  # type: ignore[arg-type]
    assert client.described == ["mine"]
    assert (record.name, record.rotation_interval_days, record.tags, record.details["aliases"]) == (
        "mine",
        90,
        {"Owner": "orders"},
        ["alias/orders"],
    )


# A credential report as AWS writes it (the root row's password columns are not_supported).
REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
)
ROOT_ROW = (
    "<root_account>,arn:aws:iam::111122223333:root,2019-03-04T10:11:12+00:00,not_supported,"
    "2026-06-01T08:00:00+00:00,not_supported,not_supported,{mfa},true,"
    "2020-01-02T03:04:05+00:00,2026-06-28T09:00:00+00:00,us-east-1,s3,{key2},"
    "2024-05-06T07:08:09+00:00,N/A,N/A,N/A,false,N/A,false,N/A\n"
)
USER_ROW = (
    "alice,arn:aws:iam::111122223333:user/alice,2021-01-01T00:00:00+00:00,true,"
    "2026-06-29T00:00:00+00:00,2021-01-01T00:00:00+00:00,N/A,false,true,"
    "2021-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def report(mfa: str = "false", key2: str = "true") -> str:
    return REPORT_HEADER + ROOT_ROW.format(mfa=mfa, key2=key2) + USER_ROW


def test_root_records_from_the_credential_report_root_row_only() -> None:
    generated = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)
    records = root_records("111122223333", report(), generated)
    root = "arn:aws:iam::111122223333:root"
    assert [(r.kind, r.name, r.resource_id) for r in records] == [
        ("root-user", "root", root),
        ("root-access-key", "access_key_1", root),
        ("root-access-key", "access_key_2", root),
    ]
    user, key1, key2 = records
    assert user.created == datetime(2019, 3, 4, 10, 11, 12, tzinfo=UTC)
    assert user.last_used == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert user.details == {
        "principal": root,
        "mfa_active": False,
        "active_access_keys": 2,
        "report_generated": "2026-06-30T10:00:00Z",
    }
    assert (key1.created, key1.last_used, key1.active) == (
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 6, 28, 9, 0, tzinfo=UTC),
        True,
    )
    assert key1.details == {
        "principal": root,
        "slot": 1,
        "last_used_service": "s3",
        "last_used_region": "us-east-1",
        "report_generated": "2026-06-30T10:00:00Z",
    }
    assert (key2.last_used, key2.details["last_used_service"]) == (None, None)  # N/A: never used
    # a record carries no key id or material: the report has none
    assert all("AKIA" not in repr(r) for r in records)


def test_root_records_leave_out_inactive_keys_and_read_mfa() -> None:
    records = root_records("111122223333", report(mfa="true", key2="false"))
    assert [(r.kind, r.name) for r in records] == [
        ("root-user", "root"),
        ("root-access-key", "access_key_1"),
    ]
    assert records[0].details["mfa_active"] is True
    assert records[0].details["active_access_keys"] == 1
    assert records[0].details["report_generated"] is None


def test_root_arn_keeps_the_partition_and_a_report_without_root_row_gives_nothing() -> None:
    gov = report().replace(
        "arn:aws:iam::111122223333:root", "arn:aws-us-gov:iam::111122223333:root"
    )
    assert (
        root_records("111122223333", gov)[0].resource_id == "arn:aws-us-gov:iam::111122223333:root"
    )
    assert root_records("111122223333", REPORT_HEADER + USER_ROW) == []


def test_an_unexpected_root_row_is_an_error_not_a_guess() -> None:
    with pytest.raises(CredentialReportError, match="mfa_active of <root_account> is 'maybe'"):
        root_records("111122223333", report(mfa="maybe"))
    broken = report().replace("2020-01-02T03:04:05+00:00", "yesterday")
    with pytest.raises(CredentialReportError, match="unexpected date 'yesterday'"):
        root_records("111122223333", broken)


class _ReportIam:
    """IAM's credential report endpoints with states scripted: moto's report is complete on the
    second GenerateCredentialReport call, so the longer waits have no real part to run against."""

    def __init__(self, states: list[str], get_errors: list[str] | None = None) -> None:
        self.states = states
        self.get_errors = list(get_errors or [])
        self.calls: list[str] = []

    def generate_credential_report(self) -> dict[str, Any]:
        self.calls.append("generate")
        return {"State": self.states.pop(0) if len(self.states) > 1 else self.states[0]}

    def get_credential_report(self) -> dict[str, Any]:
        self.calls.append("get")
        if self.get_errors:
            code = self.get_errors.pop(0)
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": code, "Message": "not yet"}}, "GetCredentialReport"
            )
        return {"Content": report().encode(), "GeneratedTime": T0}


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_report_is_polled_until_complete_with_growing_waits() -> None:
    iam = _ReportIam(["STARTED", "INPROGRESS", "COMPLETE"], get_errors=["ReportInProgress"])
    clock = _Clock()
    text, generated = read_credential_report(iam, sleep=clock.sleep, clock=lambda: clock.now)
    assert text == report() and generated == T0
    assert iam.calls == ["generate", "generate", "generate", "get", "generate", "get"]
    assert clock.sleeps == [0.25, 0.5, 1.0]


def test_a_report_never_ready_is_an_error_after_the_timeout() -> None:
    iam = _ReportIam(["INPROGRESS"])
    clock = _Clock()
    with pytest.raises(
        CredentialReportError, match=r"not ready after 10 s \(last state INPROGRESS\)"
    ):
        read_credential_report(iam, timeout=10, sleep=clock.sleep, clock=lambda: clock.now)
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0]  # the next wait (8 s) would pass 10 s
    assert "get" not in iam.calls


def test_other_report_errors_are_raised_for_the_slice_to_report() -> None:
    iam = _ReportIam(["COMPLETE"], get_errors=["AccessDenied"])
    with pytest.raises(botocore.exceptions.ClientError):
        read_credential_report(iam, sleep=_Clock().sleep)
