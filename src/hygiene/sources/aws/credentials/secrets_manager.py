"""Secrets Manager secrets of one region, aged from when their value last changed.

A secret's value is aged from the later of ``LastRotatedDate`` and the creation of its
``AWSCURRENT`` version (``ListSecretVersionIds``, one call per secret, no secret value), so a
value changed by hand (``PutSecretValue``, ``UpdateSecret`` with a new value) counts as a rotation
and a tag or description edit does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import botocore.exceptions

from hygiene.records.cloud import CredentialRecord
from hygiene.sources.aws.credentials.base import error_code, iso, log, tag_dict, utc
from hygiene.sources.aws.session import AwsScope, classify, paginate

SECRET_WORKERS = 8  # per-secret ListSecretVersionIds calls of one region run in this many threads
VERSIONS_PAGE = 100  # ListSecretVersionIds' largest page

CURRENT_STAGE = "AWSCURRENT"  # the staging label of the version a secret's readers get
# An AWSCURRENT version created less than this after the secret itself holds the value the secret
# was created with: not a change (ages are whole days, so this loses nothing).
FIRST_VALUE_SLACK = timedelta(seconds=1)


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
        and utc(current) < utc(created) + FIRST_VALUE_SLACK
    )
    dates = [moment for moment in (rotated, None if first_value else current) if moment]
    return max(dates, key=utc) if dates else None


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
        "last_changed": iso(item.get("LastChangedDate")),
        "next_rotation": iso(item.get("NextRotationDate")),
        "last_rotation": iso(item.get("LastRotatedDate")),
        "current_version_created": iso(current),
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
            if error_code(exc) == "ResourceNotFoundException":
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
