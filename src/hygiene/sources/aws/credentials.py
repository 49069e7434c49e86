"""AWS keys, secrets and certificates as ``CredentialRecord``s, read from the live APIs.

Unlike IAM's credential report (up to four hours stale), this reads IAM directly, so a key
rotated a minute ago is seen as new. Each service is fetched (paginated List/Get/Describe calls
only) and then turned into records by a pure ``*_record`` function, which tests feed with
recorded responses.

The one exception is the account's root user: only the credential report says whether it has
access keys, so its ``<root_account>`` row becomes a ``root-user`` record (MFA) and one
``root-access-key`` record per active key (the report holds no key ids, let alone key material).

Slices: IAM is global (one ``iam`` slice per account: users, their access keys, last use, console
passwords, server certificates; one ``credential-report`` slice per account: the root user);
Secrets Manager, KMS and ACM are regional.

A Secrets Manager secret's value is aged from the later of ``LastRotatedDate`` and the creation of
its ``AWSCURRENT`` version (``ListSecretVersionIds``, one call per secret, no secret value), so a
value changed by hand (``PutSecretValue``, ``UpdateSecret`` with a new value) counts as a rotation
and a tag or description edit does not.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions

from hygiene.findings import iso_z
from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.session import AwsScope, Slice, classify, paginate

log = logging.getLogger(__name__)

REGIONAL_SERVICES = ("secretsmanager", "kms", "acm")

# ListCertificates returns only RSA_2048 certificates unless asked for the other key types.
ACM_KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]
AWS_MANAGED_ALIAS = "alias/aws/"  # reserved for AWS-managed KMS keys
ACM_SKIPPED_STATUSES = frozenset(
    {"PENDING_VALIDATION", "VALIDATION_TIMED_OUT", "FAILED", "REVOKED"}
)

# The IAM actions these calls need (deploy/iam/hygiene-readonly-policy.json lists them too).
# GenerateCredentialReport only (re)builds the account's credential report (AWS classifies it as
# a Read action); GetCredentialReport then reads it.
IAM_ACTIONS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListUsers",
    "iam:ListUserTags",
    "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed",
    "iam:GetLoginProfile",
    "iam:ListServerCertificates",
    "secretsmanager:ListSecrets",
    "secretsmanager:ListSecretVersionIds",
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "acm:ListTagsForCertificate",
)

USER_WORKERS = 8  # per-user IAM calls of one account run in this many threads
SECRET_WORKERS = 8  # per-secret ListSecretVersionIds calls of one region run in this many threads
VERSIONS_PAGE = 100  # ListSecretVersionIds' largest page

CURRENT_STAGE = "AWSCURRENT"  # the staging label of the version a secret's readers get
# An AWSCURRENT version created less than this after the secret itself holds the value the secret
# was created with: not a change (ages are whole days, so this loses nothing).
FIRST_VALUE_SLACK = timedelta(seconds=1)

REPORT_SLICE = "credential-report"  # the per-account slice that reads the root user
ROOT_USER = "<root_account>"  # the credential report's name for the account's root user
REPORT_TIMEOUT_S = 120.0  # give up on a report still being generated after this long
REPORT_FIRST_WAIT_S = 0.25  # then doubling, up to REPORT_MAX_WAIT_S, between polls
REPORT_MAX_WAIT_S = 8.0
# GetCredentialReport errors that mean "not ready (again) yet": generate and poll once more.
REPORT_PENDING_CODES = frozenset({"ReportInProgress", "ReportNotPresent", "ReportExpired"})
# Cells of the report that hold no date: no key, never used, not applicable to the root user.
REPORT_NO_DATE = frozenset({"", "N/A", "no_information", "not_supported"})


class CredentialReportError(Exception):
    """The credential report could not be read: still not ready, or of an unexpected shape."""


@dataclass
class CredentialInventory:
    """What the AWS credential sources found, and what they could not read."""

    records: list[CredentialRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # accounts read without any error
    # accounts whose credential report had no <root_account> row (moto's never has one)
    root_not_in_report: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- transforms (pure)


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{Key, Value}]`` (any key case) as a dict."""
    result: dict[str, str] = {}
    for item in tags or ():
        key = item.get("Key", item.get("key", item.get("TagKey")))
        value = item.get("Value", item.get("value", item.get("TagValue")))
        if key is not None:
            result[str(key)] = "" if value is None else str(value)
    return result


def access_key_record(
    account: str,
    user: Mapping[str, Any],
    key: Mapping[str, Any],
    last_used: Mapping[str, Any] | None,
    tags: Mapping[str, str],
    has_console: bool,
) -> CredentialRecord:
    """One IAM access key (``ListAccessKeys`` item + ``GetAccessKeyLastUsed``'s ``AccessKeyLastUsed``)."""
    used = (last_used or {}).get("LastUsedDate")
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="iam-access-key",
        resource_id=user["Arn"],
        name=key["AccessKeyId"],
        created=key.get("CreateDate"),
        last_used=used,
        active=key.get("Status", "Active") == "Active",
        owner=user["UserName"],
        tags=dict(tags),
        details={
            "principal": user["Arn"],
            "user": user["UserName"],
            "user_has_console": has_console,
            "last_used_service": (last_used or {}).get("ServiceName") if used else None,
            "last_used_region": (last_used or {}).get("Region") if used else None,
        },
    )


def console_password_record(
    account: str, user: Mapping[str, Any], profile: Mapping[str, Any], tags: Mapping[str, str]
) -> CredentialRecord:
    """A user's console password (``GetLoginProfile``); last use is ``ListUsers``' PasswordLastUsed."""
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="iam-console-password",
        resource_id=user["Arn"],
        name=user["UserName"],
        created=profile.get("CreateDate"),
        last_used=user.get("PasswordLastUsed"),
        owner=user["UserName"],
        tags=dict(tags),
        details={"principal": user["Arn"], "user": user["UserName"]},
    )


def server_certificate_record(account: str, meta: Mapping[str, Any]) -> CredentialRecord:
    """An IAM server certificate (``ListServerCertificates`` metadata)."""
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="iam-server-certificate",
        resource_id=meta["Arn"],
        name=meta["ServerCertificateName"],
        created=meta.get("UploadDate"),
        expires=meta.get("Expiration"),
    )


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")


def schedule_days(rules: Mapping[str, Any] | None) -> int | None:
    """Days between automatic rotations from ``RotationRules`` (``cron(...)`` → None)."""
    if not rules:
        return None
    if rules.get("AutomaticallyAfterDays"):
        return int(rules["AutomaticallyAfterDays"])
    match = _RATE.match(str(rules.get("ScheduleExpression", "")).strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return amount if unit.startswith("day") else max(1, -(-amount // 24))


def current_version_created(versions: Iterable[Mapping[str, Any]]) -> datetime | None:
    """``CreatedDate`` of the version labelled ``AWSCURRENT`` in ``ListSecretVersionIds``'
    ``Versions`` (None: no such version, e.g. a secret created without a value)."""
    for version in versions:
        if CURRENT_STAGE in (version.get("VersionStages") or ()):
            created = version.get("CreatedDate")
            return created if isinstance(created, datetime) else None
    return None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def value_changed(
    created: datetime | None, rotated: datetime | None, current: datetime | None
) -> datetime | None:
    """When a secret's value last changed: the later of ``LastRotatedDate`` (``rotated``) and the
    creation of its ``AWSCURRENT`` version (``current``: moved by RotateSecret, PutSecretValue and
    UpdateSecret with a new value, never by tag or description edits). The version the secret
    was created with (within ``FIRST_VALUE_SLACK`` of ``created``) is no change: None when
    neither says the value changed, so the secret is aged from its creation."""
    first_value = (
        current is not None
        and created is not None
        and _utc(current) < _utc(created) + FIRST_VALUE_SLACK
    )
    dates = [moment for moment in (rotated, None if first_value else current) if moment]
    return max(dates, key=_utc) if dates else None


def secret_record(
    account: str,
    region: str,
    item: Mapping[str, Any],
    current: datetime | None = None,
    versions_error: str | None = None,
) -> CredentialRecord:
    """A Secrets Manager secret (``ListSecrets`` item: rotation, dates and tags are inline), with
    the ``CreatedDate`` of its ``AWSCURRENT`` version (``current``, from ``ListSecretVersionIds``):
    ``last_rotated`` is when its value last changed, by rotation or by hand (``value_changed``).
    ``versions_error``: why the versions could not be read; the age then falls back to
    ``LastRotatedDate``, else ``CreatedDate``, and the error rides along in ``details``."""
    rules = item.get("RotationRules")
    details: dict[str, Any] = {
        "schedule": (rules or {}).get("ScheduleExpression"),
        "owning_service": item.get("OwningService"),
        "last_changed": _iso(item.get("LastChangedDate")),
        "next_rotation": _iso(item.get("NextRotationDate")),
        "last_rotation": _iso(item.get("LastRotatedDate")),
        "current_version_created": _iso(current),
    }
    if versions_error is not None:
        details["versions_error"] = versions_error
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="secretsmanager-secret",
        resource_id=item["ARN"],
        name=item["Name"],
        region=region,
        created=item.get("CreatedDate"),
        last_rotated=value_changed(item.get("CreatedDate"), item.get("LastRotatedDate"), current),
        last_used=item.get("LastAccessedDate"),
        rotation_enabled=bool(item.get("RotationEnabled")),
        rotation_interval_days=schedule_days(rules) if item.get("RotationEnabled") else None,
        tags=tag_dict(item.get("Tags")),
        details=details,
    )


def is_rotatable_kms_key(meta: Mapping[str, Any]) -> bool:
    """Customer-managed, symmetric, enabled, AWS-generated material, not a multi-Region replica."""
    replica = (meta.get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType") == "REPLICA"
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    return (
        meta.get("KeyManager") == "CUSTOMER"
        and spec == "SYMMETRIC_DEFAULT"
        and meta.get("KeyState") == "Enabled"
        and meta.get("Origin", "AWS_KMS") == "AWS_KMS"
        and not replica
    )


def kms_record(
    account: str,
    region: str,
    meta: Mapping[str, Any],
    rotation: Mapping[str, Any],
    tags: Mapping[str, str],
    aliases: list[str],
) -> CredentialRecord:
    """A KMS key (``DescribeKey`` metadata + ``GetKeyRotationStatus``)."""
    enabled = bool(rotation.get("KeyRotationEnabled"))
    period = rotation.get("RotationPeriodInDays")
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="kms-key",
        resource_id=meta["Arn"],
        name=meta["KeyId"],
        region=region,
        created=meta.get("CreationDate"),
        rotation_enabled=enabled,
        rotation_interval_days=(int(period) if period else 365) if enabled else None,
        tags=dict(tags),
        details={
            "aliases": sorted(aliases),
            "next_rotation": _iso(rotation.get("NextRotationDate")),
        },
    )


def acm_record(
    account: str, region: str, cert: Mapping[str, Any], tags: Mapping[str, str]
) -> CredentialRecord:
    """An ACM certificate (``DescribeCertificate``'s ``Certificate``)."""
    return CredentialRecord(
        provider="aws",
        account=account,
        kind="acm-certificate",
        resource_id=cert["CertificateArn"],
        name=cert.get("DomainName") or cert["CertificateArn"].rsplit("/", 1)[-1],
        region=region,
        created=cert.get("ImportedAt") or cert.get("IssuedAt") or cert.get("CreatedAt"),
        expires=cert.get("NotAfter"),
        tags=dict(tags),
        details={
            "status": cert.get("Status"),
            "type": cert.get("Type"),
            "in_use": bool(cert.get("InUseBy") or cert.get("InUse")),
            "renewal_eligibility": cert.get("RenewalEligibility"),
        },
    )


def report_time(cell: str | None) -> datetime | None:
    """A date cell of the credential report (``2026-01-05T10:20:30+00:00``); None for ``N/A``,
    ``no_information``, ``not_supported`` or an empty cell."""
    text = (cell or "").strip()
    if text in REPORT_NO_DATE:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise CredentialReportError(f"credential report: unexpected date {text!r}") from exc


def _report_flag(row: Mapping[str, str], column: str) -> bool:
    value = (row.get(column) or "").strip().lower()
    if value not in ("true", "false"):
        raise CredentialReportError(
            f"credential report: {column} of {ROOT_USER} is {row.get(column)!r}, not true/false"
        )
    return value == "true"


def _report_text(cell: str | None) -> str | None:
    text = (cell or "").strip()
    return None if text in REPORT_NO_DATE else text


def root_arn(account: str, reported: str | None) -> str:
    """The root user's ARN, in the partition of the report's ``arn`` cell (``aws`` if none)."""
    parts = (reported or "").split(":")
    partition = parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"
    return f"arn:{partition}:iam::{account}:root"


def root_records(
    account: str, report: str, generated: datetime | None = None
) -> list[CredentialRecord]:
    """The ``<root_account>`` row of an IAM credential report (CSV text) as records: one
    ``root-user`` (MFA on or not) and one ``root-access-key`` per *active* key slot. The report
    has no key ids or key material, so neither has the record. No root row: ``[]``."""
    for row in csv.DictReader(io.StringIO(report)):
        if row.get("user") != ROOT_USER:
            continue
        arn = root_arn(account, row.get("arn"))
        generated_at = _iso(generated)
        active = [slot for slot in (1, 2) if _report_flag(row, f"access_key_{slot}_active")]
        records = [
            CredentialRecord(
                provider="aws",
                account=account,
                kind="root-user",
                resource_id=arn,
                name="root",
                created=report_time(row.get("user_creation_time")),
                last_used=report_time(row.get("password_last_used")),
                details={
                    "principal": arn,
                    "mfa_active": _report_flag(row, "mfa_active"),
                    "active_access_keys": len(active),
                    "report_generated": generated_at,
                },
            )
        ]
        for slot in active:
            prefix = f"access_key_{slot}"
            records.append(
                CredentialRecord(
                    provider="aws",
                    account=account,
                    kind="root-access-key",
                    resource_id=arn,
                    name=prefix,
                    created=report_time(row.get(f"{prefix}_last_rotated")),
                    last_used=report_time(row.get(f"{prefix}_last_used_date")),
                    details={
                        "principal": arn,
                        "slot": slot,
                        "last_used_service": _report_text(row.get(f"{prefix}_last_used_service")),
                        "last_used_region": _report_text(row.get(f"{prefix}_last_used_region")),
                        "report_generated": generated_at,
                    },
                )
            )
        return records
    return []


def _iso(value: Any) -> str | None:
    return iso_z(value) if isinstance(value, datetime) else None


# --------------------------------------------------------------------------- fetches


def _error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def list_iam(scope: AwsScope, account: str) -> list[CredentialRecord]:
    """Access keys and console passwords of every user, and the server certificates, of one account."""
    iam = scope.client("iam", scope.default_region, account)
    users = paginate(iam, "list_users", "Users")

    def per_user(user: Mapping[str, Any]) -> list[CredentialRecord]:
        try:
            return user_credentials(user)
        except botocore.exceptions.ClientError as exc:
            if _error_code(exc) != "NoSuchEntity":
                raise
            log.info("IAM user %s was deleted while being read", user["UserName"])
            return []

    def user_credentials(user: Mapping[str, Any]) -> list[CredentialRecord]:
        name = user["UserName"]
        tags = tag_dict(paginate(iam, "list_user_tags", "Tags", UserName=name))
        try:
            profile: Mapping[str, Any] | None = iam.get_login_profile(UserName=name)["LoginProfile"]
        except botocore.exceptions.ClientError as exc:
            if _error_code(exc) != "NoSuchEntity":
                raise
            profile = None
        out = []
        if profile is not None:
            out.append(console_password_record(account, user, profile, tags))
        for key in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name):
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get(
                "AccessKeyLastUsed"
            )
            out.append(access_key_record(account, user, key, used, tags, profile is not None))
        return out

    records: list[CredentialRecord] = []
    with ThreadPoolExecutor(max_workers=USER_WORKERS, thread_name_prefix="iam-user") as pool:
        for part in pool.map(per_user, users):
            records += part
    for meta in paginate(iam, "list_server_certificates", "ServerCertificateMetadataList"):
        records.append(server_certificate_record(account, meta))
    return records


def read_credential_report(
    iam: Any,
    *,
    timeout: float = REPORT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[str, datetime | None]:
    """The account's credential report (CSV text, generation time).

    ``GenerateCredentialReport`` until it says ``COMPLETE`` (AWS builds a new report only when
    the last one is over four hours old), then ``GetCredentialReport``; waits 0.25 s, doubling
    up to 8 s, between polls, and raises ``CredentialReportError`` after ``timeout`` seconds.
    """
    deadline = clock() + timeout
    wait = REPORT_FIRST_WAIT_S
    while True:
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            try:
                response = iam.get_credential_report()
            except botocore.exceptions.ClientError as exc:
                if _error_code(exc) not in REPORT_PENDING_CODES:
                    raise
                state = _error_code(exc)
            else:
                content = response.get("Content", b"")
                text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
                return text, response.get("GeneratedTime")
        if clock() + wait > deadline:
            raise CredentialReportError(
                f"GenerateCredentialReport: the report was not ready after {timeout:g} s "
                f"(last state {state})"
            )
        sleep(wait)
        wait = min(wait * 2, REPORT_MAX_WAIT_S)


def list_root(scope: AwsScope, account: str) -> list[CredentialRecord]:
    """The root user of one account, from its credential report ([] when the report has no
    root row)."""
    iam = scope.client("iam", scope.default_region, account)
    report, generated = read_credential_report(iam, timeout=REPORT_TIMEOUT_S)
    return root_records(account, report, generated)


def secret_versions(client: Any, secret_id: str) -> list[Mapping[str, Any]]:
    """A secret's labelled versions (``ListSecretVersionIds``, ``IncludeDeprecated`` false: ids,
    staging labels and dates, no value), page by page until the ``AWSCURRENT`` one is seen —
    one call for nearly every secret, since only labelled versions are listed (botocore has no
    paginator for this operation)."""
    versions: list[Mapping[str, Any]] = []
    kwargs: dict[str, Any] = {
        "SecretId": secret_id,
        "IncludeDeprecated": False,
        "MaxResults": VERSIONS_PAGE,
    }
    while True:
        page = client.list_secret_version_ids(**kwargs)
        versions += page.get("Versions") or []
        token = page.get("NextToken")
        seen = any(CURRENT_STAGE in (v.get("VersionStages") or ()) for v in versions)
        if seen or not token or token == kwargs.get("NextToken"):
            return versions
        kwargs["NextToken"] = token


def list_secrets(scope: AwsScope, account: str, region: str) -> list[CredentialRecord]:
    """Secrets Manager secrets of one region (not those already scheduled for deletion), each
    with the creation date of its ``AWSCURRENT`` version (``ListSecretVersionIds``, one call per
    secret; it returns version ids, labels and dates, never a value).

    A secret deleted while being read is left out. Any other failed ``ListSecretVersionIds``
    (denied by the secret's resource policy, throttled past the retries, …) falls back to
    ``LastRotatedDate``/``CreatedDate`` for that secret and is noted: in the record's
    ``details["versions_error"]`` and in one warning per region. A failed ``ListSecrets`` fails
    the slice, as before.
    """
    client = scope.client("secretsmanager", region, account)
    items = [i for i in paginate(client, "list_secrets", "SecretList") if not i.get("DeletedDate")]
    unread: list[str] = []

    def per_secret(item: Mapping[str, Any]) -> CredentialRecord | None:
        try:
            versions = secret_versions(client, item["ARN"])
        except botocore.exceptions.ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                log.info("secret %s was deleted while being read", item["Name"])
                return None
            _, text = classify(exc)
            unread.append(f"{item['Name']}: {text}")
            return secret_record(account, region, item, versions_error=text)
        return secret_record(account, region, item, current_version_created(versions))

    with ThreadPoolExecutor(max_workers=SECRET_WORKERS, thread_name_prefix="secret") as pool:
        records = [record for record in pool.map(per_secret, items) if record is not None]
    if unread:
        unread.sort()
        log.warning(
            "secretsmanager %s %s: the versions of %d of %d secrets could not be read, so they "
            "are aged from LastRotatedDate/CreatedDate (a value changed by hand is not seen): %s",
            region,
            account,
            len(unread),
            len(items),
            "; ".join(unread),
        )
    return records


def list_kms(scope: AwsScope, account: str, region: str) -> list[CredentialRecord]:
    """Customer-managed symmetric KMS keys of one region with their rotation status."""
    kms = scope.client("kms", region, account)
    aliases: dict[str, list[str]] = {}
    for alias in paginate(kms, "list_aliases", "Aliases"):
        if alias.get("TargetKeyId"):
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    records = []
    for key in paginate(kms, "list_keys", "Keys"):
        if any(name.startswith(AWS_MANAGED_ALIAS) for name in aliases.get(key["KeyId"], [])):
            continue  # an AWS-managed key (its alias prefix is reserved): no DescribeKey needed
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if not is_rotatable_kms_key(meta):
            continue
        rotation = kms.get_key_rotation_status(KeyId=key["KeyId"])
        tags = tag_dict(paginate(kms, "list_resource_tags", "Tags", KeyId=key["KeyId"]))
        records.append(
            kms_record(account, region, meta, rotation, tags, aliases.get(meta["KeyId"], []))
        )
    return records


def list_acm(scope: AwsScope, account: str, region: str) -> list[CredentialRecord]:
    """ACM certificates of one region (issued, expired or inactive: those with an expiry)."""
    acm = scope.client("acm", region, account)
    summaries = paginate(
        acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": ACM_KEY_TYPES}
    )
    records = []
    for summary in summaries:
        if summary.get("Status") in ACM_SKIPPED_STATUSES:
            continue
        arn = summary["CertificateArn"]
        # Recent ListCertificates summaries carry NotAfter and Status; describe only when not.
        cert = summary if summary.get("NotAfter") and summary.get("Status") else None
        cert = cert or acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if cert.get("Status") in ACM_SKIPPED_STATUSES or not cert.get("NotAfter"):
            continue
        tags = tag_dict(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
        records.append(acm_record(account, region, cert, tags))
    return records


def _work(scope: AwsScope, broken: list[tuple[Slice, str]]) -> Any:
    def work(unit: Slice) -> list[CredentialRecord] | None:
        if unit.service == REPORT_SLICE:
            try:
                return list_root(scope, unit.account)
            except CredentialReportError as exc:  # fails this slice, like an API error
                log.warning("slice failed: %s: %s", unit, exc)
                broken.append((unit, str(exc)))
                return None
        if unit.service == "iam":
            return list_iam(scope, unit.account)
        if unit.service == "secretsmanager":
            return list_secrets(scope, unit.account, unit.region)
        if unit.service == "kms":
            return list_kms(scope, unit.account, unit.region)
        if unit.service == "acm":
            return list_acm(scope, unit.account, unit.region)
        raise ValueError(f"unknown slice service {unit.service!r}")

    return work


def plan(scope: AwsScope, inventory: CredentialInventory) -> tuple[list[Slice], set[str]]:
    """The slices to read (one IAM slice per account, each regional service per region), and
    the accounts whose regions could not be listed (their errors are added to ``inventory``)."""
    slices: list[Slice] = []
    unreadable: set[str] = set()
    for account in scope.accounts():
        try:
            regions = scope.regions(account)
        except botocore.exceptions.ClientError as exc:
            _, text = classify(exc)
            inventory.errors.append(f"regions {account}: {text}")
            log.warning("cannot list regions of %s: %s", account, text)
            unreadable.add(account)
            regions = []
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            inventory.errors.append(f"regions {account}: {type(exc).__name__}: {exc}")
            unreadable.add(account)
            regions = []
        slices.append(Slice(account, "global", "iam"))
        slices.append(Slice(account, "global", REPORT_SLICE))
        slices += [
            Slice(account, region, service) for region in regions for service in REGIONAL_SERVICES
        ]
    return slices, unreadable


def collect_credentials(scope: AwsScope) -> CredentialInventory:
    """Every AWS credential the scope reaches; failed slices are errors, never empty lists."""
    inventory = CredentialInventory()
    slices, unreadable = plan(scope, inventory)
    broken: list[tuple[Slice, str]] = []
    result = scope.fan_out(slices, _work(scope, broken))
    for unit, records in result.values:
        if records is None:
            continue
        inventory.records += records
        if unit.service == REPORT_SLICE and not any(r.kind == "root-user" for r in records):
            log.warning("the credential report of %s has no %s row", unit.account, ROOT_USER)
            inventory.root_not_in_report.append(unit.account)
    inventory.errors += sorted([*result.errors, *(f"{unit}: {text}" for unit, text in broken)])
    inventory.skipped += result.skipped
    inventory.root_not_in_report.sort()
    failed = {unit.account for unit in result.failed} | {unit.account for unit, _ in broken}
    inventory.accounts = sorted({s.account for s in slices} - failed - unreadable)
    return inventory
