"""Cloud SQL backup configuration → ``DataStore`` records, read through Cloud Asset Inventory
``ListAssets`` (content type RESOURCE) so no extra client library is needed: the asset's
``resource.data`` is the Cloud SQL Admin API's ``DatabaseInstance``.

Read replicas are left out (they have no backups of their own). Automated Cloud SQL backups are
daily, so ``retainedBackups`` (unit COUNT) is the retention in days; point-in-time recovery is
``pointInTimeRecoveryEnabled`` (PostgreSQL, SQL Server) or ``binaryLogEnabled`` (MySQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict

from hygiene.records.backups import DataStore
from hygiene.records.gcp import GcpProject
from hygiene.sources.gcp.scope import Call, FanOut, GcpScope

ASSET_TYPE = "sqladmin.googleapis.com/Instance"
API = "cloudasset.googleapis.com"
METHOD = "asset.listAssets"
PAGE_SIZE = 500


def list_cloudsql(scope: GcpScope, projects: Sequence[GcpProject]) -> FanOut[list[DataStore]]:
    """Every Cloud SQL primary instance of every project (paged); a failed project is an error."""
    from google.cloud import asset_v1

    calls = [Call(METHOD, API, f"project {p.project_id}") for p in projects]
    by_target = {f"project {p.project_id}": p for p in projects}

    def work(call: Call) -> list[DataStore]:
        project = by_target[call.target]
        pager = scope.client("asset").list_assets(
            request={
                "parent": f"projects/{project.project_id}",
                "asset_types": [ASSET_TYPE],
                "content_type": asset_v1.ContentType.RESOURCE,
                "page_size": PAGE_SIZE,
            }
        )
        stores: list[DataStore] = []
        for page in pager.pages:
            scope.count(METHOD)
            for asset in page.assets:
                data = MessageToDict(type(asset).pb(asset).resource.data)
                record = instance_record(asset.name, data, project.project_id)
                if record is not None:
                    stores.append(record)
        return stores

    return scope.fan_out(calls, work)


def instance_record(name: str, data: Mapping[str, Any], project_id: str) -> DataStore | None:
    """A ``DatabaseInstance`` (as JSON) → ``DataStore``; None for a read replica (pure)."""
    if data.get("instanceType") == "READ_REPLICA_INSTANCE" or data.get("masterInstanceName"):
        return None
    settings = data.get("settings") or {}
    backup = settings.get("backupConfiguration") or {}
    enabled = bool(backup.get("enabled"))
    kept = (backup.get("backupRetentionSettings") or {}).get("retainedBackups", 7)
    pitr = bool(backup.get("pointInTimeRecoveryEnabled") or backup.get("binaryLogEnabled"))
    return DataStore(
        provider="gcp",
        account=project_id,
        region=str(data.get("region") or "global"),
        kind="cloudsql:instance",
        resource_id=name,
        name=str(data.get("name") or name.rsplit("/", 1)[-1]),
        tags={str(k): str(v) for k, v in (settings.get("userLabels") or {}).items()},
        retention_days=int(kept) if enabled else 0,
        pitr_enabled=enabled and pitr,
        engine=str(data.get("databaseVersion") or ""),
    )
