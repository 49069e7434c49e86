"""IAM users' access keys and console passwords, and server certificates, read from the live API.

Unlike IAM's credential report (up to four hours stale), this reads IAM directly, so a key
rotated a minute ago is seen as new. One ``iam`` slice per account (IAM is global).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.exceptions

from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.credentials.base import error_code, log, tag_dict
from hygiene.sources.aws.session import AwsScope, paginate

USER_WORKERS = 8  # per-user IAM calls of one account run in this many threads


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


def list_iam(scope: AwsScope, account: str) -> list[CredentialRecord]:
    """Access keys and console passwords of every user, and the server certificates, of one account."""
    iam = scope.client("iam", scope.default_region, account)
    users = paginate(iam, "list_users", "Users")

    def per_user(user: Mapping[str, Any]) -> list[CredentialRecord]:
        try:
            return user_credentials(user)
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            log.info("IAM user %s was deleted while being read", user["UserName"])
            return []

    def user_credentials(user: Mapping[str, Any]) -> list[CredentialRecord]:
        name = user["UserName"]
        tags = tag_dict(paginate(iam, "list_user_tags", "Tags", UserName=name))
        try:
            profile: Mapping[str, Any] | None = iam.get_login_profile(UserName=name)["LoginProfile"]
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
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
