"""Rotation → ``CredentialRecord``: service-account user-managed keys and Secret Manager secrets.

Read-only: keys are listed with ``keyTypes=USER_MANAGED`` (Google-managed keys rotate
themselves); secrets and their versions are listed, never accessed — no secret value is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hygiene.records.cloud import CredentialRecord
from hygiene.records.gcp import GcpProject
from hygiene.sources.gcp.scope import Call, FanOut, GcpScope

IAM_API = "iam.googleapis.com"
SECRETS_API = "secretmanager.googleapis.com"


def list_credentials(
    scope: GcpScope, projects: Sequence[GcpProject]
) -> FanOut[list[CredentialRecord]]:
    """Keys and secrets of every project; each (API, project) that fails is one error line."""
    by_id = {p.project_id: p for p in projects}
    calls = [
        Call("iam.listServiceAccountKeys", IAM_API, f"project {p.project_id}") for p in projects
    ]
    calls += [
        Call("secretmanager.listSecrets", SECRETS_API, f"project {p.project_id}") for p in projects
    ]

    def work(call: Call) -> list[CredentialRecord]:
        project = by_id[call.target.removeprefix("project ")]
        if call.api == IAM_API:
            return _service_account_keys(scope, project)
        return _secrets(scope, project)

    return scope.fan_out(calls, work)


def _service_account_keys(scope: GcpScope, project: GcpProject) -> list[CredentialRecord]:
    from google.cloud import iam_admin_v1

    iam = scope.client("iam")
    records: list[CredentialRecord] = []
    pager = iam.list_service_accounts(
        request={"name": f"projects/{project.project_id}", "page_size": 100}, retry=scope.retry
    )
    for page in pager.pages:
        scope.count("iam.listServiceAccounts")
        for account in page.accounts:
            scope.count("iam.listServiceAccountKeys")
            response = iam.list_service_account_keys(
                request={
                    "name": account.name,
                    "key_types": [iam_admin_v1.ListServiceAccountKeysRequest.KeyType.USER_MANAGED],
                },
                retry=scope.retry,
            )
            records += [key_record(key, account, project) for key in response.keys]
    return records


def key_record(key: Any, account: Any, project: GcpProject) -> CredentialRecord:
    """A user-managed ``ServiceAccountKey`` → ``CredentialRecord`` (kind ``gcp-sa-key``)."""
    created = _time(key.valid_after_time)
    expires = _time(key.valid_before_time)
    if expires is not None and expires.year >= 9999:
        expires = None  # "never expires"
    key_id = key.name.rsplit("/", 1)[-1]
    return CredentialRecord(
        provider="gcp",
        account=project.project_id,
        kind="gcp-sa-key",
        resource_id=key.name,
        name=f"{account.email} key {key_id[:8]}",
        created=created,
        last_rotated=created,
        active=not key.disabled,
        expires=expires,
        owner=project.labels.get("owner"),
        env=project.labels.get("env"),
        tags=dict(project.labels),
        details={
            "principal": account.email,
            "service_account": account.email,
            "key_id": key_id,
            "disabled": bool(key.disabled),
            "origin": _name(key.key_origin),
        },
    )


def _secrets(scope: GcpScope, project: GcpProject) -> list[CredentialRecord]:
    client = scope.client("secrets")
    records: list[CredentialRecord] = []
    pager = client.list_secrets(
        request={"parent": f"projects/{project.project_id}", "page_size": 250}, retry=scope.retry
    )
    for page in pager.pages:
        scope.count("secretmanager.listSecrets")
        for secret in page.secrets:
            versions = client.list_secret_versions(
                request={"parent": secret.name, "filter": "state:ENABLED"}, retry=scope.retry
            )
            enabled = []
            for version_page in versions.pages:
                scope.count("secretmanager.listSecretVersions")
                enabled += [v for v in version_page.versions if _name(v.state) == "ENABLED"]
            records.append(secret_record(secret, enabled, project))
    return records


def secret_record(
    secret: Any, enabled_versions: Sequence[Any], project: GcpProject
) -> CredentialRecord:
    """A ``Secret`` and its enabled versions → ``CredentialRecord`` (kind ``gcp-secret``).

    Last rotated = the newest enabled version's creation; rotation is "enabled" when the secret
    has a rotation schedule (Secret Manager then notifies a topic; rotating is still the owner's).
    """
    created = _time(secret.create_time)
    newest = max((_time(v.create_time) for v in enabled_versions), default=None, key=_sort_key)
    labels = {str(k): str(v) for k, v in secret.labels.items()}
    period = secret.rotation.rotation_period if "rotation" in secret else None
    interval = int(period.total_seconds() // 86400) if period else None
    return CredentialRecord(
        provider="gcp",
        account=project.project_id,
        kind="gcp-secret",
        resource_id=secret.name,
        name=secret.name.rsplit("/", 1)[-1],
        created=created,
        last_rotated=newest or created,
        rotation_enabled=bool(secret.rotation.next_rotation_time)
        if "rotation" in secret
        else False,
        rotation_interval_days=interval,
        active=bool(enabled_versions),
        expires=_time(secret.expire_time) if "expire_time" in secret else None,
        owner=labels.get("owner") or project.labels.get("owner"),
        env=labels.get("env") or project.labels.get("env"),
        tags={**project.labels, **labels},
        details={"enabled_versions": len(enabled_versions)},
    )


def _time(value: Any) -> datetime | None:
    """A proto-plus timestamp (DatetimeWithNanoseconds) → aware datetime; unset → None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.timestamp() <= 0:
            return None
        moment = datetime.fromtimestamp(value.timestamp(), tz=UTC)
        return moment
    return None


def _sort_key(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def _name(enum_value: Any) -> str:
    return str(getattr(enum_value, "name", enum_value))
