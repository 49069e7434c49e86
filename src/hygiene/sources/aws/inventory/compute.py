"""Lambda, ECS, EKS and Step Functions."""

from __future__ import annotations

from collections.abc import Callable

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory.base import (
    ClientSource,
    Family,
    chunks,
    make,
    pages,
    tag_dict,
    tagging_api_tags,
)


def list_lambda(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Functions; tags in bulk from the Tagging API."""
    if not wanted("lambda:function"):
        return []
    functions = pages(scope.client("lambda", region, account), "list_functions", "Functions")
    tags = tagging_api_tags(scope, account, region, [f["FunctionArn"] for f in functions])
    return [
        make(
            account,
            region,
            "lambda:function",
            f["FunctionArn"],
            tags[f["FunctionArn"]],
            f["FunctionName"],
            runtime=f.get("Runtime"),
        )
        for f in functions
    ]


def list_ecs(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Clusters (100 per describe) and services (10 per describe), tags included in the describe."""
    ecs = scope.client("ecs", region, account)
    out: list[ResourceRecord] = []
    cluster_arns = pages(ecs, "list_clusters", "clusterArns")
    if wanted("ecs:cluster"):
        for batch in chunks(cluster_arns, 100):
            for c in ecs.describe_clusters(clusters=list(batch), include=["TAGS"]).get(
                "clusters", []
            ):
                out.append(
                    make(
                        account,
                        region,
                        "ecs:cluster",
                        c["clusterArn"],
                        tag_dict(c.get("tags")),
                        c["clusterName"],
                    )
                )
    if wanted("ecs:service"):
        for cluster in cluster_arns:
            service_arns = pages(ecs, "list_services", "serviceArns", cluster=cluster)
            for batch in chunks(service_arns, 10):
                described = ecs.describe_services(
                    cluster=cluster, services=list(batch), include=["TAGS"]
                )
                for s in described.get("services", []):
                    out.append(
                        make(
                            account,
                            region,
                            "ecs:service",
                            s["serviceArn"],
                            tag_dict(s.get("tags")),
                            s["serviceName"],
                            cluster=cluster,
                        )
                    )
    return out


def list_eks(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Clusters and managed node groups; each describe carries its tags."""
    eks = scope.client("eks", region, account)
    out: list[ResourceRecord] = []
    for name in pages(eks, "list_clusters", "clusters"):
        if wanted("eks:cluster"):
            cluster = eks.describe_cluster(name=name)["cluster"]
            out.append(
                make(
                    account,
                    region,
                    "eks:cluster",
                    cluster["arn"],
                    tag_dict(cluster.get("tags")),
                    name,
                )
            )
        if wanted("eks:nodegroup"):
            for group_name in pages(eks, "list_nodegroups", "nodegroups", clusterName=name):
                group = eks.describe_nodegroup(clusterName=name, nodegroupName=group_name)[
                    "nodegroup"
                ]
                out.append(
                    make(
                        account,
                        region,
                        "eks:nodegroup",
                        group["nodegroupArn"],
                        tag_dict(group.get("tags")),
                        group_name,
                        cluster=name,
                    )
                )
    return out


def list_stepfunctions(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """State machines; tags in bulk from the Tagging API."""
    if not wanted("states:stateMachine"):
        return []
    machines = pages(
        scope.client("stepfunctions", region, account), "list_state_machines", "stateMachines"
    )
    tags = tagging_api_tags(scope, account, region, [m["stateMachineArn"] for m in machines])
    return [
        make(
            account,
            region,
            "states:stateMachine",
            m["stateMachineArn"],
            tags[m["stateMachineArn"]],
            m["name"],
        )
        for m in machines
    ]


FAMILIES = (
    Family("lambda", ("lambda:function",), list_lambda),
    Family("ecs", ("ecs:cluster", "ecs:service"), list_ecs),
    Family("eks", ("eks:cluster", "eks:nodegroup"), list_eks),
    Family("stepfunctions", ("states:stateMachine",), list_stepfunctions),
)
