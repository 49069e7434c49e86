"""Shared pieces of the AWS inventory: the lister interface, record building, bulk tag fetches.

A *family* lists the resources of one AWS service in one account and region with the service's
own List/Describe calls (so never-tagged resources are found), and takes tags from the describe
output where it has them, else in batches from the Resource Groups Tagging API (``GetResources``
with ``ResourceARNList`` of at most 100 ARNs; an ARN it does not return carries no tag), else from
the service's own tag call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hygiene.records.cloud import ResourceRecord

TAGGING_BATCH = 100  # GetResources accepts at most 100 ARNs in ResourceARNList


class ClientSource(Protocol):
    """What a lister needs from AwsScope: a client for a service in an account and region."""

    def client(self, service: str, region: str, account: str = "") -> Any: ...


Lister = Callable[[ClientSource, str, str, Callable[[str], bool]], list[ResourceRecord]]
"""``lister(scope, account, region, wanted)``: records of the family; ``wanted(type)`` says
whether a resource type is selected, so a lister skips calls for types nobody asked for."""


@dataclass(frozen=True)
class Family:
    """One service family of the inventory and the resource types it yields."""

    name: str  # slice name, also the botocore service it mainly calls
    types: tuple[str, ...]
    lister: Lister
    global_service: bool = False  # listed once per account (IAM, CloudFront, S3)


def tag_dict(tags: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> dict[str, str]:
    """AWS tags in any of their shapes (``[{Key, Value}]``, ``[{key, value}]``, a map) as a dict."""
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    result: dict[str, str] = {}
    for item in tags:
        key = item.get("Key", item.get("key", item.get("TagKey")))
        value = item.get("Value", item.get("value", item.get("TagValue")))
        if key is not None:
            result[str(key)] = "" if value is None else str(value)
    return result


def name_of(tags: Mapping[str, str], fallback: str) -> str:
    """The ``Name`` tag where there is one, else ``fallback``."""
    return tags.get("Name") or fallback


def make(
    account: str,
    region: str,
    resource_type: str,
    arn: str,
    tags: dict[str, str] | None,
    name: str = "",
    managed: str = "",
    **details: Any,
) -> ResourceRecord:
    """A ResourceRecord for an AWS resource; ``managed`` names why AWS manages it (or "")."""
    if managed:
        details["managed_reason"] = managed
    return ResourceRecord(
        provider="aws",
        account=account,
        region=region,
        resource_type=resource_type,
        resource_id=arn,
        tags=tags,
        name=name,
        managed_by_provider=bool(managed),
        details=details,
    )


def tagging_api_tags(
    scope: ClientSource, account: str, region: str, arns: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Tags of ``arns`` through ``tag:GetResources`` in batches of 100.

    An ARN the Tagging API does not return was never tagged: it maps to ``{}``.
    """
    found: dict[str, dict[str, str]] = {arn: {} for arn in arns}
    if not arns:
        return found
    client = scope.client("resourcegroupstaggingapi", region, account)
    paginator = client.get_paginator("get_resources")
    unique = list(dict.fromkeys(arns))
    for start in range(0, len(unique), TAGGING_BATCH):
        batch = unique[start : start + TAGGING_BATCH]
        for page in paginator.paginate(ResourceARNList=batch):
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"]
                if arn in found:
                    found[arn] = tag_dict(item.get("Tags"))
    return found


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """All items under ``key`` across the pages of a paginated operation."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
