"""Load balancers (ALB/NLB and classic) and target groups; tags through ``DescribeTags``
in the service's batches of 20."""

from __future__ import annotations

from collections.abc import Callable

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory.base import ClientSource, Family, chunks, make, pages, tag_dict

TYPES = (
    "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup",
    "elb:loadbalancer",
)


def list_elb(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Application/network load balancers, target groups and classic load balancers."""
    out: list[ResourceRecord] = []
    v2 = scope.client("elbv2", region, account)
    items: list[tuple[str, str, str]] = []  # (type, arn, name)
    if wanted("elasticloadbalancing:loadbalancer"):
        items += [
            ("elasticloadbalancing:loadbalancer", lb["LoadBalancerArn"], lb["LoadBalancerName"])
            for lb in pages(v2, "describe_load_balancers", "LoadBalancers")
        ]
    if wanted("elasticloadbalancing:targetgroup"):
        items += [
            ("elasticloadbalancing:targetgroup", tg["TargetGroupArn"], tg["TargetGroupName"])
            for tg in pages(v2, "describe_target_groups", "TargetGroups")
        ]
    tags: dict[str, dict[str, str]] = {}
    for batch in chunks([arn for _, arn, _ in items], 20):
        for desc in v2.describe_tags(ResourceArns=list(batch)).get("TagDescriptions", []):
            tags[desc["ResourceArn"]] = tag_dict(desc.get("Tags"))
    out += [
        make(account, region, rtype, arn, tags.get(arn, {}), name) for rtype, arn, name in items
    ]
    if wanted("elb:loadbalancer"):
        classic = scope.client("elb", region, account)
        names = [
            lb["LoadBalancerName"]
            for lb in pages(classic, "describe_load_balancers", "LoadBalancerDescriptions")
        ]
        classic_tags: dict[str, dict[str, str]] = {}
        for batch in chunks(names, 20):
            for desc in classic.describe_tags(LoadBalancerNames=list(batch)).get(
                "TagDescriptions", []
            ):
                classic_tags[desc["LoadBalancerName"]] = tag_dict(desc.get("Tags"))
        out += [
            make(
                account,
                region,
                "elb:loadbalancer",
                f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{name}",
                classic_tags.get(name, {}),
                name,
            )
            for name in names
        ]
    return out


FAMILY = Family("elb", TYPES, list_elb)
