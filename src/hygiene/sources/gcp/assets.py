"""Labels → ``ResourceRecord``: Cloud Asset Inventory ``searchAllResources`` over each project.

Only asset types that carry labels are searched (a resource that cannot be labelled is never
"unlabelled"). Labels map onto the policy's keys through the shared tag normalisation
(``project``/``owner``/``env`` ↔ ``Project``/``Owner``/``Env``, aliases apply) in the tags check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hygiene.records.cloud import ResourceRecord
from hygiene.records.gcp import GcpProject
from hygiene.sources.gcp.scope import Call, FanOut, GcpScope

# Asset types whose resources take labels (Cloud Asset Inventory names).
LABELLED_ASSET_TYPES: tuple[str, ...] = (
    "cloudresourcemanager.googleapis.com/Project",
    "compute.googleapis.com/Instance",
    "compute.googleapis.com/Disk",
    "compute.googleapis.com/Image",
    "compute.googleapis.com/Snapshot",
    "compute.googleapis.com/Address",
    "compute.googleapis.com/ForwardingRule",
    "storage.googleapis.com/Bucket",
    "bigquery.googleapis.com/Dataset",
    "bigquery.googleapis.com/Table",
    "sqladmin.googleapis.com/Instance",
    "container.googleapis.com/Cluster",
    "run.googleapis.com/Service",
    "cloudfunctions.googleapis.com/CloudFunction",
    "pubsub.googleapis.com/Topic",
    "pubsub.googleapis.com/Subscription",
    "secretmanager.googleapis.com/Secret",
    "redis.googleapis.com/Instance",
    "spanner.googleapis.com/Instance",
    "dataproc.googleapis.com/Cluster",
    "artifactregistry.googleapis.com/Repository",
    "bigtableadmin.googleapis.com/Instance",
    "file.googleapis.com/Instance",
    "cloudkms.googleapis.com/CryptoKey",
)
PAGE_SIZE = 500
API = "cloudasset.googleapis.com"
METHOD = "asset.searchAllResources"


def list_resources(
    scope: GcpScope,
    projects: Sequence[GcpProject],
    asset_types: Sequence[str] = (),
    required_keys: Sequence[str] = (),
) -> FanOut[list[ResourceRecord]]:
    """Every labelled resource of every project (paged); a failed project is an error line.

    ``required_keys`` are the policy's tag keys (``Project``, ``Owner``, ``Env``): a label that is
    one of them in lower case is recorded under the policy's spelling (see ``canonical_labels``).
    """
    calls, work = _searches(scope, projects, asset_types, required_keys)
    return scope.fan_out(calls, work)


def stream_resources(
    scope: GcpScope,
    projects: Sequence[GcpProject],
    result: FanOut[list[ResourceRecord]],
    asset_types: Sequence[str] = (),
    required_keys: Sequence[str] = (),
) -> Iterator[list[ResourceRecord]]:
    """``list_resources`` as a stream: one project's records at a time; failures go to
    ``result.errors``."""
    calls, work = _searches(scope, projects, asset_types, required_keys)
    for _call, records in scope.fan_out_stream(calls, work, result):
        yield records


def _searches(
    scope: GcpScope,
    projects: Sequence[GcpProject],
    asset_types: Sequence[str],
    required_keys: Sequence[str],
) -> tuple[list[Call], Callable[[Call], list[ResourceRecord]]]:
    types = list(asset_types or LABELLED_ASSET_TYPES)
    calls = [Call(METHOD, API, f"project {p.project_id}") for p in projects]
    by_target = {f"project {p.project_id}": p for p in projects}

    def work(call: Call) -> list[ResourceRecord]:
        project = by_target[call.target]
        pager = scope.client("asset").search_all_resources(
            request={
                "scope": f"projects/{project.project_id}",
                "asset_types": types,
                "page_size": PAGE_SIZE,
            },
            retry=scope.retry,
        )
        records = []
        for page in pager.pages:
            scope.count(METHOD)
            records += [to_record(result, project, required_keys) for result in page.results]
        return records

    return calls, work


def canonical_labels(labels: dict[str, str], required_keys: Sequence[str]) -> dict[str, str]:
    """GCP label keys are lower case only, so ``env`` *is* the policy's ``Env``: rename such keys
    to the policy's spelling (no ``tag-key-case`` finding for what GCP cannot spell otherwise).
    Other keys, aliases included (``environment``), are kept as found."""
    lookup = {key.lower(): key for key in required_keys}
    return {lookup.get(key, key): value for key, value in labels.items()}


def to_record(
    result: Any, project: GcpProject, required_keys: Sequence[str] = ()
) -> ResourceRecord:
    """A ``ResourceSearchResult`` → ``ResourceRecord`` (pure; raw labels kept in details)."""
    asset_type = result.asset_type
    labels = {str(k): str(v) for k, v in result.labels.items()}
    return ResourceRecord(
        provider="gcp",
        account=project.project_id,
        region=result.location or "global",
        resource_type=f"gcp:{asset_type}",
        resource_id=result.name,
        tags=canonical_labels(labels, required_keys),
        name=result.display_name or result.name.rsplit("/", 1)[-1],
        managed_by_provider=is_google_managed(labels),
        details={
            "asset_type": asset_type,
            "labels": labels,
            "project_number": result.project.removeprefix("projects/"),
            "state": result.state,
            "project_labels": dict(project.labels),
        },
    )


def is_google_managed(labels: dict[str, str]) -> bool:
    """Resources Google creates on a service's behalf (GKE nodes, Dataproc VMs, …)."""
    return any(key.startswith("goog-") for key in labels) and "goog-managed-by" in labels
