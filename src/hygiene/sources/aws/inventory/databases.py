"""RDS, DynamoDB, ElastiCache, Redshift and OpenSearch."""

from __future__ import annotations

from collections.abc import Callable

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory.base import (
    ClientSource,
    Family,
    make,
    pages,
    tag_dict,
    tagging_api_tags,
)

RDS_TYPES = ("rds:db", "rds:cluster", "rds:snapshot", "rds:cluster-snapshot")


def list_rds(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Instances, clusters and their snapshots; RDS describes carry ``TagList`` inline."""
    rds = scope.client("rds", region, account)
    out: list[ResourceRecord] = []
    if wanted("rds:db"):
        for db in pages(rds, "describe_db_instances", "DBInstances"):
            out.append(
                make(
                    account,
                    region,
                    "rds:db",
                    db["DBInstanceArn"],
                    tag_dict(db.get("TagList")),
                    db["DBInstanceIdentifier"],
                    engine=db.get("Engine"),
                )
            )
    if wanted("rds:cluster"):
        for cluster in pages(rds, "describe_db_clusters", "DBClusters"):
            out.append(
                make(
                    account,
                    region,
                    "rds:cluster",
                    cluster["DBClusterArn"],
                    tag_dict(cluster.get("TagList")),
                    cluster["DBClusterIdentifier"],
                )
            )
    if wanted("rds:snapshot"):
        for snap in pages(rds, "describe_db_snapshots", "DBSnapshots"):
            out.append(
                make(
                    account,
                    region,
                    "rds:snapshot",
                    snap["DBSnapshotArn"],
                    tag_dict(snap.get("TagList")),
                    snap["DBSnapshotIdentifier"],
                    _automated(snap),
                    snapshot_type=snap.get("SnapshotType"),
                )
            )
    if wanted("rds:cluster-snapshot"):
        for snap in pages(rds, "describe_db_cluster_snapshots", "DBClusterSnapshots"):
            out.append(
                make(
                    account,
                    region,
                    "rds:cluster-snapshot",
                    snap["DBClusterSnapshotArn"],
                    tag_dict(snap.get("TagList")),
                    snap["DBClusterSnapshotIdentifier"],
                    _automated(snap),
                )
            )
    return out


def _automated(snapshot: dict[str, str]) -> str:
    """Automated RDS snapshots belong to their instance's backup window: AWS manages them."""
    return "automated RDS snapshot" if snapshot.get("SnapshotType") == "automated" else ""


def list_dynamodb(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Tables; one ``ListTagsOfResource`` each (DynamoDB has no batch tag call)."""
    if not wanted("dynamodb:table"):
        return []
    ddb = scope.client("dynamodb", region, account)
    out = []
    for name in pages(ddb, "list_tables", "TableNames"):
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        tags = tag_dict(ddb.list_tags_of_resource(ResourceArn=arn).get("Tags"))
        out.append(make(account, region, "dynamodb:table", arn, tags, name))
    return out


def list_elasticache(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Cache clusters and replication groups; tags in bulk from the Tagging API."""
    cache = scope.client("elasticache", region, account)
    items: list[tuple[str, str, str]] = []
    if wanted("elasticache:cluster"):
        items += [
            ("elasticache:cluster", c["ARN"], c["CacheClusterId"])
            for c in pages(cache, "describe_cache_clusters", "CacheClusters")
        ]
    if wanted("elasticache:replicationgroup"):
        items += [
            ("elasticache:replicationgroup", g["ARN"], g["ReplicationGroupId"])
            for g in pages(cache, "describe_replication_groups", "ReplicationGroups")
        ]
    tags = tagging_api_tags(scope, account, region, [arn for _, arn, _ in items])
    return [make(account, region, rtype, arn, tags[arn], name) for rtype, arn, name in items]


def list_redshift(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Clusters, with their tags inline."""
    if not wanted("redshift:cluster"):
        return []
    redshift = scope.client("redshift", region, account)
    return [
        make(
            account,
            region,
            "redshift:cluster",
            f"arn:aws:redshift:{region}:{account}:cluster:{c['ClusterIdentifier']}",
            tag_dict(c.get("Tags")),
            c["ClusterIdentifier"],
        )
        for c in pages(redshift, "describe_clusters", "Clusters")
    ]


def list_opensearch(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Domains; one ``ListTags`` each."""
    if not wanted("es:domain"):
        return []
    search = scope.client("opensearch", region, account)
    out = []
    for domain in search.list_domain_names().get("DomainNames", []):
        name = domain["DomainName"]
        arn = f"arn:aws:es:{region}:{account}:domain/{name}"
        out.append(
            make(
                account,
                region,
                "es:domain",
                arn,
                tag_dict(search.list_tags(ARN=arn).get("TagList")),
                name,
            )
        )
    return out


FAMILIES = (
    Family("rds", RDS_TYPES, list_rds),
    Family("dynamodb", ("dynamodb:table",), list_dynamodb),
    Family(
        "elasticache", ("elasticache:cluster", "elasticache:replicationgroup"), list_elasticache
    ),
    Family("redshift", ("redshift:cluster",), list_redshift),
    Family("opensearch", ("es:domain",), list_opensearch),
)
