"""Customer-managed symmetric KMS keys of one region, with their rotation status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.credentials.base import iso, tag_dict
from hygiene.sources.aws.session import AwsScope, paginate

AWS_MANAGED_ALIAS = "alias/aws/"  # reserved for AWS-managed KMS keys


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
            "next_rotation": iso(rotation.get("NextRotationDate")),
        },
    )


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
