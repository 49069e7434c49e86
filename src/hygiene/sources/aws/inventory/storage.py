"""S3 buckets, EFS file systems and access points, ECR repositories."""

from __future__ import annotations

from collections.abc import Callable

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory.base import (
    ClientSource,
    Family,
    make,
    name_of,
    pages,
    tag_dict,
    tagging_api_tags,
)


def list_s3(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Buckets located in ``region`` (``ListBuckets`` with ``BucketRegion``); tags in bulk."""
    if not wanted("s3:bucket"):
        return []
    s3 = scope.client("s3", region, account)
    names = [b["Name"] for b in pages(s3, "list_buckets", "Buckets", BucketRegion=region)]
    arns = {name: f"arn:aws:s3:::{name}" for name in names}
    tags = tagging_api_tags(scope, account, region, list(arns.values()))
    return [make(account, region, "s3:bucket", arns[n], tags[arns[n]], n) for n in names]


def list_efs(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """File systems and access points; both carry their tags inline."""
    efs = scope.client("efs", region, account)
    out: list[ResourceRecord] = []
    if wanted("elasticfilesystem:file-system"):
        for fs in pages(efs, "describe_file_systems", "FileSystems"):
            tags = tag_dict(fs.get("Tags"))
            arn = (
                fs.get("FileSystemArn")
                or f"arn:aws:elasticfilesystem:{region}:{account}:file-system/{fs['FileSystemId']}"
            )
            out.append(
                make(
                    account,
                    region,
                    "elasticfilesystem:file-system",
                    arn,
                    tags,
                    name_of(tags, fs["FileSystemId"]),
                )
            )
    if wanted("elasticfilesystem:access-point"):
        for ap in pages(efs, "describe_access_points", "AccessPoints"):
            tags = tag_dict(ap.get("Tags"))
            out.append(
                make(
                    account,
                    region,
                    "elasticfilesystem:access-point",
                    ap["AccessPointArn"],
                    tags,
                    name_of(tags, ap["AccessPointId"]),
                )
            )
    return out


def list_ecr(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Repositories; ECR has no batch tag call, so one ``ListTagsForResource`` each."""
    if not wanted("ecr:repository"):
        return []
    ecr = scope.client("ecr", region, account)
    out = []
    for repo in pages(ecr, "describe_repositories", "repositories"):
        arn = repo["repositoryArn"]
        tags = tag_dict(ecr.list_tags_for_resource(resourceArn=arn).get("tags"))
        out.append(make(account, region, "ecr:repository", arn, tags, repo["repositoryName"]))
    return out


FAMILIES = (
    Family("s3", ("s3:bucket",), list_s3),
    Family("efs", ("elasticfilesystem:file-system", "elasticfilesystem:access-point"), list_efs),
    Family("ecr", ("ecr:repository",), list_ecr),
)
